"""The one interface both providers implement, and the driver every caller uses.

`provider.stream(request)` is an async iterator of `Delta`s that ends with exactly one `Completion`.
Cancelling the consuming task at any point closes the HTTP response or stops the local generation;
a stream that cannot finish raises a typed `LLMError` instead of ending early.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Protocol, runtime_checkable

from brainloop_tui.core.llm.errors import BadResponseError
from brainloop_tui.core.llm.types import ChatRequest, Completion, Delta

DeltaCallback = Callable[[Delta], Awaitable[None] | None]


@runtime_checkable
class Provider(Protocol):
    @property
    def name(self) -> str:
        """Either "http" or "local": what `usage.provider` records."""
        ...

    @property
    def model(self) -> str: ...

    def stream(self, request: ChatRequest) -> AsyncIterator[Delta | Completion]: ...


async def complete(provider: Provider, request: ChatRequest, on_delta: DeltaCallback | None = None) -> Completion:
    """Drive a stream to its end, handing every delta to `on_delta` (sync or async) as it arrives."""
    completion: Completion | None = None
    async with aclosing(provider.stream(request)) as events:
        async for event in events:
            if type(event) is Completion:  # not isinstance: pydantic's ABC check costs per token
                completion = event
            elif on_delta is not None:
                result = on_delta(event)
                if result is not None and inspect.isawaitable(result):
                    await result
    if completion is None:
        raise BadResponseError(f"the {provider.name} provider ended its stream without a completion record")
    return completion


class CompletionBuilder:
    """Accumulates one answer and its timings; both providers build their `Completion` with it."""

    __slots__ = ("started", "first_token_at", "_content", "_reasoning", "deltas")

    def __init__(self, started: float | None = None) -> None:
        self.started = time.perf_counter() if started is None else started
        self.first_token_at: float | None = None
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self.deltas = 0

    def add(self, content: str, reasoning: str) -> Delta | None:
        """The delta to hand on, or None when the piece is empty (role-only chunks and the like)."""
        if not content and not reasoning:
            return None
        if self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        self.deltas += 1
        if content:
            self._content.append(content)
        if reasoning:
            self._reasoning.append(reasoning)
        return Delta(content=content, reasoning=reasoning)

    @property
    def streamed(self) -> bool:
        return self.first_token_at is not None

    def build(
        self,
        *,
        model: str,
        finish_reason: str | None,
        prompt_tokens: int | None,
        completion_tokens: int | None,
        generation_seconds: float | None = None,
        attempts: int = 1,
    ) -> Completion:
        """`generation_seconds`: the endpoint's own measure of generation time, when it gives one;
        otherwise the time from the first delta to now is used."""
        end = time.perf_counter()
        estimated = prompt_tokens is None or completion_tokens is None
        completion_tokens = self.deltas if completion_tokens is None else completion_tokens
        if generation_seconds is None and self.first_token_at is not None:
            generation_seconds = end - self.first_token_at
        tokens_per_s = completion_tokens / generation_seconds if generation_seconds and completion_tokens else None
        return Completion(
            text="".join(self._content),
            reasoning="".join(self._reasoning),
            finish_reason=finish_reason,
            model=model,
            prompt_tokens=prompt_tokens or 0,
            completion_tokens=completion_tokens,
            usage_estimated=estimated,
            latency_ms=(end - self.started) * 1000,
            ttft_ms=None if self.first_token_at is None else (self.first_token_at - self.started) * 1000,
            tokens_per_s=tokens_per_s,
            attempts=attempts,
        )
