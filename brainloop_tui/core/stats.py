"""Numbers for `get_stats` and the TUI's stats dashboard, read from the workspace's databases."""

from __future__ import annotations

import statistics

from pydantic import BaseModel

from brainloop_tui.core.db import Store, now
from brainloop_tui.core.telemetry import cache_hit_rate, metric_total

RECENT_CALLS = 200  # latency percentiles and the tokens/s series look at this many recent LLM calls
RECENT_EVENTS = 20


class WorkerBeat(BaseModel):
    worker_id: str
    face: str
    status: str
    pid: int
    seconds_since_beat: float
    started_at: float


class RecentEvent(BaseModel):
    event: str
    created_at: float
    payload: str


class Stats(BaseModel):
    llm_calls: int
    tokens_prompt: int
    tokens_completion: int
    latency_ms_p50: float | None
    latency_ms_p95: float | None
    ttft_ms_p50: float | None
    tokens_per_s: list[float]  # recent calls, oldest first (a sparkline's data)
    cache_hit_rate: float | None
    digests_generated: int
    sessions_active: int
    sessions_committed: int
    sessions_total: int
    workers: list[WorkerBeat]
    recent_events: list[RecentEvent]
    uptime_s: float | None = None  # of the worker answering, when there is one


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


async def collect_stats(store: Store, *, started_at: float | None = None) -> Stats:
    totals = await store.lifecycle.fetchone(
        "SELECT count(*), coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0) FROM usage")
    recent = await store.lifecycle.fetchall(
        "SELECT latency_ms, ttft_ms, tokens_per_s FROM usage ORDER BY id DESC LIMIT ?", (RECENT_CALLS,))
    recent = list(reversed(recent))
    latencies = [row["latency_ms"] for row in recent]
    ttfts = [row["ttft_ms"] for row in recent if row["ttft_ms"] is not None]
    sessions = await store.lifecycle.fetchone(
        "SELECT coalesce(sum(status = 'active'), 0), coalesce(sum(status = 'committed'), 0), count(*) FROM sessions")
    beats = await store.output.fetchall("SELECT * FROM heartbeat ORDER BY updated_at DESC")
    events = await store.metadata.fetchall(
        "SELECT event, created_at, payload FROM telemetry_events ORDER BY id DESC LIMIT ?", (RECENT_EVENTS,))
    moment = now()
    return Stats(
        llm_calls=totals[0], tokens_prompt=totals[1], tokens_completion=totals[2],
        latency_ms_p50=_percentile(latencies, 0.5), latency_ms_p95=_percentile(latencies, 0.95),
        ttft_ms_p50=_percentile(ttfts, 0.5),
        tokens_per_s=[row["tokens_per_s"] for row in recent if row["tokens_per_s"] is not None],
        cache_hit_rate=await cache_hit_rate(store),
        digests_generated=int(await metric_total(store, "digests_generated")),
        sessions_active=sessions[0], sessions_committed=sessions[1], sessions_total=sessions[2],
        workers=[WorkerBeat(worker_id=b["worker_id"], face=b["face"], status=b["status"], pid=b["pid"],
                            seconds_since_beat=round(moment - b["updated_at"], 1), started_at=b["started_at"])
                 for b in beats],
        recent_events=[RecentEvent(event=e["event"], created_at=e["created_at"], payload=e["payload"]) for e in events],
        uptime_s=round(moment - started_at, 1) if started_at else None,
    )
