"""Typed errors of a model call. Each message says what went wrong and which setting or command fixes
it; none ever carries the API key (the HTTP provider redacts anything a server echoes back)."""

from __future__ import annotations

from brainloop_tui.core.errors import BrainloopError


class LLMError(BrainloopError):
    """A call to a model failed; nothing of its answer is usable."""


class AuthenticationError(LLMError):
    """The endpoint refused the key (HTTP 401/403)."""


class ModelNotServedError(LLMError):
    """The configured model is not one the endpoint serves."""

    def __init__(self, message: str, *, model: str, served: list[str]) -> None:
        super().__init__(message)
        self.model = model
        self.served = served


class RateLimitedError(LLMError):
    """HTTP 429 after the last try, or a wait longer than the retry budget."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderUnavailableError(LLMError):
    """The endpoint cannot be reached or keeps failing (connect errors, 408/409/5xx)."""


class RequestRejectedError(LLMError):
    """The endpoint refused this request as invalid (HTTP 400/413/422, or a prompt too long)."""


class StreamInterruptedError(LLMError):
    """The answer stopped half-way: the partial text is discarded, never used as if complete."""


class BadResponseError(LLMError):
    """The endpoint answered something that is not an OpenAI-compatible response."""


class LLMTimeoutError(LLMError):
    """No byte arrived within `request_timeout` seconds."""


class NoProviderError(LLMError):
    """Neither an API key nor the embedded model is available."""


class LocalModelError(LLMError):
    """The embedded model is missing, corrupt, or cannot be loaded."""
