"""When to try a model call again, and how long to wait first."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from datetime import timezone
from email.utils import parsedate_to_datetime

from pydantic import BaseModel, ConfigDict, Field

RETRYABLE_STATUS = frozenset({408, 409, 429}) | frozenset(range(500, 600))


class RetryPolicy(BaseModel):
    """At most `max_attempts` tries within `total_seconds`; exponential backoff with jitter between
    them unless the server says how long to wait."""

    model_config = ConfigDict(frozen=True)

    max_attempts: int = Field(3, ge=1)
    total_seconds: float = Field(60.0, gt=0)
    base_delay: float = Field(0.5, ge=0)  # the first backoff, before jitter
    max_delay: float = Field(8.0, ge=0)

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed try number `attempt` (1-based): "equal jitter", so the wait
        is at least half the exponential step and never more than it."""
        step = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return step / 2 + (rng or random).uniform(0, step / 2)


def server_delay(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """The wait a server asks for: `retry-after-ms`, else `Retry-After` in seconds or as an HTTP date.
    None when it asks for nothing usable."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": an HTTP date is always GMT
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
