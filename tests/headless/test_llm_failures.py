"""When the model fails, the agent learns which way: the error's kind is the LLM error's, not a generic
one, and a propose that proposed nothing is an error, not a success with a sad message."""

from __future__ import annotations

from pathlib import Path

from loopback_llm import Answer, LoopbackLLM, Status

from .mcp_helpers import call, mcp_client, ok, server_parameters

DENIED = Status(401, {"error": {"message": "bad key", "type": "invalid_request_error"}})


async def test_llm_failures_keep_their_kind_and_a_propose_with_nothing_proposed_is_an_error(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        loopback_llm.enqueue(DENIED)
        written = await call(client, "generate_file", {"path": "a.py", "prompt": "a function"})
        assert written.is_error and written.structured_content["error"] == "AuthenticationError"
        assert "the LLM call failed" in written.structured_content["message"]

        loopback_llm.enqueue(DENIED, DENIED)
        proposed = await call(client, "loop", {"step": "propose", "prompt": "two files", "path": ["b.py", "c.py"]})
        assert proposed.is_error and proposed.structured_content["error"] == "AuthenticationError"
        assert "0 of 2 block(s) proposed; failed: b.py:" in proposed.structured_content["message"]

        loopback_llm.enqueue(DENIED, Answer("```python\nX = 1\n```"))
        half = ok(await call(client, "loop", {"step": "propose", "prompt": "two files", "path": ["d.py", "e.py"]}))
        assert sorted(b.get("error_kind", "") for b in half["blocks"]) == ["", "AuthenticationError"]
    assert not (workspace / "a.py").exists()
