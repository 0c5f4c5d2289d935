"""Accounting: every completed call is a `lifecycle.usage` row plus the SPEC §8 llm_* metrics."""

from __future__ import annotations

from brainloop_tui.core.db import Store, now
from brainloop_tui.core.llm.types import Completion
from brainloop_tui.core.telemetry import Metric, record_metrics


async def record_usage(
    store: Store,
    completion: Completion,
    *,
    provider: str,
    phase: str | None = None,
    session_id: str | None = None,
    block_id: str | None = None,
) -> int:
    """Write the usage row and the metrics of one completion; the row's id."""
    usage_id = await store.lifecycle.execute(
        "INSERT INTO usage (session_id, block_id, phase, provider, model, prompt_tokens, completion_tokens, "
        "latency_ms, ttft_ms, tokens_per_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            session_id,
            block_id,
            phase,
            provider,
            completion.model,
            completion.prompt_tokens,
            completion.completion_tokens,
            completion.latency_ms,
            completion.ttft_ms,
            completion.tokens_per_s,
            now(),
        ),
    )
    values: dict[Metric, float] = {
        "llm_tokens_prompt": completion.prompt_tokens,
        "llm_tokens_completion": completion.completion_tokens,
        "llm_latency_ms": completion.latency_ms,
    }
    if completion.ttft_ms is not None:
        values["llm_ttft_ms"] = completion.ttft_ms
    if completion.tokens_per_s is not None:
        values["llm_tokens_per_s"] = completion.tokens_per_s
    labels = {"provider": provider, "model": completion.model, "phase": phase, "usage_id": usage_id}
    await record_metrics(store, values, labels)
    return usage_id
