"""`loop refine {code}`: an agent's own edit of a proposal becomes the next iteration without a model
call, goes through the same checks as an answer, and is what a commit writes. Bad code changes nothing."""

from __future__ import annotations

from pathlib import Path

from loopback_llm import Answer, LoopbackLLM

from .mcp_helpers import call, mcp_client, ok, refused, server_parameters
from .raw import raw_server

ADD = "def add(a, b):\n    return a - b\n"
FIXED = "def add(a: int, b: int) -> int:\n    return a + b\n"


async def test_an_agents_edit_is_an_iteration_checked_and_committed(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    loopback_llm.enqueue(Answer(f"```python\n{ADD}```"))
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        session_id = ok(await call(client, "loop", {"step": "propose", "prompt": "add", "path": "calc.py"}))["session_id"]

        broken = ok(await call(client, "loop", {"step": "refine", "session_id": session_id,
                                                 "code": "def add(a, b):\n    return a + c\n"}))
        assert broken["iteration"] == 2 and broken["status"] == "refined"
        assert any(d["source"] == "pyflakes" and "c" in d["message"] and d["line"] == 2 for d in broken["diagnostics"])

        edited = ok(await call(client, "loop", {"step": "refine", "session_id": session_id, "code": FIXED,
                                                 "feedback": "fixed the sign myself"}))
        assert edited["iteration"] == 3 and edited["code"] == FIXED and edited["diagnostics"] == []
        audit = ok(await call(client, "loop", {"step": "audit", "session_id": session_id}))
        assert audit["code"] == FIXED
        assert audit["history"][-1] == "3 agent edit done, 0 errors (agent: fixed the sign myself)"
        assert audit["history"][-2].startswith("2 agent edit done, 1 error (agent: edited by the agent)")
        (commit,) = ok(await call(client, "loop", {"step": "commit", "session_id": session_id}))["commits"]
        assert commit["status"] == "committed" and commit["iteration"] == 3
    assert (workspace / "calc.py").read_text(encoding="utf-8") == FIXED
    assert len(loopback_llm.chat_requests()) == 1  # only the proposal called the model


async def test_bad_edits_are_refused_and_record_nothing(workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    loopback_llm.enqueue(Answer(f"```python\n{ADD}```"))
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        session_id = ok(await call(client, "loop", {"step": "propose", "prompt": "add", "path": "calc.py"}))["session_id"]
        refine = {"step": "refine", "session_id": session_id}
        assert "empty" in refused(await call(client, "loop", {**refine, "code": "  \n"}))
        assert "unchanged" in refused(await call(client, "loop", {**refine, "code": ADD}))
        assert "NUL" in refused(await call(client, "loop", {**refine, "code": "x = 1\x00\n"}))
        assert "code" in refused(await call(client, "loop", {**refine, "code": "x" * 1_000_001}))
        assert "no session" in refused(await call(client, "loop", {"step": "refine", "session_id": "s-nope", "code": FIXED}))
        audit = ok(await call(client, "loop", {"step": "audit", "session_id": session_id}))
        assert audit["iteration"] == 1 and len(audit["history"]) == 1


async def test_code_that_is_not_unicode_text_is_refused(workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    """A lone surrogate (`\\ud800` in the JSON) is no text a file can hold (the SDK's client cannot even
    send it): the line is answered as not JSON, and nothing is recorded."""
    loopback_llm.enqueue(Answer(f"```python\n{ADD}```"))
    async with raw_server(workspace, tmp_path / "err.log", loopback_llm) as server:
        await server.handshake()
        proposed = await server.call("loop", {"step": "propose", "prompt": "add", "path": "calc.py"})
        session_id = proposed["structuredContent"]["session_id"]
        edit = await server.exchange({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
            "name": "brainloop", "arguments": {"action": "loop", "params": {
                "step": "refine", "session_id": session_id, "code": "x = '\ud800'\n"}}}})
        assert edit["error"]["code"] == -32700 and "not JSON" in edit["error"]["message"], edit
        audit = await server.call("loop", {"step": "audit", "session_id": session_id})
        assert audit["structuredContent"]["iteration"] == 1
