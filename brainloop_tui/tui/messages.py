"""Core events as Textual messages.

The core calls its listeners synchronously in the task doing the work, so the listener here only
posts a message (widgets are touched by message handlers, never from the emitting task). Deltas can
arrive thousands of times a second: they are queued in a `StreamBuffer` and one `StreamFlush` is
posted for however many arrived before the UI got round to drawing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from textual.message import Message

from brainloop_tui.core.events import LoopEvent


class LoopChanged(Message):
    """A session, block or iteration changed state (in this process)."""

    def __init__(self, event: LoopEvent) -> None:
        super().__init__()
        self.event = event


class StreamFlush(Message):
    """Deltas are waiting in the stream buffer."""


class ExternalChange(Message):
    """Another process wrote to the workspace's loop state."""


@dataclass
class StreamChunk:
    """What one block streamed since the last flush."""

    iteration: int
    text: str = ""
    reasoning: str = ""
    deltas: int = 0  # deltas received so far in this iteration (the core's running count)


@dataclass
class StreamBuffer:
    pending: dict[str, StreamChunk] = field(default_factory=dict)
    flush_posted: bool = False

    def add(self, event: LoopEvent) -> bool:
        """Queue a delta; True when a flush message must be posted for it."""
        if event.block_id is None or event.iteration is None:
            return False
        chunk = self.pending.get(event.block_id)
        if chunk is None or chunk.iteration != event.iteration:
            chunk = self.pending[event.block_id] = StreamChunk(event.iteration)
        chunk.text += event.text
        chunk.reasoning += event.reasoning
        chunk.deltas = event.completion_tokens or chunk.deltas + 1
        if self.flush_posted:
            return False
        self.flush_posted = True
        return True

    def drain(self) -> dict[str, StreamChunk]:
        drained, self.pending, self.flush_posted = self.pending, {}, False
        return drained


def core_listener(post: Callable[[Message], object], buffer: StreamBuffer) -> Callable[[LoopEvent], None]:
    """The event-bus listener: posts `LoopChanged`, or queues a delta and posts `StreamFlush`."""

    def listen(event: LoopEvent) -> None:
        if event.kind != "delta":
            post(LoopChanged(event))
        elif buffer.add(event):
            post(StreamFlush())

    return listen
