"""Patterns in lifecycle.db: extracted off the event loop, replaced in one transaction, loaded back."""

from __future__ import annotations

import asyncio
import json

from brainloop_tui.core.db import Store, now
from brainloop_tui.core.errors import BrainloopError
from brainloop_tui.core.patterns.extract import MAX_PATTERN_FILES, collect_patterns
from brainloop_tui.core.patterns.model import LANGUAGES, Evidence, Language, Pattern
from brainloop_tui.core.telemetry import record_event

_UPSERT = """
INSERT INTO patterns (language, name, value, confidence, evidence, detected_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (language, name) DO UPDATE SET
    value = excluded.value,
    confidence = excluded.confidence,
    evidence = excluded.evidence,
    detected_at = CASE WHEN patterns.value = excluded.value THEN patterns.detected_at ELSE excluded.detected_at END
"""


class PatternError(BrainloopError):
    """A pattern request is malformed (unknown language, impossible limit)."""


def check_language(language: str | None) -> None:
    if language is not None and language not in LANGUAGES:
        raise PatternError(f"unknown language {language!r}: patterns exist for {', '.join(LANGUAGES)}")


async def save_patterns(store: Store, patterns: list[Pattern]) -> list[Pattern]:
    """Make `patterns` the stored set (older ones not found again are dropped); returns the new or
    changed ones, each also recorded as a `pattern_detected` event."""
    stamp = now()
    async with store.lifecycle.transaction() as conn:
        cursor = await conn.execute("SELECT language, name, value FROM patterns")
        previous = {(row["language"], row["name"]): row["value"] for row in await cursor.fetchall()}
        gone = previous.keys() - {(pattern.language, pattern.name) for pattern in patterns}
        await conn.executemany("DELETE FROM patterns WHERE language = ? AND name = ?", sorted(gone))
        await conn.executemany(
            _UPSERT,
            [
                (p.language, p.name, p.value, p.confidence, p.evidence.model_dump_json(), stamp)
                for p in patterns
            ],
        )
    changed = [p for p in patterns if previous.get((p.language, p.name)) != p.value]
    for pattern in changed:
        await record_event(
            store,
            "pattern_detected",
            {
                "language": pattern.language,
                "name": pattern.name,
                "value": pattern.value,
                "previous": previous.get((pattern.language, pattern.name)),
                "confidence": pattern.confidence,
            },
        )
    return changed


async def extract_patterns(store: Store, *, max_files: int = MAX_PATTERN_FILES) -> list[Pattern]:
    """Extract the workspace's conventions (in a worker thread) and store them."""
    if max_files < 1:
        raise PatternError(f"max_files must be at least 1 (got {max_files})")
    patterns = await asyncio.to_thread(collect_patterns, store.workspace, max_files=max_files)
    await save_patterns(store, patterns)
    return patterns


async def load_patterns(store: Store, language: Language | None = None) -> list[Pattern]:
    """Stored patterns, most confident first."""
    check_language(language)
    rows = await store.lifecycle.fetchall(
        "SELECT language, name, value, confidence, evidence FROM patterns WHERE ? IS NULL OR language = ? "
        "ORDER BY confidence DESC, language, name",
        (language, language),
    )
    return [
        Pattern(
            language=row["language"],
            name=row["name"],
            value=row["value"],
            confidence=row["confidence"],
            evidence=Evidence.model_validate(json.loads(row["evidence"])),
        )
        for row in rows
    ]
