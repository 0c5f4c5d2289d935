"""`wait: false`: a proposal or a refine answers at once with its ids and status `generating` (an MCP
client's timeout cannot cut it), the generation goes on in the server, and `loop audit` reports its
progress and then its result — to this server's client and to another process's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from loopback_llm import Answer, LoopbackLLM
from mcp import Client, StdioServerParameters

from .mcp_helpers import call, mcp_client, ok, server_parameters
from .raw import WAIT_S

ADD = "```python\ndef add(a, b):\n    return a + b\n```"
TYPED_ADD = "```python\ndef add(a: int, b: int) -> int:\n    return a + b\n```"
PROPOSE = {"step": "propose", "prompt": "an add function", "path": "calc.py", "wait": False}


def stopping_soon(workspace: Path, llm: LoopbackLLM) -> StdioServerParameters:
    """A server whose model never answers in time, and which cancels its work 1 s after it is told to stop."""
    llm.enqueue(Answer(ADD, first_byte_delay=600))
    params = server_parameters(workspace, llm)
    assert params.env is not None
    params.env["BRAINLOOP_SHUTDOWN_DEADLINE"] = "1"
    return params


async def audit_until(client: Client, session_id: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    with anyio.fail_after(WAIT_S):
        while not done(audit := ok(await call(client, "loop", {"step": "audit", "session_id": session_id}))):
            await asyncio.sleep(0.05)
    return audit


async def test_propose_and_refine_without_waiting_report_progress_then_their_result(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    loopback_llm.enqueue(Answer(ADD, chunks=40, delay=0.1))  # about four seconds of streaming
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        started = ok(await call(client, "loop", PROPOSE))
        assert started["status"] == "generating" and "audit" in started["next"]
        (block,) = started["blocks"]
        assert block["path"] == "calc.py" and block["block_id"].startswith("b-")
        session_id = started["session_id"]

        streaming = await audit_until(client, session_id, lambda a: a.get("progress", {}).get("tokens", 0) > 0)
        assert streaming["status"] == "generating" and streaming["code"] is None
        assert streaming["progress"]["phase"] == "propose" and streaming["progress"]["iteration"] == 1
        assert streaming["progress"]["elapsed_s"] >= 0

        proposed = await audit_until(client, session_id, lambda a: a["status"] == "proposed")
        assert "return a + b" in proposed["code"] and "progress" not in proposed

        loopback_llm.enqueue(Answer(TYPED_ADD))
        refining = ok(await call(client, "loop", {"step": "refine", "session_id": session_id,
                                                   "feedback": "type it", "wait": False}))
        assert refining["status"] == "generating" and refining["block_id"] == block["block_id"]
        refined = await audit_until(client, session_id, lambda a: a["iteration"] == 2 and a["status"] == "refined")
        assert "a: int" in refined["code"]
    assert not (workspace / "calc.py").exists()  # nothing is written before a commit


async def test_a_generation_cut_by_the_servers_stop_ends_cancelled_and_the_next_audit_says_so(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    async with mcp_client(stopping_soon(workspace, loopback_llm), tmp_path / "err.log") as client:
        session_id = ok(await call(client, "loop", PROPOSE))["session_id"]
        with anyio.fail_after(WAIT_S):
            while not loopback_llm.chat_requests():  # the model is answering
                await asyncio.sleep(0.05)
    # the client left: the server stopped, waited its deadline for the generation, then cancelled it
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        audit = ok(await call(client, "loop", {"step": "audit", "session_id": session_id}))
    assert audit["status"] == "cancelled" and "progress" not in audit
    assert audit["history"][0].startswith("1 propose cancelled")


async def test_a_block_another_process_generates_is_audited_as_generating(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    async with mcp_client(stopping_soon(workspace, loopback_llm), tmp_path / "a.log") as first:
        session_id = ok(await call(first, "loop", PROPOSE))["session_id"]
        async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "b.log") as second:
            audit = await audit_until(second, session_id, lambda a: "progress" in a)
    assert audit["status"] == "generating" and audit["progress"]["phase"] == "propose"
    assert "tokens" not in audit["progress"]  # counted only by the process that streams it


async def test_wait_false_with_several_candidates_keeps_them_all(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    loopback_llm.enqueue(Answer(ADD), Answer(ADD.replace("a + b", "b + a")), Answer(ADD.replace("a + b", "sum((a, b))")))
    params = server_parameters(workspace, loopback_llm)
    assert params.env is not None
    params.env["BRAINLOOP_CANDIDATES"] = "3"
    async with mcp_client(params, tmp_path / "err.log") as client:
        session_id = ok(await call(client, "loop", PROPOSE))["session_id"]
        audit = await audit_until(client, session_id, lambda a: a["status"] == "proposed")
        assert "2 other answer(s)" in audit["candidates"]
        full = ok(await call(client, "loop", {"step": "audit", "session_id": session_id, "detail": "full"}))
        assert len(full["iterations"][0]["candidates"]) == 2
    assert len(loopback_llm.chat_requests()) == 3
