"""The workspace's state lost or refused under a running server: `.brainloop/` (or one database)
deleted, and a disk that refuses writes. Each is a clear error, never an internal one, and nothing is
recorded into a file that is gone."""

from __future__ import annotations

import resource
import shutil
import signal
import sqlite3
from pathlib import Path

import pytest

from .raw import raw_server

# Files the server may write grow past this (its databases start near 300 KB): a disk that is full.
FILE_SIZE_LIMIT = 600_000


def delete_state(workspace: Path, whole: bool) -> None:
    folder = workspace / ".brainloop"
    if whole:
        shutil.rmtree(folder)
        return
    for suffix in ("", "-wal", "-shm"):
        (folder / f"lifecycle.db{suffix}").unlink(missing_ok=True)


@pytest.mark.parametrize("whole", [False, True], ids=["lifecycle.db", ".brainloop"])
async def test_state_deleted_under_a_running_server_stops_it_with_the_reason(project: Path, tmp_path: Path,
                                                                            whole: bool) -> None:
    """The next heartbeat notices, and the server stops with the reason (status 1) while its client is
    still connected, rather than carrying on into a deleted file and losing every session at exit."""
    errlog = tmp_path / "server.err"
    async with raw_server(project, errlog, env={"BRAINLOOP_HEARTBEAT_INTERVAL": "0.2"}) as server:
        await server.handshake()
        assert not (await server.call("list_actions"))["isError"]
        delete_state(project, whole)
        assert await server.exit_code() == 1
    err = errlog.read_text(encoding="utf-8")
    assert "deleted or replaced while Brainloop was running" in err and "Traceback" not in err


async def test_a_call_after_the_state_was_deleted_is_refused_and_the_server_stops(project: Path,
                                                                                   tmp_path: Path) -> None:
    # no heartbeat during the test: the call is what finds it
    async with raw_server(project, tmp_path / "server.err", env={"BRAINLOOP_HEARTBEAT_INTERVAL": "3600"}) as server:
        await server.handshake()
        assert not (await server.call("list_actions"))["isError"]
        delete_state(project, whole=True)
        refused = await server.call("read_markdown", {"path": "README.md"})
        assert refused["isError"] and refused["structuredContent"]["error"] == "StoreError", refused
        assert "output.db" in refused["content"][0]["text"]
        assert await server.exit_code() == 1
    assert not (project / ".brainloop").exists()  # nothing came back half-made


def full_disk() -> None:
    """In the server's process: writes past FILE_SIZE_LIMIT fail (EFBIG) as on a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


async def test_a_full_disk_is_a_clear_error_that_records_nothing(project: Path, tmp_path: Path) -> None:
    errlog = tmp_path / "server.err"
    async with raw_server(project, errlog, preexec_fn=full_disk) as server:
        await server.handshake()
        for action, params in (("generate_file", {"path": "big.py", "prompt": "x" * 900_000}),
                               ("loop", {"step": "propose", "path": "big.py", "prompt": "y" * 900_000})):
            refused = await server.call(action, params)
            assert refused["isError"] and refused["structuredContent"]["error"] == "StoreError", refused
            assert "lifecycle.db" in refused["content"][0]["text"] and "disk" in refused["content"][0]["text"]
        # small work still goes on
        assert (await server.call("read_markdown", {"path": "README.md"}))["structuredContent"]["path"] == "README.md"
        server.process.stdin.close()
        assert await server.exit_code() == 0
    assert "Traceback" not in errlog.read_text(encoding="utf-8")
    with sqlite3.connect(project / ".brainloop" / "lifecycle.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    assert not (project / "big.py").exists()
