"""Patterns in lifecycle.db: extracted off the event loop, replaced in one transaction, loaded back."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass

from brainloop_tui.core.db import Store, now
from brainloop_tui.core.errors import BrainloopError
from brainloop_tui.core.patterns.extract import MAX_PATTERN_FILES, FileStamp, aggregate, encode_facts, scan
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


@dataclass(frozen=True)
class Refresh:
    """One incremental extraction: how many files were seen and re-read, and the patterns now stored."""

    seen: int
    read: int
    removed: int
    cut: bool
    patterns: list[Pattern]
    changed: list[Pattern]


async def extract_patterns(store: Store, *, max_files: int = MAX_PATTERN_FILES,
                           stop: threading.Event | None = None) -> Refresh:
    """Bring the stored conventions up to date with the workspace: a walk (in a worker thread) re-reads
    only the files whose mtime or size changed since their facts were stored, then the patterns are
    aggregated again from every file's facts. `stop` ends the walk early (nothing is then stored)."""
    if max_files < 1:
        raise PatternError(f"max_files must be at least 1 (got {max_files})")
    rows = await store.lifecycle.fetchall("SELECT path, mtime_ns, size FROM pattern_files")
    known = {row["path"]: FileStamp(row["mtime_ns"], row["size"]) for row in rows}
    found = await asyncio.to_thread(scan, store.workspace, known, max_files=max_files, stop=stop)
    if found.stopped:
        return Refresh(len(known), 0, 0, False, await load_patterns(store), [])
    stamp = now()
    if found.changed or found.removed:
        async with store.lifecycle.transaction() as conn:
            await conn.executemany("DELETE FROM pattern_files WHERE path = ?", [(path,) for path in found.removed])
            await conn.executemany(
                "INSERT INTO pattern_files (path, language, mtime_ns, size, facts, imports, read_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET language = excluded.language,"
                " mtime_ns = excluded.mtime_ns, size = excluded.size, facts = excluded.facts,"
                " imports = excluded.imports, read_at = excluded.read_at",
                [(item.path, item.language, item.stamp.mtime_ns, item.stamp.size, encode_facts(item.facts),
                  json.dumps(item.imports), stamp) for item in found.changed])
    stored = await store.lifecycle.fetchone("SELECT count(*) FROM patterns")
    if not (found.changed or found.removed) and stored[0]:
        return Refresh(found.seen, 0, 0, found.cut, await load_patterns(store), [])
    rows = await store.lifecycle.fetchall("SELECT path, language, facts FROM pattern_files")
    patterns = await asyncio.to_thread(
        aggregate, [(row["path"], row["language"], json.loads(row["facts"])) for row in rows])
    changed = await save_patterns(store, patterns)
    return Refresh(found.seen, len(found.changed), len(found.removed), found.cut, patterns, changed)


async def import_index(store: Store) -> dict[str, tuple[str, list[str]]]:
    """Every file the conventions were read from: path → (language, what it imports)."""
    rows = await store.lifecycle.fetchall("SELECT path, language, imports FROM pattern_files")
    return {row["path"]: (row["language"], json.loads(row["imports"])) for row in rows}


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
