"""The worker runtime: heartbeat, poison pill, and the three-phase shutdown of a real process."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from brainloop_tui.core.config import Settings
from brainloop_tui.core.db import Store
from brainloop_tui.core.runtime import ShuttingDown, Worker, send_poison_pill

FAST = Settings(heartbeat_interval=0.05, poison_pill_interval=0.05, shutdown_deadline=2)


async def heartbeat(store: Store, worker: Worker) -> sqlite3.Row:
    return await store.output.fetchone("SELECT * FROM heartbeat WHERE worker_id = ?", (worker.id,))


async def test_heartbeat_rows_follow_the_worker(workspace: Path) -> None:
    store = await Store.open(workspace)
    worker = Worker(store, FAST, "mcp")
    await worker.start()
    first = await heartbeat(store, worker)
    assert (first["status"], first["face"], first["pid"] > 0) == ("running", "mcp", True)
    await asyncio.sleep(0.3)
    assert (await heartbeat(store, worker))["updated_at"] > first["updated_at"]
    reader = await Store.open(workspace)  # the store of the worker is closed by its shutdown
    await worker.shutdown()
    row = await heartbeat(reader, worker)
    events = [r[0] for r in await reader.metadata.fetchall("SELECT event FROM telemetry_events ORDER BY id")]
    await reader.close()
    assert row["status"] == "stopped"
    assert events == ["startup", "shutdown"]


async def test_heartbeat_counts_sessions_and_cache_hit_rate(workspace: Path) -> None:
    store = await Store.open(workspace)
    await store.lifecycle.executemany(
        "INSERT INTO sessions (id, title, prompt, origin, status, created_at, updated_at) VALUES (?, 't', 'p', 'tui', ?, 0, 0)",
        [("a", "active"), ("b", "committed"), ("c", "committed")],
    )
    await store.output.executemany(
        "INSERT INTO metrics (name, value, created_at) VALUES (?, 1, 0)",
        [("reader_cache_hit",), ("reader_cache_miss",)],
    )
    worker = Worker(store, FAST, "tui")
    await worker.start()
    row = await heartbeat(store, worker)
    assert (row["sessions_active"], row["sessions_completed"], row["cache_hit_rate"]) == (1, 2, 0.5)
    await worker.shutdown()


async def test_a_poison_pill_for_this_worker_or_for_all_stops_it(workspace: Path) -> None:
    for target in ("me", None):
        store = await Store.open(workspace)
        worker = Worker(store, FAST, "cli")
        await worker.start()
        await send_poison_pill(store, worker.id if target else None, "test")
        await asyncio.wait_for(worker.stop_requested.wait(), timeout=5)
        assert "poison pill" in worker.stop_reason
        await worker.shutdown()


async def test_a_pill_for_another_worker_or_from_before_start_is_ignored(workspace: Path) -> None:
    store = await Store.open(workspace)
    await send_poison_pill(store, None, "old")
    worker = Worker(store, FAST, "cli")
    await worker.start()
    await send_poison_pill(store, "someone-else")
    await asyncio.sleep(0.3)
    assert not worker.stop_requested.is_set()
    await worker.shutdown()


async def test_shutdown_finishes_work_within_the_deadline_and_cancels_the_rest(workspace: Path) -> None:
    worker = Worker(await Store.open(workspace), FAST, "cli")
    await worker.start()
    quick = worker.submit(asyncio.sleep(0.05, result="done"))
    slow = worker.submit(asyncio.sleep(60))
    await worker.shutdown(deadline=0.3)
    assert quick.result() == "done"
    assert slow.cancelled()
    with pytest.raises(ShuttingDown):
        worker.submit(asyncio.sleep(0))


async def test_run_returns_when_the_face_ends_and_raises_its_error(workspace: Path) -> None:
    async def failing_face() -> None:
        raise RuntimeError("face broke")

    worker = Worker(await Store.open(workspace), FAST, "cli")
    with pytest.raises(RuntimeError, match="face broke"):
        await worker.run(failing_face())
    assert worker.status == "stopped"


def start_worker_process(workspace: Path) -> tuple[subprocess.Popen[str], str]:
    script = Path(__file__).with_name("run_worker.py")
    proc = subprocess.Popen([sys.executable, str(script), str(workspace)], stdout=subprocess.PIPE, text=True)
    worker_id = proc.stdout.readline().strip()  # printed once the worker runs
    assert worker_id, "the worker process did not start"
    return proc, worker_id


def heartbeat_in_main_file(workspace: Path, tmp_path: Path, worker_id: str) -> tuple[str, str]:
    """Read output.db without its -wal: only what was checkpointed into the main file is seen."""
    copy = tmp_path / "checkpointed.db"
    shutil.copy(workspace / ".brainloop" / "output.db", copy)
    conn = sqlite3.connect(copy)
    row = conn.execute("SELECT status, face FROM heartbeat WHERE worker_id = ?", (worker_id,)).fetchone()
    conn.close()
    return row


@pytest.mark.parametrize("stop_with", ["SIGTERM", "SIGINT", "poison pill"])
def test_a_real_process_shuts_down_cleanly(workspace: Path, tmp_path: Path, stop_with: str) -> None:
    # Another connection stays open on output.db, as a TUI would: the worker's last close then does not
    # checkpoint by itself, so the row in the main file proves the explicit wal_checkpoint(RESTART).
    proc, worker_id = start_worker_process(workspace)
    onlooker = sqlite3.connect(workspace / ".brainloop" / "output.db")
    try:
        if stop_with == "poison pill":
            stop = [sys.executable, "-m", "brainloop_tui", "stop", "--worker", worker_id, "-w", str(workspace)]
            assert subprocess.run(stop, capture_output=True, check=True, text=True).stdout.startswith("asked worker")
        else:
            proc.send_signal(getattr(signal, stop_with))
        assert proc.wait(timeout=30) == 0
        assert heartbeat_in_main_file(workspace, tmp_path, worker_id) == ("stopped", "cli")
    finally:
        onlooker.close()
        if proc.poll() is None:
            proc.kill()
