"""`--transport http`: streamable HTTP on 127.0.0.1, for agents in other processes (and the official
conformance suite), with both protocol eras; SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
from pathlib import Path

from mcp import Client

from brainloop_tui.core.actions import ACTION_NAMES

from .mcp_helpers import call, ok, refused, server_parameters, spawn

WAIT_S = 30  # a bound for what must happen eventually, never a performance goal
LISTENING = re.compile(r"serving MCP on (http://127\.0\.0\.1:\d+/mcp)")


async def listening_url(errlog: Path, process: asyncio.subprocess.Process) -> str:
    while not (found := LISTENING.search(errlog.read_text(encoding="utf-8"))):
        assert process.returncode is None, errlog.read_text(encoding="utf-8")
        await asyncio.sleep(0.05)
    return found.group(1)


async def test_streamable_http_on_loopback(project: Path, tmp_path: Path) -> None:
    params = server_parameters(project, extra_args=("--transport", "http", "--port", "0"))
    errlog = tmp_path / "server.err"
    with errlog.open("ab") as err:
        process = await spawn(params, stdin=asyncio.subprocess.DEVNULL, stderr=err)
    try:
        url = await asyncio.wait_for(listening_url(errlog, process), WAIT_S)
        for mode in ("legacy", "auto"):
            async with Client(url, mode=mode) as client:
                (tool,) = (await client.list_tools()).tools
                assert tool.input_schema["properties"]["action"]["enum"] == list(ACTION_NAMES)
                assert ok(await call(client, "read_markdown", {"path": "README.md"}))["path"] == "README.md"
                assert "outside the workspace" in refused(await call(client, "read_code", {"path": "../x.py"}))
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), WAIT_S) == 0
        assert await process.stdout.read() == b""
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert "Traceback" not in errlog.read_text(encoding="utf-8")


async def test_a_port_in_use_is_said(project: Path, tmp_path: Path) -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    params = server_parameters(project, extra_args=("--transport", "http", "--port", str(port)))
    try:
        process = await spawn(params, stdin=asyncio.subprocess.DEVNULL)
        out, err = await asyncio.wait_for(process.communicate(), WAIT_S)
    finally:
        taken.close()
    assert process.returncode == 1 and out == b""
    assert f"cannot listen on 127.0.0.1:{port}" in err.decode() and b"Traceback" not in err
