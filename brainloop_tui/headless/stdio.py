"""Two things the SDK's stdio transport leaves out.

* It drops a line that is not a JSON-RPC message without a word; JSON-RPC 2.0 wants an answer (a parse
  error, or an invalid request) with id null.
* It reads stdin in a thread that cannot be interrupted, so a server asked to stop (SIGTERM, a poison
  pill) would wait for the client's next line. Here the event loop reads it, and a stop is a stop.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING

import anyio
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError
from pydantic import ValidationError

if TYPE_CHECKING:
    from mcp.shared._stream_protocols import ReadStream, WriteStream

log = logging.getLogger(__name__)

# A longer line is answered as unreadable rather than buffered without bound.
MAX_LINE_BYTES = 32 * 1024 * 1024


@asynccontextmanager
async def claimed_stdin() -> AsyncIterator[AsyncIterator[str]]:
    """The lines of stdin. Meanwhile fd 0 reads as empty, so nothing else (a child process) takes the
    client's bytes; it is given back, blocking as before, on exit."""
    wire = os.dup(0)
    empty = os.open(os.devnull, os.O_RDONLY)
    os.dup2(empty, 0)
    os.close(empty)
    lines = _lines(wire)
    try:
        yield lines
    finally:
        await lines.aclose()
        os.set_blocking(wire, True)  # the event loop made it non-blocking: a terminal must not stay so
        os.dup2(wire, 0)
        os.close(wire)


async def _lines(fd: int) -> AsyncIterator[str]:
    reader = asyncio.StreamReader(limit=MAX_LINE_BYTES)
    pipe = os.fdopen(os.dup(fd), "rb", buffering=0)
    try:
        transport, _ = await asyncio.get_running_loop().connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), pipe)
    except ValueError:  # a regular file (`< requests.jsonl`): reading it never blocks, a thread will do
        with pipe, open(pipe.fileno(), encoding="utf-8", errors="replace", closefd=False) as text:
            async for line in anyio.wrap_file(text):
                yield line
        return
    try:
        while True:
            try:
                line = await reader.readline()
            except ValueError:
                log.warning("a stdin line is longer than %d bytes: answered as unreadable", MAX_LINE_BYTES)
                yield "\n"
                continue
            if not line:
                return
            yield line.decode("utf-8", errors="replace")
    finally:
        transport.close()


def error_for(problem: Exception) -> ErrorData:
    """-32700 for a line that is not JSON; -32600 for JSON that is not a JSON-RPC message."""
    if isinstance(problem, ValidationError):
        unreadable = [e for e in problem.errors(include_url=False) if e["type"] == "json_invalid"]
        if unreadable:
            return ErrorData(code=PARSE_ERROR, message="Parse error: the line is not JSON",
                             data=unreadable[0]["msg"])
    return ErrorData(code=INVALID_REQUEST, message="Invalid Request: the line is JSON but not a JSON-RPC 2.0 message")


class AnswerUnreadableLines:
    """The stdio read stream, minus the lines that are not JSON-RPC messages: each of those is answered
    here on the write stream, and reading goes on."""

    def __init__(self, inner: ReadStream[SessionMessage | Exception], write: WriteStream[SessionMessage]) -> None:
        self._inner = inner
        self._write = write

    @property
    def last_context(self) -> object:
        # The SDK restores the sender's contextvars from here, when the stream it reads carries them.
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> SessionMessage | Exception:
        while True:
            item = await self._inner.receive()
            if not isinstance(item, Exception):
                return item
            await self._answer(item)

    async def _answer(self, problem: Exception) -> None:
        error = error_for(problem)
        log.warning("answered an unreadable stdin line with JSON-RPC error %d", error.code)
        try:
            await self._write.send(SessionMessage(JSONRPCError(jsonrpc="2.0", id=None, error=error)))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            log.debug("the error answer was dropped: the connection is closing")

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __aiter__(self) -> AnswerUnreadableLines:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> AnswerUnreadableLines:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()
