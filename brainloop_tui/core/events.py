"""How the core tells its faces what is happening, without knowing who listens.

The TUI turns events into Textual messages, the MCP face into progress notifications. Listeners are
called synchronously in the emitting task, so they must be quick (post a message, put on a queue); a
listener that raises is logged and never breaks the work that emitted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel

log = logging.getLogger(__name__)


class LoopEvent(BaseModel):
    """Something changed in the loop. `kind` says what: a session or block changed state, an iteration
    started or ended, or a piece of the answer streamed in (`delta`, with `text` and `reasoning`)."""

    kind: Literal["session", "block", "iteration", "delta"]
    session_id: str
    block_id: str | None = None
    iteration: int | None = None
    status: str | None = None
    text: str = ""
    reasoning: str = ""
    completion_tokens: int | None = None  # with kind="delta": deltas received so far, a cheap progress count


Listener = Callable[[LoopEvent], None]


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Start calling `listener`; the returned function stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def emit(self, event: LoopEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener failed on %s", event.kind)
