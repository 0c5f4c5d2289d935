"""A server killed with -9 while it generates leaves an iteration streaming; the next server to open the
workspace ends it as interrupted and puts its block back, so nothing stays `generating` forever."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
from pathlib import Path

from loopback_llm import Answer, LoopbackLLM

from .mcp_helpers import call, mcp_client, ok, server_parameters

FIRST = "def add(a: int, b: int) -> int:\n    return a + b\n"


def streaming_worker_pid(workspace: Path) -> int | None:
    """The pid of the worker generating an iteration now, once one is streaming."""
    state = workspace / ".brainloop"
    with contextlib.closing(sqlite3.connect(state / "lifecycle.db")) as lifecycle:
        row = lifecycle.execute("SELECT worker_id FROM iterations WHERE status = 'streaming'").fetchone()
    if row is None:
        return None
    with contextlib.closing(sqlite3.connect(state / "output.db")) as output:
        return output.execute("SELECT pid FROM heartbeat WHERE worker_id = ?", row).fetchone()[0]


async def test_an_iteration_left_streaming_by_a_killed_server_is_ended_when_the_next_one_opens(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    loopback_llm.enqueue(Answer(f"```python\n{FIRST}```"))
    params = server_parameters(workspace, loopback_llm)
    async with mcp_client(params, tmp_path / "err.log") as client:
        session = ok(await call(client, "loop", {"step": "propose", "prompt": "add", "path": "calc.py"}))["session_id"]
    loopback_llm.enqueue(Answer("```python\nnever finished\n```", first_byte_delay=600))
    with contextlib.suppress(Exception, BaseExceptionGroup):  # the client of a killed server fails: expected
        async with mcp_client(params, tmp_path / "err.log") as doomed:
            refine = asyncio.create_task(call(doomed, "loop", {"step": "refine", "session_id": session,
                                                                "feedback": "name it plus"}))
            # killed while the model is answering (its request arrived), not before
            while (pid := streaming_worker_pid(workspace)) is None or len(loopback_llm.chat_requests()) < 2:
                await asyncio.sleep(0.05)
            os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                await refine

    async with mcp_client(params, tmp_path / "err.log") as client:
        audit = ok(await call(client, "loop", {"step": "audit", "session_id": session}))
        assert audit["status"] == "proposed" and audit["iteration"] == 1
        assert audit["history"][0] == "1 propose done, 0 errors"
        assert audit["history"][1].startswith("2 refine failed: interrupted: the worker generating it (mcp-")
        assert audit["code"] == FIRST
        # the block is usable again: a refine runs and finishes
        loopback_llm.enqueue(Answer(f"```python\n{FIRST.replace('add', 'plus')}```"))
        refined = ok(await call(client, "loop", {"step": "refine", "session_id": session, "feedback": "name it plus"}))
        assert refined["iteration"] == 3
