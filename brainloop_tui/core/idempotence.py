"""Idempotence through lifecycle.db processed_log: an operation's canonical inputs hash to a key; a key
already marked done is not done again, and its result reference says where the first result is."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel

from brainloop_tui.core.db import Store, from_row, now


class ProcessedEntry(BaseModel):
    input_sha256: str
    operation: str
    status: Literal["done", "failed"]
    result_ref: str | None
    created_at: float


def input_key(operation: str, inputs: Mapping[str, Any]) -> str:
    """sha256 of the operation and its inputs in canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps({"operation": operation, "inputs": inputs}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def lookup(store: Store, key: str) -> ProcessedEntry | None:
    row = await store.lifecycle.fetchone("SELECT * FROM processed_log WHERE input_sha256 = ?", (key,))
    return from_row(ProcessedEntry, row)


async def is_done(store: Store, key: str) -> bool:
    entry = await lookup(store, key)
    return entry is not None and entry.status == "done"


async def mark(
    store: Store, key: str, operation: str, *, result_ref: str | None = None, status: Literal["done", "failed"] = "done"
) -> None:
    """Record the outcome of an operation; a later outcome for the same inputs replaces a failed one."""
    await store.lifecycle.execute(
        "INSERT INTO processed_log (input_sha256, operation, status, result_ref, created_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (input_sha256) DO UPDATE SET status = excluded.status, result_ref = excluded.result_ref, "
        "created_at = excluded.created_at WHERE processed_log.status <> 'done'",
        (key, operation, status, result_ref, now()),
    )
