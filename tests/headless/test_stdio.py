"""The server as a process, spoken to in raw lines: what is not JSON-RPC gets a JSON-RPC error (with the
line's id when it has a usable one, else id null) and the server keeps serving; stdout carries JSON-RPC only; SIGTERM and the poison pill stop it
cleanly while its client is still connected, after finishing the call in flight."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from loopback_llm import Answer, LoopbackLLM

from brainloop_tui.core.db import Store
from brainloop_tui.core.runtime import send_poison_pill

from .mcp_helpers import make_project, server_parameters, spawn
from .raw import INITIALIZE, INITIALIZED, WAIT_S, RawServer, heartbeat_status, raw_server

NOT_JSON = [b"hello", b"{", b'{"jsonrpc": "2.0", "id": 3', b"\x00\xff\xfe", b"", b"   ", b"x" * 200_000, b"{'a': 1}"]
JSON_BUT_NOT_JSON_RPC = [b"[]", b"42", b'"ping"', b"null", b'{"id": 5}', b'{"jsonrpc": "1.0", "id": 1, "method": "ping"}',
                         b'{"jsonrpc": "2.0", "id": 1, "method": 7}']


async def test_lines_that_are_not_json_rpc_get_errors_and_the_server_goes_on(project: Path, tmp_path: Path) -> None:
    async with raw_server(project, tmp_path / "server.err") as server:
        assert (await server.exchange(b"before the handshake"))["error"]["code"] == -32700
        await server.handshake()
        for line in NOT_JSON:
            answer = await server.exchange(line)
            assert answer["id"] is None and answer["error"]["code"] == -32700, line
        for line in JSON_BUT_NOT_JSON_RPC:
            answer = await server.exchange(line)
            readable = json.loads(line).get("id") if line.startswith(b"{") else None  # answered with its id
            assert answer["id"] == readable and answer["error"]["code"] == -32600, line
        unknown = await server.exchange({"jsonrpc": "2.0", "id": 9, "method": "tools/nonsense"})
        assert (unknown["id"], unknown["error"]["code"]) == (9, -32601)
        assert (await server.call("read_markdown", {"path": "README.md"}))["structuredContent"]["path"] == "README.md"
        assert (await server.exchange({"jsonrpc": "2.0", "id": 10, "method": "ping"})) == {
            "jsonrpc": "2.0", "id": 10, "result": {}}
        server.process.stdin.close()
        assert await server.exit_code() == 0
        assert await server.process.stdout.read() == b""  # nothing but the answers, ever
    assert "Traceback" not in (tmp_path / "server.err").read_text(encoding="utf-8")
    assert heartbeat_status(project) == "stopped"


async def test_requests_with_unusable_ids_or_params_get_an_answer_with_the_id_when_it_is_readable(
        project: Path, tmp_path: Path) -> None:
    async with raw_server(project, tmp_path / "server.err") as server:
        await server.handshake()
        for bad_id in ('{"a": 1}', "[1]", "1.5", "true"):
            answer = await server.exchange(f'{{"jsonrpc": "2.0", "id": {bad_id}, "method": "ping"}}'.encode())
            assert (answer["id"], answer["error"]["code"]) == (None, -32600), bad_id
        for number, params in enumerate(("[1, 2]", '"x"', "7"), start=20):
            answer = await server.exchange(
                f'{{"jsonrpc": "2.0", "id": {number}, "method": "tools/call", "params": {params}}}'.encode())
            assert (answer["id"], answer["error"]["code"]) == (number, -32600), params
        lone = await server.exchange(b'{"jsonrpc": "2.0", "id": "s1", "method": "ping", "params": {"x": "\\ud800"}}')
        assert (lone["id"], lone["error"]["code"]) == ("s1", -32700)
        # the answers stay in step with the lines: a good request after them gets its own answer
        assert (await server.exchange({"jsonrpc": "2.0", "id": 30, "method": "ping"})) == {
            "jsonrpc": "2.0", "id": 30, "result": {}}
        assert (await server.call("read_markdown", {"path": "README.md"}))["structuredContent"]["path"] == "README.md"


async def test_a_client_that_leaves_at_once_ends_the_server_cleanly(project: Path, tmp_path: Path) -> None:
    """Requests, then stdin closed straight away: the workspace may still be opening, which must not
    be cut short by the requests that wait for it being dropped."""
    errlog = tmp_path / "server.err"
    async with raw_server(project, errlog) as server:
        for message in (INITIALIZE, INITIALIZED, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}):
            await server.send(message)
        server.process.stdin.close()
        assert await server.exit_code() == 0
        answers = [json.loads(line) for line in (await server.process.stdout.read()).splitlines()]
    assert [answer["id"] for answer in answers] == [1, 2]  # tools/list: answered, or "Connection closed"
    assert "Traceback" not in errlog.read_text(encoding="utf-8")
    assert heartbeat_status(project) == "stopped"


async def sigterm_during_generation(server: RawServer, llm: LoopbackLLM, path: str) -> dict[str, Any]:
    """Start a `generate_file` of `path`, send SIGTERM once the model is asked, and return the call's answer."""
    await server.handshake()
    await server.send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "brainloop", "arguments": {"action": "generate_file", "params": {"path": path, "prompt": "a flag"}}}})
    while not llm.chat_requests():  # the generation has started
        await asyncio.sleep(0.02)
    server.process.send_signal(signal.SIGTERM)
    return await server.receive()


