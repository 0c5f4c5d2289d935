"""The HTTP provider: any OpenAI-compatible endpoint, Cerebras by default (SPEC §2).

`POST {base_url}/chat/completions` with `stream: true`; the event stream is decoded as bytes arrive.
Both error shapes are understood: Cerebras' top-level `{"message","type","param","code"}` and
OpenAI's `{"error": {...}}`, also when it arrives as a data event in the middle of a stream. A try
is repeated (connect errors, 408/409/429/5xx) only while nothing of the answer has been handed on.
The key is sent in one header and nowhere else: no message, log record or repr shows it, and text
a server echoes back is redacted before it is put in an error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from typing import Any

import httpx
from pydantic import SecretStr

from brainloop_tui.core.errors import ConfigError
from brainloop_tui.core.llm.errors import (
    AuthenticationError,
    BadResponseError,
    LLMError,
    LLMTimeoutError,
    ModelNotServedError,
    ProviderUnavailableError,
    RateLimitedError,
    RequestRejectedError,
    StreamInterruptedError,
)
from brainloop_tui.core.llm.client import confirmed_models, shared_client
from brainloop_tui.core.llm.error_bodies import ErrorInfo, rate_limit_note
from brainloop_tui.core.llm.provider import CompletionBuilder
from brainloop_tui.core.llm.retry import RETRYABLE_STATUS, RetryPolicy, server_delay
from brainloop_tui.core.llm.sse import SSEDecoder, SSEEvent
from brainloop_tui.core.llm.types import ChatRequest, Completion, Delta

log = logging.getLogger(__name__)

KEY_HINT = "set BRAINLOOP_API_KEY (or CEREBRAS_API_KEY), or run `brainloop secret set api_key`"
# Hosts that document `max_completion_tokens` and may refuse the older `max_tokens` (OpenAI's
# reasoning models do). Every other endpoint also gets `max_tokens`: Ollama, llama.cpp's servers and
# most self-hosted ones read only that field and would otherwise generate until the context is full.
_MODERN_HOSTS = ("api.cerebras.ai", "openai.com", "openai.azure.com")
_SHOWN_MODELS = 20
_SNIPPET = 200  # bytes of a bad chunk quoted in an error

class _Retryable(Exception):
    """A try that failed before anything streamed and may be repeated; `error` is what the caller
    gets when no try is left."""

    def __init__(self, error: LLMError, delay: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.delay = delay


def _is_served(model: str, served: list[str]) -> bool:
    return model in served or (":" not in model and f"{model}:latest" in served)


def _uses_max_tokens(host: str) -> bool:
    return not any(host == modern or host.endswith("." + modern) for modern in _MODERN_HOSTS)


class _StreamState:
    __slots__ = ("model", "finish_reason", "usage", "time_info", "done")

    def __init__(self, model: str) -> None:
        self.model = model
        self.finish_reason: str | None = None
        self.usage: Mapping[str, Any] | None = None
        self.time_info: Mapping[str, Any] | None = None
        self.done = False


class HttpProvider:
    """A model behind an OpenAI-compatible endpoint."""

    name = "http"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: SecretStr | str | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        try:
            url = httpx.URL(base_url.rstrip("/"))
        except (httpx.InvalidURL, TypeError) as exc:
            raise ConfigError(f"base_url {base_url!r} is not a URL ({exc}): fix BRAINLOOP_BASE_URL") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigError(f"base_url {base_url!r} must be an http:// or https:// URL: fix BRAINLOOP_BASE_URL")
        if not model.strip():
            raise ConfigError("model is empty: set BRAINLOOP_MODEL")
        if timeout <= 0:
            raise ConfigError(f"request_timeout must be positive, not {timeout}")
        self._base_url = str(url)
        self._model = model
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        self._key = SecretStr(key) if key else None
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 15.0))
        self._retry = retry or RetryPolicy()
        self._max_tokens_too = _uses_max_tokens(url.host)

    def __repr__(self) -> str:
        key = "set" if self._key else "not set"
        return f"HttpProvider(base_url={self._base_url!r}, model={self._model!r}, api_key={key})"

    @property
    def model(self) -> str:
        return self._model

    @property
    def base_url(self) -> str:
        return self._base_url

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key.get_secret_value()}"
        return headers

    def _redact(self, text: str) -> str:
        if self._key:
            text = text.replace(self._key.get_secret_value(), "[redacted]")
        return text

    def _detail(self, status: int, info: ErrorInfo) -> str:
        said = self._redact(info.describe())
        return f"HTTP {status}: {said}" if said else f"HTTP {status}"

    # -- models -----------------------------------------------------------------------------

    async def list_models(self) -> list[str]:
        """The ids `GET {base_url}/models` lists."""
        url = f"{self._base_url}/models"
        try:
            response = await shared_client().get(url, headers=self._headers(), timeout=self._timeout)
        except httpx.ConnectTimeout as exc:  # nothing answered the connection: unreachable, not slow
            raise self._unreachable(exc) from exc
        except httpx.TimeoutException as exc:
            raise LLMTimeoutError(f"{url} did not answer within {self._timeout.read:g} s") from exc
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        if response.status_code != 200:
            info = ErrorInfo.parse(response.content)
            if response.status_code in (401, 403):
                raise self._auth_error(response.status_code, info)
            raise BadResponseError(f"{url} cannot list models ({self._detail(response.status_code, info)})")
        try:
            entries = response.json()["data"]
            return sorted(str(entry["id"]) for entry in entries)
        except (ValueError, KeyError, TypeError) as exc:
            raise BadResponseError(f"{url} answered something that is not a model list") from exc

    async def check_model(self) -> list[str]:
        """The served models, or `ModelNotServedError` naming them when the configured one is not."""
        served = await self.list_models()
        if not _is_served(self._model, served):
            raise self._not_served(served)
        confirmed_models.add((self._base_url, self._model))
        return served

    async def _confirm_model_once(self) -> None:
        """At first use: a clear error when the model is not served. Endpoints that cannot list
        their models are not held to it; the call itself will say what is wrong."""
        if (self._base_url, self._model) in confirmed_models:
            return
        try:
            await self.check_model()
        except (ModelNotServedError, AuthenticationError):
            raise
        except LLMError as exc:
            log.debug("model check skipped for %s: %s", self._base_url, exc)
            confirmed_models.add((self._base_url, self._model))

    def _not_served(self, served: list[str], said: str = "") -> ModelNotServedError:
        """`said`: the endpoint's own words, when it refused the model in a call."""
        shown = ", ".join(served[:_SHOWN_MODELS]) or "(none)"
        if len(served) > _SHOWN_MODELS:
            shown += f" and {len(served) - _SHOWN_MODELS} more"
        refused = f" ({said})" if said else ""
        return ModelNotServedError(
            f"model {self._model!r} is not served by {self._base_url}{refused}; it lists: {shown}. "
            "Set BRAINLOOP_MODEL (or `model` in config.toml) to one of them",
            model=self._model,
            served=served,
        )

    # -- errors -----------------------------------------------------------------------------

    def _auth_error(self, status: int, info: ErrorInfo) -> AuthenticationError:
        if self._key is None:
            return AuthenticationError(f"{self._base_url} needs an API key ({self._detail(status, info)}): {KEY_HINT}")
        return AuthenticationError(f"{self._base_url} refused the API key ({self._detail(status, info)}): {KEY_HINT}")

    def _unreachable(self, exc: Exception) -> ProviderUnavailableError:
        reason = self._redact(str(exc)) or type(exc).__name__
        return ProviderUnavailableError(
            f"cannot reach {self._base_url} ({reason}): check BRAINLOOP_BASE_URL and the network"
        )

    async def _status_failure(self, response: httpx.Response) -> Exception:
        """The error for a non-200 answer: an `LLMError`, or `_Retryable` wrapping one."""
        try:
            body = await response.aread()
        except httpx.HTTPError:
            body = b""
        status, info = response.status_code, ErrorInfo.parse(body)
        if status in (401, 403):
            return self._auth_error(status, info)
        if status in (400, 404) and (info.names_model() or (status == 404 and "model" in info.message.lower())):
            try:
                served = await self.list_models()
            except LLMError:
                served = []
            return self._not_served(served, self._detail(status, info))
        if status == 429:
            delay = server_delay(response.headers)
            wait = f"; it asks to wait {delay:g} s" if delay else ""
            error: LLMError = RateLimitedError(
                f"{self._base_url} is rate limiting this key ({self._detail(status, info)}{wait})"
                + rate_limit_note(response.headers),
                retry_after=delay,
            )
            return _Retryable(error, delay)
        if status in RETRYABLE_STATUS:
            error = ProviderUnavailableError(f"{self._base_url} is failing ({self._detail(status, info)})")
            return _Retryable(error, server_delay(response.headers))
        if 300 <= status < 400:  # not followed: a redirected POST may silently become a GET
            return BadResponseError(
                f"{self._base_url} redirects (HTTP {status} to {response.headers.get('location', '?')}): "
                "set BRAINLOOP_BASE_URL to the final address"
            )
        if status == 404:
            return BadResponseError(
                f"{self._base_url}/chat/completions does not exist ({self._detail(status, info)}): "
                "check BRAINLOOP_BASE_URL"
            )
        return RequestRejectedError(f"{self._base_url} refused the request ({self._detail(status, info)})")

    def _midstream_failure(self, chunk: Mapping[str, Any], builder: CompletionBuilder) -> Exception:
        info = ErrorInfo.parse(chunk)
        status = chunk.get("status_code")
        said = self._redact(info.describe()) or "no detail"
        where = f"{self._base_url} reported an error" + (" in the middle of the answer" if builder.streamed else "")
        if builder.streamed:
            return StreamInterruptedError(f"{where} ({said}, status {status}); the partial answer was discarded")
        if status == 429:
            return _Retryable(RateLimitedError(f"{where} ({said}, status 429)"))
        if isinstance(status, int) and status in RETRYABLE_STATUS:
            return _Retryable(ProviderUnavailableError(f"{where} ({said}, status {status})"))
        return BadResponseError(f"{where} ({said}, status {status})")

    def _bad_chunk(self, data: bytes, builder: CompletionBuilder, why: str) -> BadResponseError:
        snippet = self._redact(data[:_SNIPPET].decode("utf-8", "replace"))
        tail = "; the partial answer was discarded" if builder.streamed else ""
        return BadResponseError(f"{self._base_url} sent a chunk that is {why}: {snippet!r}{tail}")

    def _not_a_stream(self, body: bytes, builder: CompletionBuilder) -> Exception:
        """A 200 answer in plain JSON: an error in disguise, or an endpoint that ignored `stream`."""
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("error") is not None:
            return self._midstream_failure(data, builder)
        return BadResponseError(
            f"{self._base_url} answered without streaming (application/json instead of an event stream)"
        )

    # -- streaming --------------------------------------------------------------------------

    def request_body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._model,
            "messages": [message.model_dump() for message in request.messages],
            "temperature": request.temperature,
            "max_completion_tokens": request.max_completion_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if self._max_tokens_too:
            body["max_tokens"] = request.max_completion_tokens
        return body

    async def stream(self, request: ChatRequest) -> AsyncIterator[Delta | Completion]:
        await self._confirm_model_once()
        body = self.request_body(request)
        builder = CompletionBuilder()
        deadline = builder.started + self._retry.total_seconds
        attempt = 0
        while True:
            attempt += 1
            try:
                async with aclosing(self._attempt(body, builder, attempt)) as items:
                    async for item in items:
                        yield item
                return
            except _Retryable as failure:
                wait = failure.delay if failure.delay is not None else self._retry.backoff(attempt)
                if attempt >= self._retry.max_attempts or time.perf_counter() + wait > deadline:
                    tries = f"{attempt} tries" if attempt > 1 else "1 try"
                    failure.error.args = (f"{failure.error}; gave up after {tries}",)
                    raise failure.error from failure.__cause__
                log.warning(
                    "%s; trying again in %.2f s (try %d of %d)", failure.error, wait, attempt + 1, self._retry.max_attempts
                )
                await asyncio.sleep(wait)

    async def _attempt(
        self, body: dict[str, Any], builder: CompletionBuilder, attempt: int
    ) -> AsyncIterator[Delta | Completion]:
        state = _StreamState(self._model)
        decoder = SSEDecoder()
        try:
            async with shared_client().stream(
                "POST", f"{self._base_url}/chat/completions", json=body, headers=self._headers(), timeout=self._timeout
            ) as response:
                if response.status_code != 200:
                    raise await self._status_failure(response)
                if response.headers.get("content-type", "").startswith("application/json"):
                    raise self._not_a_stream(await response.aread(), builder)
                async for raw in response.aiter_bytes():
                    for event in decoder.feed(raw):
                        delta = self._apply(event, state, builder)
                        if delta is not None:
                            yield delta
                for event in decoder.close():
                    delta = self._apply(event, state, builder)
                    if delta is not None:
                        yield delta
        except httpx.ConnectTimeout as exc:  # a connect error like any other: worth another try
            raise _Retryable(self._unreachable(exc)) from exc
        except httpx.TimeoutException as exc:
            raise LLMTimeoutError(
                f"{self._base_url} sent nothing for {self._timeout.read:g} s (request_timeout)"
                + ("; the partial answer was discarded" if builder.streamed else "")
            ) from exc
        except httpx.DecodingError as exc:
            raise BadResponseError(f"{self._base_url} sent a body that cannot be decoded ({exc})") from exc
        except httpx.TransportError as exc:
            if builder.streamed:
                raise StreamInterruptedError(
                    f"the connection to {self._base_url} broke in the middle of the answer ({self._redact(str(exc))}); "
                    "the partial answer was discarded"
                ) from exc
            raise _Retryable(self._unreachable(exc)) from exc
        if not state.done and state.finish_reason is None:
            raise StreamInterruptedError(
                f"{self._base_url} ended the stream before the answer was complete; the partial answer was discarded"
            )
        yield self._completion(state, builder, attempt)

    def _apply(self, event: SSEEvent, state: _StreamState, builder: CompletionBuilder) -> Delta | None:
        """Fold one event into the state; the delta it carries, if any. (The hot path: one call per
        token, so it does as few lookups as it can.)"""
        name, data = event
        if state.done:
            return None
        if data == b"[DONE]":
            state.done = True
            return None
        try:
            chunk = _parse_json(data)
        except ValueError:  # UnicodeDecodeError included
            raise self._bad_chunk(data, builder, "not UTF-8 JSON") from None
        if type(chunk) is not dict:
            raise self._bad_chunk(data, builder, "not a JSON object")
        if chunk.get("error") is not None or name == b"error":
            raise self._midstream_failure(chunk, builder)
        try:
            choices = chunk.get("choices")
            if "usage" in chunk or "time_info" in chunk:
                state.usage = chunk.get("usage") or state.usage
                state.time_info = chunk.get("time_info") or state.time_info
            if not choices:
                if chunk.get("model"):
                    state.model = str(chunk["model"])
                return None
            choice = choices[0]
            if choice.get("finish_reason"):
                state.finish_reason = str(choice["finish_reason"])
                state.model = str(chunk.get("model") or state.model)
            delta = choice.get("delta")
            if not delta:
                return None
            content = delta.get("content") or ""
            reasoning = delta.get("reasoning") or delta.get("reasoning_content") or ""
        except (AttributeError, TypeError, KeyError, IndexError):
            raise self._bad_chunk(data, builder, "not a chat completion chunk") from None
        if type(content) is not str or type(reasoning) is not str:
            raise self._bad_chunk(data, builder, "not a chat completion chunk")
        return builder.add(content, reasoning)

    def _completion(self, state: _StreamState, builder: CompletionBuilder, attempts: int) -> Completion:
        usage = state.usage or {}
        time_info = state.time_info or {}
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        generation = time_info.get("completion_time")
        return builder.build(
            model=state.model,
            finish_reason=state.finish_reason,
            prompt_tokens=prompt if isinstance(prompt, int) and prompt >= 0 else None,
            completion_tokens=completion if isinstance(completion, int) and completion >= 0 else None,
            generation_seconds=generation if isinstance(generation, (int, float)) and generation > 0 else None,
            attempts=attempts,
        )


_DECODER = json.JSONDecoder()


def _parse_json(data: bytes) -> Any:
    """`json.loads`, minus its costs for the usual case: no encoding sniffing, no whitespace scan."""
    text = data.decode()
    try:
        value, end = _DECODER.raw_decode(text)
        if end == len(text):
            return value
    except ValueError:
        pass
    return json.loads(text)  # surrounding whitespace, or the error to report
