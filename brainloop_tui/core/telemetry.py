"""Telemetry events (metadata.db) and metrics (output.db), with the names of SPEC §8."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, get_args

from brainloop_tui.core.db import Store, now

Event = Literal["startup", "shutdown", "session_created", "session_committed", "pattern_detected", "cache_hit", "error"]
Metric = Literal[
    "llm_tokens_prompt",
    "llm_tokens_completion",
    "llm_latency_ms",
    "llm_ttft_ms",
    "llm_tokens_per_s",
    "reader_cache_hit",
    "reader_cache_miss",
    "digests_generated",
    "sessions_active",
    "sessions_completed",
]
EVENTS: tuple[str, ...] = get_args(Event)
METRICS: tuple[str, ...] = get_args(Metric)


def _json(payload: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(payload or {}), default=str, sort_keys=True)


async def record_event(
    store: Store, event: Event, payload: Mapping[str, Any] | None = None, *, worker_id: str | None = None
) -> None:
    """Append a telemetry event. Callers never put a secret in `payload`."""
    if event not in EVENTS:
        raise ValueError(f"unknown telemetry event {event!r}; known: {', '.join(EVENTS)}")
    await store.metadata.execute(
        "INSERT INTO telemetry_events (event, worker_id, payload, created_at) VALUES (?, ?, ?, ?)",
        (event, worker_id, _json(payload), now()),
    )


async def record_metrics(
    store: Store,
    values: Mapping[Metric, float],
    labels: Mapping[str, Any] | None = None,
    *,
    worker_id: str | None = None,
) -> None:
    """Append several metric samples in one transaction."""
    unknown = set(values) - set(METRICS)
    if unknown:
        raise ValueError(f"unknown metric(s) {sorted(unknown)}; known: {', '.join(METRICS)}")
    created, encoded = now(), _json(labels)
    await store.output.executemany(
        "INSERT INTO metrics (name, value, labels, worker_id, created_at) VALUES (?, ?, ?, ?, ?)",
        [(name, float(value), encoded, worker_id, created) for name, value in values.items()],
    )


async def record_metric(
    store: Store, name: Metric, value: float = 1.0, labels: Mapping[str, Any] | None = None, *, worker_id: str | None = None
) -> None:
    await record_metrics(store, {name: value}, labels, worker_id=worker_id)


async def metric_total(store: Store, name: Metric) -> float:
    row = await store.output.fetchone("SELECT coalesce(sum(value), 0) FROM metrics WHERE name = ?", (name,))
    return float(row[0]) if row else 0.0


async def cache_hit_rate(store: Store) -> float | None:
    """Reader-cache hits over lookups, across the workspace; None before the first lookup."""
    hits = await metric_total(store, "reader_cache_hit")
    misses = await metric_total(store, "reader_cache_miss")
    return None if hits + misses == 0 else hits / (hits + misses)