async def test_sigterm_finishes_the_call_in_flight_then_stops(project: Path, tmp_path: Path,
                                                             loopback_llm: LoopbackLLM) -> None:
    loopback_llm.enqueue(Answer("ready = True\n", chunks=10, delay=0.1))
    async with raw_server(project, tmp_path / "server.err", loopback_llm) as server:
        answer = await sigterm_during_generation(server, loopback_llm, "ready.py")
        assert answer["id"] == 2 and not answer["result"]["isError"], answer
        assert await server.exit_code() == 0  # stdin is still open: the signal alone stops it
    assert (project / "ready.py").read_text(encoding="utf-8") == "ready = True\n"
    assert heartbeat_status(project) == "stopped"


async def test_a_poison_pill_stops_the_server(project: Path, tmp_path: Path) -> None:
    async with raw_server(project, tmp_path / "server.err") as server:
        await server.handshake()
        assert not (await server.call("list_actions"))["isError"]
        async with await Store.open(project) as store:
            await send_poison_pill(store, None, "test")
        assert await server.exit_code() == 0
    assert heartbeat_status(project) == "stopped"


@pytest.mark.parametrize(("args", "message"), [
    (("--port", "5000"), "--port goes with --headless --transport http"),
    (("--transport", "carrier-pigeon"), "invalid choice"),
])
async def test_bad_command_lines_are_refused(project: Path, args: tuple[str, ...], message: str) -> None:
    process = await spawn(server_parameters(project, extra_args=args))
    out, err = await asyncio.wait_for(process.communicate(), WAIT_S)
    assert process.returncode == 2 and out == b"" and message in err.decode()


