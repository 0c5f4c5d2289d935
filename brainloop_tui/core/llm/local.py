"""The embedded provider (SPEC §2.1): Qwen2.5-Coder-1.5B run in-process by llama-cpp-python.

One `Llama` per process, loaded on first use and reused. Every generation runs on one long-lived
thread (`generation_thread()`) that hands each piece of text to the event loop (`call_soon_threadsafe`
into an `asyncio.Queue`), so the loop never blocks; closing or cancelling the stream sets a flag the
thread checks between tokens. llama_cpp is imported only here, inside the function that loads it.

Why one thread: llama.cpp (built with OpenMP) starts a team of worker threads for each thread that
generates, and two teams on the same cores make each other's barriers sleep instead of spin. Measured
here on 2 cores: 17.4 tokens/s on the thread that always generates, 12.4 on a new thread each time.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from brainloop_tui.core.llm.errors import LocalModelError, RequestRejectedError
from brainloop_tui.core.llm.model_files import (
    INSTALL_HINT,
    Progress,
    default_model_path,
    ensure_bundled_model,
    parts_installed,
)
from brainloop_tui.core.llm.provider import CompletionBuilder
from brainloop_tui.core.llm.types import ChatRequest, Completion, Delta

# A 1.5B model writes better code when told plainly that only code is wanted.
SYSTEM_PROMPT = (
    "You are a coding assistant. Reply with the requested code only: one complete file in a single "
    "fenced code block, with no explanation before or after it."
)
CONTEXT_TOKENS = 8192  # llama.cpp's default of 512 is too small for prompts carrying conventions
GENERATION_THREAD_NAME = "brainloop-local-generation"

_load_lock = threading.Lock()  # the model is assembled and loaded once, by one thread
_loaded: tuple[Path, Any] | None = None
_generation_thread: ThreadPoolExecutor | None = None
_generation_thread_lock = threading.Lock()


def llama_installed() -> bool:
    return find_spec("llama_cpp") is not None


def local_available(model_path: Path | None = None) -> bool:
    """True when the embedded provider can run: llama-cpp-python plus a model (given, or the parts)."""
    return llama_installed() and (model_path is not None or parts_installed())


def core_count() -> int:
    """The cores this process may run on: llama.cpp's thread count."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def generation_thread() -> ThreadPoolExecutor:
    """The one thread every generation runs on, one generation at a time (see the module's doc)."""
    global _generation_thread
    with _generation_thread_lock:
        if _generation_thread is None:
            _generation_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=GENERATION_THREAD_NAME)
        return _generation_thread


