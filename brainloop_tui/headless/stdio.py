"""Two things the SDK's stdio transport leaves out.

* It drops a line that is not a JSON-RPC message without a word; JSON-RPC 2.0 wants an answer (a parse
  error, or an invalid request), with the request's id when the line has a readable one (params that
  are not an object, a lone surrogate escape) and id null otherwise. A request whose id is an object or
  an array passes the SDK as a notification and would get no answer at all: it is refused here too.
  Each line is checked before the SDK reads it; the answer for each line the SDK will fail on waits in
  `StdinLines.answers`, in order, since the SDK fails lines in the order it reads them.
* It reads stdin in a thread that cannot be interrupted, so a server asked to stop (SIGTERM, a poison
  pill) would wait for the client's next line. Here the event loop reads it, and a stop is a stop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING

import anyio
from mcp.shared.message import SessionMessage
from mcp_types import (
    INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError, JSONRPCNotification, RequestId, jsonrpc_message_adapter,
)
from pydantic import ValidationError

if TYPE_CHECKING:
    from mcp.shared._stream_protocols import ReadStream, WriteStream

log = logging.getLogger(__name__)

# A longer line is answered as unreadable rather than buffered without bound.
MAX_LINE_BYTES = 32 * 1024 * 1024


UNREADABLE = "{\n"  # what the SDK is given in place of a line refused here: it fails to parse, as it must


class StdinLines:
    """The lines of stdin for the SDK, each checked first; `answers` holds, in order, the JSON-RPC
    error for each line the SDK will fail on."""

    def __init__(self, raw: AsyncGenerator[str, None]) -> None:
        self._raw = raw
        self.answers: deque[tuple[RequestId | None, ErrorData]] = deque()

    def __aiter__(self) -> StdinLines:
        return self

    async def __anext__(self) -> str:
        line = await anext(self._raw)
        try:
            message = jsonrpc_message_adapter.validate_json(line, by_name=False)
        except Exception as exc:  # whatever fails here fails the SDK's identical call: it gets this answer
            self.answers.append((_readable_id(line), error_for(exc)))
            return line
        if isinstance(message, JSONRPCNotification) and '"id"' in line and _has_unusable_id(line):
            self.answers.append((None, ErrorData(code=INVALID_REQUEST,
                                                 message="Invalid Request: an id is a string or an integer")))
            return UNREADABLE
        return line

    async def aclose(self) -> None:
        await self._raw.aclose()


def _decoded(line: str) -> object:
    try:
        return json.loads(line)
    except ValueError:
        return None


def _readable_id(line: str) -> RequestId | None:
    """The id of a request the SDK refuses, when the line is JSON with an id a reply can carry."""
    decoded = _decoded(line)
    found = decoded.get("id") if isinstance(decoded, dict) else None
    return found if _usable(found) else None


def _has_unusable_id(line: str) -> bool:
    """An id that is there, not null, and neither a string nor an integer (an object, an array, 1.5)."""
    decoded = _decoded(line)
    return isinstance(decoded, dict) and decoded.get("id") is not None and not _usable(decoded["id"])


def _usable(found: object) -> bool:
    return isinstance(found, str | int) and not isinstance(found, bool)


@asynccontextmanager
async def claimed_stdin() -> AsyncIterator[StdinLines]:
    """The lines of stdin. Meanwhile fd 0 reads as empty, so nothing else (a child process) takes the
    client's bytes; it is given back, blocking as before, on exit."""
    wire = os.dup(0)
    empty = os.open(os.devnull, os.O_RDONLY)
    os.dup2(empty, 0)
    os.close(empty)
    lines = StdinLines(_lines(wire))
    try:
        yield lines
    finally:
        await lines.aclose()
        os.set_blocking(wire, True)  # the event loop made it non-blocking: a terminal must not stay so
        os.dup2(wire, 0)
        os.close(wire)


async def _lines(fd: int) -> AsyncGenerator[str, None]:
    reader = asyncio.StreamReader(limit=MAX_LINE_BYTES)
    pipe = os.fdopen(os.dup(fd), "rb", buffering=0)
    if not _pollable(fd):  # a file (`< requests.jsonl`, `< /dev/null`): reading it never blocks, a thread will do
        with pipe, open(pipe.fileno(), encoding="utf-8", errors="replace", closefd=False) as text:
            async for line in anyio.wrap_file(text):
                yield line
        return
    transport, _ = await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), pipe)
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


def _pollable(fd: int) -> bool:
    """A pipe, a socket or a terminal; the event loop cannot wait on a file or on /dev/null."""
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(fd)


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

    def __init__(self, inner: ReadStream[SessionMessage | Exception], write: WriteStream[SessionMessage],
                 answers: deque[tuple[RequestId | None, ErrorData]] | None = None) -> None:
        self._inner = inner
        self._write = write
        self._answers = answers if answers is not None else deque()

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
        request_id, error = self._answers.popleft() if self._answers else (None, error_for(problem))
        log.warning("answered an unreadable stdin line with JSON-RPC error %d", error.code)
        try:
            await self._write.send(SessionMessage(JSONRPCError(jsonrpc="2.0", id=request_id, error=error)))
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
