"""How long to wait before trying again."""

from __future__ import annotations

import random
from email.utils import formatdate

import pytest

from brainloop_tui.core.llm.retry import RetryPolicy, server_delay


def test_retry_after_ms_wins_over_retry_after():
    assert server_delay({"retry-after-ms": "250", "retry-after": "9"}) == 0.25


def test_retry_after_seconds():
    assert server_delay({"retry-after": " 7 "}) == 7.0


def test_retry_after_http_date():
    now = 1_700_000_000.0
    assert server_delay({"retry-after": formatdate(now + 30, usegmt=True)}, now=now) == pytest.approx(30)


def test_retry_after_in_the_past_means_now():
    assert server_delay({"retry-after": formatdate(1_000, usegmt=True)}, now=2_000_000_000) == 0.0


@pytest.mark.parametrize("headers", [{}, {"retry-after": "soon"}, {"retry-after-ms": "x"}, {"retry-after": ""}])
def test_unusable_or_missing_values_ask_for_nothing(headers):
    assert server_delay(headers) is None


def test_backoff_doubles_with_jitter_and_is_capped():
    policy = RetryPolicy(base_delay=1.0, max_delay=4.0)
    rng = random.Random(7)
    for attempt, step in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)]:
        waits = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(step / 2 <= wait <= step for wait in waits)
        assert len(set(waits)) > 1  # jittered


def test_policy_is_validated():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
