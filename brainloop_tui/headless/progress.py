"""Progress notifications for a tool call that generates: the loop's events, coalesced.

The event bus is shared by every call the server runs at once, so a call's reporter marks the context
its work runs in (the core's tasks inherit it) and ignores the events emitted by other calls' work.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType

from brainloop_tui.core.events import EventBus, LoopEvent

log = logging.getLogger(__name__)

SendProgress = Callable[[float, str], Awaitable[None]]

# Generation streams dozens of deltas a second: one notification per interval is plenty for a client.
PROGRESS_INTERVAL = 0.25

_reporting_call: contextvars.ContextVar[CallProgress | None] = contextvars.ContextVar("brainloop_mcp_call",
                                                                                       default=None)


def describe(event: LoopEvent) -> str:
    """One line about an event, e.g. `b-1a2b3c4d5e iteration 2: 57 tokens`."""
    where = " ".join(part for part in (event.block_id, f"iteration {event.iteration}" if event.iteration else None)
                     if part) or f"session {event.session_id}"
    if event.kind == "delta":
        return f"{where}: {event.completion_tokens or 0} tokens"
    return f"{where}: {event.status}" if event.status else where


class CallProgress:
    """While entered, turns the events of this call's work into `send(progress, message)` calls, at
    most one per `interval`. `progress` counts the events seen, so it grows with every notification."""

    def __init__(self, events: EventBus, send: SendProgress, interval: float = PROGRESS_INTERVAL) -> None:
        self._events = events
        self._send = send
        self._interval = interval
        self._seen = 0
        self._message = ""
        self._changed = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._mark: contextvars.Token[CallProgress | None] | None = None

    def _on_event(self, event: LoopEvent) -> None:
        if _reporting_call.get() is not self:
            return
        self._seen += 1
        self._message = describe(event)
        self._changed.set()

    async def _send_changes(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            try:
                await self._send(float(self._seen), self._message)
            except Exception:  # progress is a courtesy: the call goes on without it
                log.debug("progress notification not sent", exc_info=True)
                return
            await asyncio.sleep(self._interval)

    async def __aenter__(self) -> CallProgress:
        self._mark = _reporting_call.set(self)
        self._unsubscribe = self._events.subscribe(self._on_event)
        self._sender = asyncio.create_task(self._send_changes(), name="mcp-progress")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        # Nothing may follow the call's answer, so the sender stops before the answer is written.
        assert self._sender is not None and self._unsubscribe is not None and self._mark is not None
        self._unsubscribe()
        _reporting_call.reset(self._mark)
        self._sender.cancel()
        await asyncio.wait([self._sender])
