"""A scripted OpenAI-compatible server on 127.0.0.1: real sockets, real HTTP/1.1, real SSE.

Reusable by any test that needs a model without the internet:

    from loopback_llm import Answer, LoopbackLLM, Status  # the `loopback_llm` fixture is global (conftest)

    async def test_x(loopback_llm):
        loopback_llm.enqueue(Status(429, headers={"retry-after-ms": "50"}), Answer("print(1)\\n"))
        provider = HttpProvider(base_url=loopback_llm.base_url, model=loopback_llm.model, api_key="k")

Each `POST /v1/chat/completions` takes the next scripted behaviour (or `default` when the script is
empty); `GET /v1/models` lists `models`. Every request is recorded (`requests`), and so is every
client that hung up while an answer was still being written (`hangups`, `hung_up`).
(Test folders need an `__init__.py` so that pytest puts `tests/` on sys.path.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest_asyncio

Fault = Literal["drop", "end", "garbage", "error_event"]

CEREBRAS_SERVER_ERROR = {
    "error": {"message": "Internal server error", "type": "server_error", "param": None, "code": "internal_error"},
    "status_code": 500,
}


@dataclass
class Answer:
    """A streamed answer: `reasoning` then `text`, each split into `chunks` deltas."""

    text: str = "print('hello')\n"
    chunks: int = 4
    reasoning: str = ""
    reasoning_field: str = "reasoning"  # Cerebras/OpenRouter; vLLM and DeepSeek say "reasoning_content"
    delay: float = 0.0  # seconds before each chunk
    first_byte_delay: float = 0.0  # seconds before the status line
    finish_reason: str = "stop"
    usage: bool = True  # a last chunk with usage and Cerebras' time_info
    newline: str = "\n"  # "\r\n" to send CRLF events
    comments: bool = False  # ": ping" comment lines between events
    # After `fault_after` content chunks, instead of the rest: "drop" the connection, "end" the response
    # cleanly (no finish, no [DONE]), send an undecodable chunk ("garbage") or an `error_event`.
    fault: Fault | None = None
    fault_after: int = 1
    error_event: dict[str, Any] = field(default_factory=lambda: dict(CEREBRAS_SERVER_ERROR))


@dataclass
class Status:
    """A plain (non-streamed) answer: an error status with a JSON body."""

    code: int
    body: dict[str, Any] | str = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


Behaviour = Answer | Status


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float  # time.monotonic()


def _split(text: str, parts: int) -> list[str]:
    if not text:
        return []
    parts = max(1, min(parts, len(text)))
    size, extra = divmod(len(text), parts)
    pieces, start = [], 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        pieces.append(text[start:end])
        start = end
    return pieces


class LoopbackLLM:
    def __init__(self, *, models: tuple[str, ...] = ("test-model",), default: Behaviour | None = None) -> None:
        self.models = list(models)
        self.default: Behaviour = default or Answer()
        self.models_reply: Status | None = None  # a scripted answer to GET /models instead of the list
        self.script: deque[Behaviour] = deque()
        self.requests: list[RecordedRequest] = []
        self.connections = 0  # accepted: with keep-alive, several requests share one
        self.hangups = 0
        self.hung_up = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def model(self) -> str:
        return self.models[0]

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the server first"
        return self._server.sockets[0].getsockname()[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def enqueue(self, *behaviours: Behaviour) -> None:
        self.script.extend(behaviours)

    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    async def start(self) -> LoopbackLLM:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> LoopbackLLM:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- HTTP ---------------------------------------------------------------------------------

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False when the connection is over."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, path, _version = request_line.split(" ", 2)
        headers = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        raw = await reader.readexactly(int(headers.get("content-length", "0")))
        body = json.loads(raw) if raw else None
        self.requests.append(RecordedRequest(method, path, headers, body, time.monotonic()))
        if method == "GET" and path.endswith("/models"):
            if self.models_reply is not None:
                return await self._status(writer, self.models_reply)
            listing = {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "loopback"} for m in self.models]}
            return await self._status(writer, Status(200, listing))
        if method == "POST" and path.endswith("/chat/completions"):
            behaviour = self.script.popleft() if self.script else self.default
            if isinstance(behaviour, Status):
                return await self._status(writer, behaviour)
            return await self._stream(reader, writer, behaviour, body or {})
        return await self._status(writer, Status(404, {"message": f"no route {method} {path}", "type": "not_found_error"}))

    async def _status(self, writer: asyncio.StreamWriter, reply: Status) -> bool:
        payload = (reply.body if isinstance(reply.body, str) else json.dumps(reply.body)).encode()
        reason = {200: "OK", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests"}.get(reply.code, "Status")
        lines = [f"HTTP/1.1 {reply.code} {reason}", "Content-Type: application/json", f"Content-Length: {len(payload)}"]
        lines += [f"{name}: {value}" for name, value in reply.headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        await writer.drain()
        return True

    async def _stream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, answer: Answer, body: dict) -> bool:
        """Write the answer as chunked SSE. A client that hangs up is noticed at once (its read side
        reaches EOF), even while the answer is paused between chunks."""
        hangup = asyncio.ensure_future(reader.read(1))
        try:
            if answer.first_byte_delay and await self._hung_up(hangup, answer.first_byte_delay):
                return False
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            model = body.get("model") or self.model
            for payload in self._events(answer, model, body):
                if answer.delay and await self._hung_up(hangup, answer.delay):
                    return False
                if payload is None:  # the scripted connection drop
                    writer.transport.abort()
                    return False
                writer.write(b"%x\r\n%s\r\n" % (len(payload), payload))
                await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            return True
        finally:
            # The next request on this connection reads from the same stream: the watcher must be gone
            # (awaited, not just asked to stop) before anyone reads again.
            hangup.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await hangup

    async def _hung_up(self, hangup: asyncio.Future[bytes], delay: float) -> bool:
        done, _ = await asyncio.wait({hangup}, timeout=delay)
        if done:
            self.hangups += 1
            self.hung_up.set()
        return bool(done)

    def _events(self, answer: Answer, model: str, body: dict) -> list[bytes | None]:
        """The encoded SSE events of one answer; None marks where the connection drops."""
        nl = answer.newline

        def event(data: dict[str, Any] | str) -> bytes:
            text = data if isinstance(data, str) else json.dumps(data)
            prefix = f": ping{nl}" if answer.comments else ""
            return f"{prefix}data: {text}{nl}{nl}".encode()

        def chunk(delta: dict[str, str], finish: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return event({"id": "chatcmpl-loopback", "object": "chat.completion.chunk", "created": int(time.time()),
                          "model": model, "choices": [choice]})

        events: list[bytes | None] = [chunk({"role": "assistant"})]
        events += [chunk({answer.reasoning_field: piece}) for piece in _split(answer.reasoning, answer.chunks)]
        content = _split(answer.text, answer.chunks)
        for index, piece in enumerate(content):
            if answer.fault is not None and index == answer.fault_after:
                return events + [self._fault(answer, event)]
            events.append(chunk({"content": piece}))
        if answer.fault is not None:
            return events + [self._fault(answer, event)]
        events.append(chunk({}, answer.finish_reason))
        if answer.usage:
            prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
            usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(content),
                     "total_tokens": prompt_tokens + len(content)}
            time_info = {"queue_time": 0.0001, "prompt_time": 0.001, "completion_time": 0.01, "total_time": 0.012}
            events.append(event({"id": "chatcmpl-loopback", "object": "chat.completion.chunk", "model": model,
                                 "choices": [], "usage": usage, "time_info": time_info}))
        events.append(event("[DONE]"))
        return events

    @staticmethod
    def _fault(answer: Answer, event: Any) -> bytes | None:
        if answer.fault == "drop":
            return None
        if answer.fault == "end":
            return b": that is all\n\n"
        if answer.fault == "garbage":
            return b'data: {"choices": [{"delta": {"content": "\xff\xfe\x00 not utf-8"\n\n'
        return event(answer.error_event)


@pytest_asyncio.fixture
async def loopback_llm():
    """A started `LoopbackLLM`, stopped after the test."""
    async with LoopbackLLM() as server:
        yield server
