"""The workspace's conventions kept current for generation.

An extraction starts when a face is ready (after the workbench's first frame, after the MCP
handshake) and runs in a thread; every generation asks for a refresh that starts after its request
(so a file saved a moment ago counts) and waits for it a bounded time. A refresh is incremental (only
changed files are read), so on a known workspace it costs one walk of stats. When the wait runs out
(the first extraction of a large repository), the stored set is used, and the answer says so.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from brainloop_tui.core.db import Store
from brainloop_tui.core.patterns.model import Language, Pattern

if TYPE_CHECKING:  # the extractors (pygments lexers, pathspec) are imported by the first refresh
    from brainloop_tui.core.patterns.store import Refresh

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CurrentConventions:
    patterns: list[Pattern]
    current: bool  # False: the stored set, because the refresh did not finish in time (or failed)
    note: str  # for people: how current the set is


def _log_failure(task: asyncio.Task[Refresh]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.warning("extracting the conventions failed: %r", exc)


class Conventions:
    """One per open workspace; both faces reach it through the loop."""

    def __init__(self, store: Store, *, wait_s: float) -> None:
        self.store = store
        self.wait_s = wait_s
        self.last: Refresh | None = None
        self._running: asyncio.Task[Refresh] | None = None
        self._started_at = 0.0  # time.monotonic() when the running refresh started
        self._stop = threading.Event()

    def start(self) -> None:
        """Begin a refresh in the background unless one is running."""
        self._refresh()

    def _refresh(self) -> asyncio.Task[Refresh]:
        if self._running is None or self._running.done():
            self._started_at = time.monotonic()
            self._running = asyncio.create_task(self._extract(), name="conventions")
            self._running.add_done_callback(_log_failure)
        return self._running

    async def _extract(self) -> Refresh:
        from brainloop_tui.core.patterns.store import extract_patterns

        started = time.monotonic()
        refresh = await extract_patterns(self.store, stop=self._stop)
        self.last = refresh
        log.info("conventions: %d file(s) seen, %d read, %d pattern(s), %.2f s", refresh.seen, refresh.read,
                 len(refresh.patterns), time.monotonic() - started)
        return refresh

    async def current(self, language: Language | None) -> CurrentConventions:
        """The conventions of `language` as of a refresh started after this call, if it ends within
        `wait_s`; else the stored set."""
        from brainloop_tui.core.patterns.store import load_patterns

        asked = time.monotonic()
        deadline = asked + self.wait_s
        problem = None
        while problem is None:
            task = self._refresh()
            fresh = self._started_at >= asked
            done, _ = await asyncio.wait({task}, timeout=max(deadline - time.monotonic(), 0))
            if not done:
                problem = "the extraction is still running"
            elif task.cancelled():
                problem = "the extraction was stopped"
            elif task.exception() is not None:
                problem = f"the extraction failed ({task.exception()})"
            elif fresh:
                return CurrentConventions(await load_patterns(self.store, language), True, "current")
            # else: it started before this request and may have missed a change: one more, started now
        patterns = await load_patterns(self.store, language)
        return CurrentConventions(patterns, False, f"the set stored earlier ({len(patterns)} pattern(s)): {problem}")

    async def close(self) -> None:
        """Stop a running refresh (its walk ends at the next file)."""
        self._stop.set()
        if self._running is not None and not self._running.done():
            self._running.cancel()
            await asyncio.gather(self._running, return_exceptions=True)
