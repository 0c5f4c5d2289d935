"""The worker runtime both faces run on (SPEC §8).

A `Worker` writes a heartbeat row every `heartbeat_interval` seconds, watches metadata.db for a poison
pill, turns SIGINT/SIGTERM into a stop request (and stops with an error when its databases were deleted
under it, found with each heartbeat and each unit of work), and shuts down in three phases: stop taking work
(`shutting_down`), finish or cancel ongoing work within a deadline, then checkpoint the WAL and close.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import socket
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Literal

from brainloop_tui.core.config import Settings
from brainloop_tui.core.db import Store, now
from brainloop_tui.core.errors import BrainloopError, StoreError
from brainloop_tui.core.llm import close_shared_client
from brainloop_tui.core.telemetry import cache_hit_rate, record_event

log = logging.getLogger(__name__)

Face = Literal["tui", "mcp", "cli"]
WorkerStatus = Literal["starting", "running", "shutting_down", "stopped"]


class ShuttingDown(BrainloopError):
    """Work was offered after the worker stopped taking it."""


def new_worker_id(face: Face) -> str:
    return f"{face}-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


STALE_BEATS = 3  # a worker that missed this many heartbeats in a row is gone


async def live_workers(store: Store, settings: Settings) -> set[str]:
    """The ids of the workers on the workspace that are running: not stopped, and with their process
    alive when on this machine (a busy one may beat late), else beating. A worker killed with -9 never
    says it stopped."""
    rows = await store.output.fetchall("SELECT worker_id, pid, status, updated_at FROM heartbeat")
    fresh_since = now() - STALE_BEATS * settings.heartbeat_interval
    host = socket.gethostname()

    def alive(row: Any) -> bool:
        if row["status"] == "stopped":
            return False
        if f"-{host}-{row['pid']}-" in row["worker_id"]:
            return _process_exists(row["pid"])
        return bool(row["updated_at"] >= fresh_since)

    return {row["worker_id"] for row in rows if alive(row)}


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


async def send_poison_pill(store: Store, worker_id: str | None = None, reason: str = "") -> None:
    """Ask one worker (or, with None, every worker running on the workspace) to shut down cleanly."""
    await store.metadata.execute(
        "INSERT INTO poisonpill (worker_id, reason, created_at) VALUES (?, ?, ?)", (worker_id, reason, now())
    )


class Worker:
    def __init__(self, store: Store, settings: Settings, face: Face, *, worker_id: str | None = None) -> None:
        self.store = store
        self.settings = settings
        self.face = face
        self.id = worker_id or new_worker_id(face)
        self.status: WorkerStatus = "starting"
        self.started_at = now()
        self.stop_requested = asyncio.Event()
        self.stop_reason = ""
        self.fatal: BrainloopError | None = None
        self._work: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._closers: list[Callable[[], Awaitable[None]]] = []

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        await self._beat()
        await record_event(self.store, "startup", {"face": self.face, "pid": os.getpid()}, worker_id=self.id)
        self._loops = [
            asyncio.create_task(self._every(self.settings.heartbeat_interval, self._beat), name="heartbeat"),
            asyncio.create_task(
                self._every(self.settings.poison_pill_interval, self._check_poison_pill), name="poison-pill"
            ),
        ]
        self.status = "running"
        await self._beat()

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.request_stop, signal.Signals(signum).name)

    def fail(self, error: BrainloopError) -> None:
        """Stop because of `error`: `run` raises it once the shutdown is over."""
        if self.fatal is None:
            self.fatal = error
        self.request_stop(str(error))

    def request_stop(self, reason: str) -> None:
        if not self.stop_requested.is_set():
            log.info("stop requested: %s", reason)
            self.stop_reason = reason
            self.stop_requested.set()

    def submit(self, work: Coroutine[Any, Any, Any], *, name: str | None = None) -> asyncio.Task[Any]:
        """Run `work` as tracked work: shutdown waits for it (up to the deadline) before closing."""
        if self.status not in ("starting", "running"):
            work.close()
            raise ShuttingDown("Brainloop is shutting down and takes no new work")
        try:
            self.store.check_intact()
        except StoreError as exc:
            work.close()
            self.fail(exc)
            raise
        task = asyncio.create_task(work, name=name)
        self._work.add(task)
        task.add_done_callback(self._work.discard)
        return task

    def on_shutdown(self, close: Callable[[], Awaitable[None]]) -> None:
        """`close` runs at shutdown once the work is over, before the databases close (background
        services: they are stopped, not waited for)."""
        self._closers.append(close)

    @property
    def active_work(self) -> int:
        return len(self._work)

    async def run(self, main: Coroutine[Any, Any, Any] | None = None) -> None:
        """Start, run `main` (the face) until it ends or a stop is requested, then shut down."""
        await self.start()
        face = asyncio.create_task(main) if main is not None else None
        stop = asyncio.create_task(self.stop_requested.wait())
        try:
            await asyncio.wait([t for t in (face, stop) if t is not None], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            await self.shutdown()
            if face is not None and not face.done():
                face.cancel()
                await asyncio.gather(face, return_exceptions=True)
        if face is not None and face.done() and not face.cancelled():
            face.result()  # the face's own error, if it failed
        if self.fatal is not None:
            raise self.fatal

    async def shutdown(self, deadline: float | None = None) -> None:
        """Three phases, bounded: stop taking work; finish or cancel it; checkpoint, close the databases and
        the HTTP connections."""
        if self.status == "stopped":
            return
        self.status = "shutting_down"
        await self._beat()
        deadline = self.settings.shutdown_deadline if deadline is None else deadline
        pending = set(self._work)
        if pending:
            log.info("waiting up to %.0f s for %d unit(s) of work", deadline, len(pending))
            _, pending = await asyncio.wait(pending, timeout=deadline)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for loop_task in self._loops:
            loop_task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        for close in self._closers:
            await close()
        self.status = "stopped"
        await self._beat()
        await record_event(
            self.store,
            "shutdown",
            {"reason": self.stop_reason or "face ended", "cancelled_work": len(pending)},
            worker_id=self.id,
        )
        await self.store.close(checkpoint=True)
        await close_shared_client()

    # -- background loops ------------------------------------------------------------------------

    async def _every(self, interval: float, action: Any) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await action()
            except asyncio.CancelledError:
                raise
            except BrainloopError as exc:  # a full disk, say: said, and the next round retries
                log.warning("background %s: %s", getattr(action, "__name__", action), exc)
            except Exception:  # a busy database must not kill the loop: the next round retries
                log.exception("background %s failed", getattr(action, "__name__", action))

    async def _beat(self) -> None:
        try:
            self.store.check_intact()
        except StoreError as exc:
            self.fail(exc)
            return
        row = await self.store.lifecycle.fetchone(
            "SELECT sum(status = 'active'), sum(status = 'committed') FROM sessions"
        )
        active, completed = (row[0] or 0, row[1] or 0) if row else (0, 0)
        await self.store.output.execute(
            "INSERT INTO heartbeat (worker_id, pid, face, status, sessions_active, sessions_completed, cache_hit_rate,"
            " started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (worker_id) DO UPDATE SET"
            " status = excluded.status, sessions_active = excluded.sessions_active,"
            " sessions_completed = excluded.sessions_completed, cache_hit_rate = excluded.cache_hit_rate,"
            " updated_at = excluded.updated_at",
            (self.id, os.getpid(), self.face, self.status, active, completed, await cache_hit_rate(self.store),
             self.started_at, now()),
        )

    async def _check_poison_pill(self) -> None:
        # A pill names this worker, or none (every worker); only pills sent after this worker started count,
        # so an old "stop everything" never stops a worker started later.
        pill = await self.store.metadata.fetchone(
            "SELECT id, reason FROM poisonpill WHERE consumed_at IS NULL AND created_at >= ?"
            " AND (worker_id IS NULL OR worker_id = ?) ORDER BY id LIMIT 1",
            (self.started_at, self.id),
        )
        if pill is None:
            return
        await self.store.metadata.execute(
            "UPDATE poisonpill SET consumed_at = ? WHERE id = ? AND worker_id IS NOT NULL", (now(), pill["id"])
        )
        self.request_stop(f"poison pill {pill['id']}" + (f": {pill['reason']}" if pill["reason"] else ""))
