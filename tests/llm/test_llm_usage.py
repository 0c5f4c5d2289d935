"""Accounting of a completed call."""

from __future__ import annotations

import json
import sqlite3

import pytest

from brainloop_tui.core.llm import Completion, record_usage


def completion(**overrides) -> Completion:
    values = {"text": "x = 1\n", "finish_reason": "stop", "model": "gpt-oss-120b", "prompt_tokens": 120,
              "completion_tokens": 30, "latency_ms": 250.0, "ttft_ms": 80.0, "tokens_per_s": 1500.0}
    return Completion(**(values | overrides))


async def test_usage_row_and_metrics(store):
    usage_id = await record_usage(store, completion(), provider="http", phase="propose")
    row = await store.lifecycle.fetchone("SELECT * FROM usage WHERE id = ?", (usage_id,))
    assert dict(row) | {"created_at": None} == {
        "id": usage_id, "session_id": None, "block_id": None, "phase": "propose", "provider": "http",
        "model": "gpt-oss-120b", "prompt_tokens": 120, "completion_tokens": 30, "latency_ms": 250.0,
        "ttft_ms": 80.0, "tokens_per_s": 1500.0, "created_at": None,
    }
    metrics = await store.output.fetchall("SELECT name, value, labels FROM metrics ORDER BY name")
    assert {m["name"]: m["value"] for m in metrics} == {
        "llm_latency_ms": 250.0, "llm_tokens_completion": 30.0, "llm_tokens_per_s": 1500.0,
        "llm_tokens_prompt": 120.0, "llm_ttft_ms": 80.0,
    }
    assert json.loads(metrics[0]["labels"]) == {"model": "gpt-oss-120b", "phase": "propose", "provider": "http",
                                                "usage_id": usage_id}


async def test_unknown_timings_are_left_out(store):
    usage_id = await record_usage(store, completion(ttft_ms=None, tokens_per_s=None), provider="local")
    row = await store.lifecycle.fetchone("SELECT ttft_ms, tokens_per_s FROM usage WHERE id = ?", (usage_id,))
    assert tuple(row) == (None, None)
    names = [m[0] for m in await store.output.fetchall("SELECT name FROM metrics ORDER BY name")]
    assert names == ["llm_latency_ms", "llm_tokens_completion", "llm_tokens_prompt"]


async def test_usage_links_to_its_session_and_block(store):
    now = 1.0
    await store.lifecycle.execute(
        "INSERT INTO sessions (id, title, prompt, origin, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ("s1", "t", "p", "cli", "active", now, now),
    )
    await store.lifecycle.execute(
        "INSERT INTO blocks (id, session_id, path, kind, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ("b1", "s1", "a.py", "file", "generating", now, now),
    )
    usage_id = await record_usage(store, completion(), provider="http", phase="refine", session_id="s1", block_id="b1")
    row = await store.lifecycle.fetchone("SELECT session_id, block_id FROM usage WHERE id = ?", (usage_id,))
    assert tuple(row) == ("s1", "b1")


async def test_unknown_session_is_refused_and_nothing_is_written(store):
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await record_usage(store, completion(), provider="http", session_id="missing")
    assert (await store.lifecycle.fetchone("SELECT count(*) FROM usage"))[0] == 0
    assert (await store.output.fetchone("SELECT count(*) FROM metrics"))[0] == 0
