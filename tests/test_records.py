"""processed_log idempotence, telemetry events, metrics and secrets."""

from __future__ import annotations

import pytest

from brainloop_tui.core import idempotence, secrets, telemetry
from brainloop_tui.core.db import Store


async def test_processed_log_marks_an_operation_done_once(store: Store) -> None:
    key = idempotence.input_key("commit", {"path": "a.py", "sha": "x"})
    assert key == idempotence.input_key("commit", {"sha": "x", "path": "a.py"})  # canonical: key order is irrelevant
    assert key != idempotence.input_key("commit", {"path": "a.py", "sha": "y"})
    assert not await idempotence.is_done(store, key)
    await idempotence.mark(store, key, "commit", result_ref="results:1")
    await idempotence.mark(store, key, "commit", result_ref="results:2")
    entry = await idempotence.lookup(store, key)
    assert entry is not None and entry.status == "done" and entry.result_ref == "results:1"


async def test_a_failed_operation_can_be_done_later(store: Store) -> None:
    key = idempotence.input_key("commit", {"path": "b.py"})
    await idempotence.mark(store, key, "commit", status="failed")
    assert not await idempotence.is_done(store, key)
    await idempotence.mark(store, key, "commit", result_ref="results:3")
    assert await idempotence.is_done(store, key)


async def test_events_and_metrics_are_recorded(store: Store) -> None:
    await telemetry.record_event(store, "session_created", {"session": "s1"}, worker_id="w")
    await telemetry.record_metrics(store, {"reader_cache_hit": 3, "reader_cache_miss": 1})
    row = await store.metadata.fetchone("SELECT event, worker_id, payload FROM telemetry_events")
    assert tuple(row) == ("session_created", "w", '{"session": "s1"}')
    assert await telemetry.cache_hit_rate(store) == 0.75


async def test_unknown_event_or_metric_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown telemetry event"):
        await telemetry.record_event(store, "whatever")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown metric"):
        await telemetry.record_metric(store, "bogus")  # type: ignore[arg-type]


async def test_cache_hit_rate_is_none_before_any_lookup(store: Store) -> None:
    assert await telemetry.cache_hit_rate(store) is None


async def test_secrets_set_get_list_delete(store: Store) -> None:
    await secrets.set_secret(store, "api_key", "sk-1")
    await secrets.set_secret(store, "api_key", "sk-2")
    assert await secrets.get_secret(store, "api_key") == "sk-2"
    assert await secrets.secret_names(store) == ["api_key"]
    assert await secrets.delete_secret(store, "api_key")
    assert not await secrets.delete_secret(store, "api_key")
    assert await secrets.get_secret(store, "api_key") is None


@pytest.mark.parametrize("name", ["", "has space", "semi;colon"])
async def test_bad_secret_names_are_refused(store: Store, name: str) -> None:
    with pytest.raises(secrets.SecretError):
        await secrets.set_secret(store, name, "v")


async def test_empty_secret_value_is_refused(store: Store) -> None:
    with pytest.raises(secrets.SecretError, match="non-empty"):
        await secrets.set_secret(store, "api_key", "")
