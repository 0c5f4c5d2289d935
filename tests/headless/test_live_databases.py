"""`read_sqlite` over MCP on a WAL database that another program writes, then on the WAL it leaves when
it is killed: the rows in the -wal are shown both times, and no byte of the three files changes."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from .mcp_helpers import call, mcp_client, ok, server_parameters

# A program that keeps its database open and commits on request, never checkpointing.
WRITER = """\
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA wal_autocheckpoint=0")
conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, what TEXT)")
for line in sys.stdin:
    conn.execute("INSERT INTO events (what) VALUES (?)", (line.strip(),))
    print("committed", flush=True)
"""


def hashes(path: Path) -> dict[str, str]:
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return {file.name: hashlib.sha256(file.read_bytes()).hexdigest() for file in files}


def commit(writer: subprocess.Popen[str], what: str) -> None:
    assert writer.stdin is not None and writer.stdout is not None
    writer.stdin.write(what + "\n")
    writer.stdin.flush()
    assert writer.stdout.readline().strip() == "committed"


async def test_a_written_then_abandoned_wal_is_read_whole_and_left_untouched(workspace: Path, tmp_path: Path) -> None:
    path = workspace / "events.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        async with mcp_client(server_parameters(workspace), tmp_path / "server.err") as client:
            commit(writer, "opened")
            live = ok(await call(client, "read_sqlite", {"path": "events.db", "detail": "full"}))
            assert live["structure"]["tables"][0]["row_count"] == 1

            commit(writer, "paid")
            os.kill(writer.pid, signal.SIGKILL)
            writer.wait()
            before = hashes(path)
            abandoned = ok(await call(client, "read_sqlite", {"path": "events.db", "detail": "full"}))
            assert hashes(path) == before
            (events,) = abandoned["structure"]["tables"]
            assert events["row_count"] == 2
            assert [row["what"] for row in events["sample_rows"]] == ["opened", "paid"]
            assert any("writer that is gone" in warning for warning in abandoned["warnings"])
    finally:
        writer.kill()
        writer.wait()