def load_llama(model_path: Path | None, progress: Progress | None = None) -> tuple[Path, Any]:
    """The process's `Llama` for `model_path` (the bundled model when None), loading it if needed.
    Blocking: call it in a worker thread."""
    global _loaded
    with _load_lock:
        path = model_path or ensure_bundled_model(progress)
        if _loaded is not None and _loaded[0] == path:
            return _loaded
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise LocalModelError(f"the embedded model needs llama-cpp-python: {INSTALL_HINT}") from exc
        threads = core_count()
        try:
            llama = Llama(
                model_path=str(path), n_ctx=CONTEXT_TOKENS, n_threads=threads, n_threads_batch=threads, verbose=False
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise LocalModelError(f"cannot load the model {path}: {exc}") from exc
        if _loaded is None:
            atexit.register(_close_loaded)
        _loaded = (path, llama)
        return _loaded


def _close_loaded() -> None:
    """At exit, free the model while the interpreter still works (`Llama.__del__` during interpreter
    teardown fails). The generation thread has been joined by then (executors are joined first)."""
    if _loaded is not None:
        _loaded[1].close()


def with_system_prompt(request: ChatRequest) -> list[dict[str, str]]:
    """The request's messages, with the "code only" instruction first in the system message."""
    messages = [message.model_dump() for message in request.messages]
    if messages[0]["role"] == "system":
        messages[0]["content"] = f"{SYSTEM_PROMPT}\n\n{messages[0]['content']}"
    else:
        messages.insert(0, {"role": "system", "content": SYSTEM_PROMPT})
    return messages


@dataclass(frozen=True)
class _Finished:
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int


class LocalProvider:
    name = "local"

    def __init__(self, model_path: Path | None = None, *, on_progress: Progress | None = None) -> None:
        """`model_path`: any GGUF (BRAINLOOP_LOCAL_MODEL); None for the bundled model, assembled on
        first use while `on_progress(bytes_done, bytes_total)` is called on the event loop."""
        if model_path is not None and not model_path.is_file():
            raise LocalModelError(f"local_model {model_path} is not a file: fix BRAINLOOP_LOCAL_MODEL")
        self._path = model_path
        self._on_progress = on_progress
        self._llama: Any = None

    def __repr__(self) -> str:
        return f"LocalProvider(model={self.model!r})"

    @property
    def model(self) -> str:
        return (self._path or default_model_path()).stem

    async def prepare(self) -> Path:
        """Assemble (first time only) and load the model; the GGUF file used."""
        loop, report = asyncio.get_running_loop(), self._on_progress

        def progress(done: int, total: int) -> None:  # called on the worker thread
            if report is not None:
                loop.call_soon_threadsafe(report, done, total)

        path, self._llama = await asyncio.to_thread(load_llama, self._path, progress)
        return path

    async def stream(self, request: ChatRequest) -> AsyncIterator[Delta | Completion]:
        if self._llama is None:
            await self.prepare()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | _Finished | BaseException] = asyncio.Queue()
        stop = threading.Event()
        builder = CompletionBuilder()

        def hand_on(item: str | _Finished | BaseException) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the event loop is closed: nobody is listening any more
                stop.set()

        generation_thread().submit(self._generate, with_system_prompt(request), request, stop, hand_on)
        try:
            while True:
                item = await queue.get()
                if isinstance(item, _Finished):
                    break
                if isinstance(item, BaseException):
                    raise item
                delta = builder.add(item, "")
                if delta is not None:
                    yield delta
            yield builder.build(
                model=self.model,
                finish_reason=item.finish_reason,
                prompt_tokens=item.prompt_tokens,
                completion_tokens=item.completion_tokens,
            )
        finally:
            stop.set()

    def _generate(
        self,
        messages: list[dict[str, str]],
        request: ChatRequest,
        stop: threading.Event,
        hand_on: Callable[[str | _Finished | BaseException], None],
    ) -> None:
        """On the generation thread: every piece of text is handed on until the end, an error, or `stop`
        (a stream closed while this waited its turn never starts)."""
        llama = self._llama
        if stop.is_set():
            return
        try:
            pieces, finish_reason = [], None
            for chunk in llama.create_chat_completion(
                messages=messages,
                temperature=request.temperature,
                max_tokens=request.max_completion_tokens,
                stream=True,
            ):
                if stop.is_set():
                    return
                choice = chunk["choices"][0]
                finish_reason = choice.get("finish_reason") or finish_reason
                content = choice["delta"].get("content")
                if content:
                    pieces.append(content)
                    hand_on(content)
            # Streamed chunks carry no usage: the answer is counted by the model's tokenizer, the
            # prompt is what else the context holds (the last token of a "length" stop is never
            # evaluated, so it is not in the context).
            completion = len(llama.tokenize("".join(pieces).encode(), add_bos=False, special=True))
            prompt = llama.n_tokens - completion + (1 if finish_reason == "length" else 0)
            hand_on(_Finished(finish_reason, max(prompt, 0), completion))
        except ValueError as exc:  # llama.cpp: "Requested tokens (N) exceed context window of M"
            hand_on(_caused(RequestRejectedError(f"the embedded model cannot take this request: {exc}"), exc))
        except Exception as exc:
            hand_on(_caused(LocalModelError(f"the embedded model failed: {exc}"), exc))


def _caused(error: Exception, cause: Exception) -> Exception:
    """`raise error from cause`, for an error raised later on another thread."""
    error.__cause__ = cause
    return error
