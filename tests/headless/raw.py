"""The server as a bare process, spoken to in raw JSON-RPC lines over its stdin and stdout."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from loopback_llm import LoopbackLLM

from .mcp_helpers import server_parameters, spawn

WAIT_S = 30  # a bound for what must happen eventually, never a performance goal

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                         "clientInfo": {"name": "raw-test", "version": "1"}}}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}

class RawServer:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self._next_id = 100

    async def send(self, message: dict[str, Any] | bytes) -> None:
        assert self.process.stdin is not None
        line = message if isinstance(message, bytes) else json.dumps(message).encode()
        self.process.stdin.write(line + b"\n")
        await self.process.stdin.drain()

    async def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), WAIT_S)
        assert line.endswith(b"\n"), line
        return json.loads(line)  # anything else on stdout fails here

    async def exchange(self, message: dict[str, Any] | bytes) -> dict[str, Any]:
        await self.send(message)
        return await self.receive()

    async def handshake(self) -> None:
        assert (await self.exchange(INITIALIZE))["result"]["serverInfo"]["name"] == "brainloop"
        await self.send(INITIALIZED)

    async def call(self, action: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._next_id += 1
        answer = await self.exchange({"jsonrpc": "2.0", "id": self._next_id, "method": "tools/call",
                                      "params": {"name": "brainloop", "arguments": {"action": action,
                                                                                     "params": params or {}}}})
        assert answer["id"] == self._next_id
        return answer["result"]

    async def exit_code(self) -> int:
        return await asyncio.wait_for(self.process.wait(), WAIT_S)


@asynccontextmanager
async def raw_server(workspace: Path, errlog: Path, llm: LoopbackLLM | None = None, cwd: Path | None = None,
                     env: dict[str, str] | None = None, preexec_fn: Callable[[], None] | None = None,
                     ) -> AsyncIterator[RawServer]:
    """The server as a process, its stderr appended to `errlog`; `env` adds to its environment."""
    params = server_parameters(workspace, llm)
    params.env = (params.env or {}) | (env or {})
    with errlog.open("ab") as err:
        process = await spawn(params, stderr=err, cwd=cwd, preexec_fn=preexec_fn)
    try:
        yield RawServer(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def heartbeat_status(workspace: Path) -> str:
    with sqlite3.connect(workspace / ".brainloop" / "output.db") as conn:
        (status,) = conn.execute("SELECT status FROM heartbeat WHERE face = 'mcp'").fetchone()
    return status
