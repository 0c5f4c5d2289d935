"""Incremental Server-Sent Events decoding (the WHATWG event-stream format) over raw bytes.

Bytes go in as they arrive from the socket; complete events come out. Lines end in LF, CR or CRLF
(a CRLF may be split across two reads); `:` lines are comments; several `data:` lines make one event
joined by LF; a blank line ends an event. Data stays bytes: the caller decodes it, which is where an
undecodable chunk is caught.

Line ends are first made LF, then the buffer is cut at blank lines, so that the usual event, one
`data:` line, costs a split and a slice rather than a trip through a per-line loop.
"""

from __future__ import annotations

# (event type, data): a plain tuple, not a NamedTuple, whose Python-level constructor would cost more
# than the rest of decoding an event. The type is b"" when the server named none.
SSEEvent = tuple[bytes, bytes]


class SSEDecoder:
    __slots__ = ("_pending", "_skip_lf")

    def __init__(self) -> None:
        self._pending = b""  # the start of an event whose blank line has not arrived yet
        self._skip_lf = False  # the last read ended in CR: a LF opening the next read belongs to it

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """The events completed by `chunk`."""
        if not chunk:
            return []
        if self._skip_lf and chunk[:1] == b"\n":
            chunk = chunk[1:]
        self._skip_lf = chunk[-1:] == b"\r"
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        blocks = (self._pending + chunk).split(b"\n\n")
        self._pending = blocks.pop()
        events = []
        for block in blocks:
            if block.startswith(b"data:") and b"\n" not in block:
                events.append((b"", block[6:] if block[5] == 32 else block[5:]))  # 32: the optional space
            elif block:
                event = _parse_block(block.split(b"\n"))
                if event is not None:
                    events.append(event)
        return events

    def close(self) -> list[SSEEvent]:
        """At the end of the stream: a last event that ended with its line but without a blank line
        is delivered (servers do that); an event cut inside a line is not."""
        pending, self._pending = self._pending, b""
        if not pending.endswith(b"\n"):
            return []
        event = _parse_block(pending.split(b"\n"))
        return [] if event is None else [event]


def _parse_block(lines: list[bytes]) -> SSEEvent | None:
    """One event from its lines (blank lines among them only separate nothing)."""
    data: list[bytes] = []
    name = b""
    for line in lines:
        if not line or line[0] == 58:  # ":" starts a comment (keep-alive pings)
            continue
        field, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if field == b"data":
            data.append(value)
        elif field == b"event":
            name = value
        # "id" and "retry" are for reconnecting, which a completion stream never does.
    return (name, b"\n".join(data)) if data else None
