"""What an endpoint said went wrong, whichever shape it said it in."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

_SNIPPET = 200  # characters of a body that is not JSON


class ErrorInfo:
    """What an endpoint said went wrong, from whichever error shape it used."""

    __slots__ = ("message", "type", "code", "param")

    def __init__(self, message: str, type: str | None = None, code: str | None = None, param: str | None = None):
        self.message, self.type, self.code, self.param = message, type, code, param

    @classmethod
    def parse(cls, body: bytes | Mapping[str, Any]) -> ErrorInfo:
        """From a response body (bytes) or an already decoded error event."""
        data: Any = body
        if isinstance(body, bytes):
            try:
                data = json.loads(body)
            except ValueError:
                return cls(body[:_SNIPPET].decode("utf-8", "replace").strip())
        if not isinstance(data, Mapping):
            return cls(str(data)[:_SNIPPET])
        error = data.get("error")
        if isinstance(error, str):  # Ollama's native shape
            return cls(error)
        fields = error if isinstance(error, Mapping) else data

        def text(key: str) -> str | None:
            return None if fields.get(key) is None else str(fields[key])

        return cls(text("message") or "", text("type"), text("code"), text("param"))

    def describe(self) -> str:
        kind = " ".join(part for part in (self.type, self.code) if part)
        return ": ".join(part for part in (kind, self.message) if part)

    def names_model(self) -> bool:
        return self.code == "model_not_found" or self.param == "model"


def rate_limit_note(headers: httpx.Headers) -> str:
    """Which `x-ratelimit-*` budget is spent, and when it resets, as Cerebras and OpenAI report it."""
    spent = []
    for name, value in headers.items():
        if name.startswith("x-ratelimit-remaining-") and value.strip() in ("0", "0.0"):
            budget = name.removeprefix("x-ratelimit-remaining-")
            reset = headers.get(f"x-ratelimit-reset-{budget}")
            spent.append(f"{budget} used up" + (f", resets in {reset}" if reset else ""))
    return f" [{'; '.join(spent)}]" if spent else ""