def file_as_workspace(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "file.txt"
    folder.write_text("a file", encoding="utf-8")
    return folder, str(folder)


def corrupt_database(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "ws"
    (folder / ".brainloop").mkdir(parents=True)
    (folder / ".brainloop" / "lifecycle.db").write_bytes(b"this is not a database" * 100)
    return folder, "lifecycle.db"


def newer_database(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "ws"
    (folder / ".brainloop").mkdir(parents=True)
    with sqlite3.connect(folder / ".brainloop" / "output.db") as conn:
        conn.execute("PRAGMA user_version = 999")
    return folder, "newer than this Brainloop"


@contextmanager
def read_only_folder(folder: Path) -> Iterator[None]:
    """`folder` as its owner cannot write it: mode 555, or for root (whom modes do not stop) a read-only
    bind mount over it; skipped where neither holds."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True).returncode == 0
    if not mounted or subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)],
                                     capture_output=True).returncode != 0:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)
        pytest.skip("root here cannot make a read-only folder (no bind mount)")
    try:
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


async def test_a_workspace_whose_settings_cannot_be_read_is_said_and_the_server_exits(tmp_path: Path) -> None:
    """Before the server runs: a workspace that is a file has no settings to serve with."""
    workspace, named = file_as_workspace(tmp_path)
    errlog = tmp_path / "server.err"
    async with raw_server(workspace, errlog, cwd=tmp_path) as server:
        await server.send(INITIALIZE)
        assert await server.exit_code() == 1  # while its stdin is still open
    err = errlog.read_text(encoding="utf-8")
    assert named in err and "Traceback" not in err


@pytest.mark.parametrize("unusable", [corrupt_database, newer_database, "read-only"])
async def test_an_unusable_workspace_answers_the_handshake_then_every_call_with_why(tmp_path: Path, unusable) -> None:
    """The client that started the server learns why, in the call it makes, rather than seeing the
    pipe close; the server exits (status 1) when the client leaves, and no file that was there changed."""
    errlog = tmp_path / "server.err"
    with ExitStack() as stack:
        if unusable == "read-only":
            (tmp_path / "ws").mkdir()
            workspace, named = make_project(tmp_path / "ws"), "cannot create"
            stack.enter_context(read_only_folder(workspace))
        else:
            workspace, named = unusable(tmp_path)
        before = {path: path.read_bytes() for path in workspace.rglob("*") if path.is_file()}
        async with raw_server(workspace, errlog, cwd=tmp_path) as server:
            await server.handshake()
            listing = await server.exchange({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
            assert [tool["name"] for tool in listing["result"]["tools"]] == ["brainloop"]
            for action in ("list_actions", "explore"):
                result = await server.call(action)
                assert result["isError"] and named in result["content"][0]["text"], result
                assert result["structuredContent"]["error"] in ("WorkspaceError", "StoreError")
            server.process.stdin.close()
            assert await server.exit_code() == 1
        assert {path: path.read_bytes() for path in before} == before
    err = errlog.read_text(encoding="utf-8")
    assert named in err and "Traceback" not in err


async def test_stdin_from_dev_null_ends_the_server_cleanly(project: Path, tmp_path: Path) -> None:
    errlog = tmp_path / "server.err"
    with errlog.open("ab") as err:
        process = await spawn(server_parameters(project), stdin=subprocess.DEVNULL, stderr=err)
    assert await asyncio.wait_for(process.wait(), WAIT_S) == 0
    assert "Traceback" not in errlog.read_text(encoding="utf-8")
    assert heartbeat_status(project) == "stopped"


async def test_a_call_cut_short_by_the_shutdown_deadline_is_answered(project: Path, tmp_path: Path,
                                                                     loopback_llm: LoopbackLLM) -> None:
    """SIGTERM while a generation runs past `shutdown_deadline`: the generation is cancelled, and the
    call still gets its answer (an error saying so), not silence."""
    loopback_llm.enqueue(Answer("slow = True\n", chunks=200, delay=0.5))
    async with raw_server(project, tmp_path / "server.err", loopback_llm,
                          env={"BRAINLOOP_SHUTDOWN_DEADLINE": "1"}) as server:
        answer = await sigterm_during_generation(server, loopback_llm, "slow.py")
        assert answer["id"] == 2 and answer.get("result", {}).get("isError"), answer
        assert answer["result"]["structuredContent"]["error"] == "ShuttingDown", answer
        assert "SIGTERM" in answer["result"]["content"][0]["text"]
        assert await server.exit_code() == 0
    assert not (project / "slow.py").exists()
