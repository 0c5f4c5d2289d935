"""read_digest: confinement, cache hits and misses, what is stored, and nothing stored on bad input."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from reader_fixtures import CONFIG_WITH_SECRETS, PEM_BODY, PLANTED

from brainloop_tui.core.db import Store
from brainloop_tui.core.readers import ReaderError, read_digest
from brainloop_tui.core.readers.cache import CACHE_TTL_S
from brainloop_tui.core.telemetry import metric_total


async def totals(store: Store) -> tuple[float, float, float]:
    return (
        await metric_total(store, "reader_cache_hit"),
        await metric_total(store, "reader_cache_miss"),
        await metric_total(store, "digests_generated"),
    )


async def stored_rows(store: Store) -> tuple[int, int]:
    cache = await store.lifecycle.fetchone("SELECT count(*) FROM reader_cache")
    digests = await store.output.fetchone("SELECT count(*) FROM digests")
    return cache[0], digests[0]


@pytest.fixture
def notes(workspace: Path) -> Path:
    path = workspace / "notes.md"
    path.write_text("# Notes\n\nfirst version\n", encoding="utf-8")
    return path


async def test_a_miss_then_a_hit(store: Store, notes: Path) -> None:
    first = await read_digest(store, "notes.md")
    assert await totals(store) == (0, 1, 1)
    second = await read_digest(store, notes)  # an absolute path inside the workspace is fine
    assert second == first
    assert await totals(store) == (1, 1, 1)
    events = await store.metadata.fetchall("SELECT payload FROM telemetry_events WHERE event = 'cache_hit'")
    assert len(events) == 1 and '"path": "notes.md"' in events[0]["payload"]
    row = await store.output.fetchone("SELECT path, kind, sha256, reader_version, text, token_estimate FROM digests")
    assert (row["path"], row["kind"], row["sha256"], row["text"]) == ("notes.md", "markdown", first.sha256, first.text)
    cached = await store.lifecycle.fetchone("SELECT path, expires_at - created_at AS ttl FROM reader_cache")
    assert (cached["path"], cached["ttl"]) == ("notes.md", CACHE_TTL_S)


async def test_refresh_reads_again(store: Store, notes: Path) -> None:
    await read_digest(store, "notes.md")
    await read_digest(store, "notes.md", refresh=True)
    assert await totals(store) == (0, 1, 2)


async def test_a_changed_file_of_the_same_size_is_never_served_from_cache(store: Store, notes: Path) -> None:
    first = await read_digest(store, "notes.md")
    stat = notes.stat()
    notes.write_text("# Notes\n\nsecond versio\n", encoding="utf-8")
    os.utime(notes, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert notes.stat().st_size == stat.st_size
    second = await read_digest(store, "notes.md")
    assert second.sha256 != first.sha256 and "second" not in first.text
    assert await totals(store) == (0, 2, 2)
    assert await stored_rows(store) == (1, 2)  # one cache entry per path; both digests kept


async def test_an_expired_entry_is_not_served(store: Store, notes: Path) -> None:
    await read_digest(store, "notes.md")
    await store.lifecycle.execute("UPDATE reader_cache SET created_at = created_at - 7200, expires_at = expires_at - 7200")
    await read_digest(store, "notes.md")
    assert await totals(store) == (0, 2, 2)


async def test_a_commit_in_a_wal_database_is_a_new_version(store: Store, workspace: Path) -> None:
    path = workspace / "app.db"
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        first = await read_digest(store, "app.db")
        writer.execute("INSERT INTO t VALUES (1)")  # lands in app.db-wal; app.db itself is unchanged
        second = await read_digest(store, "app.db")
    finally:
        writer.close()
    assert (first.structure.tables[0].row_count, second.structure.tables[0].row_count) == (0, 1)
    assert await totals(store) == (0, 2, 2)


async def test_the_kind_can_be_forced(store: Store, workspace: Path) -> None:
    (workspace / "notes.txt").write_text("# Title\n", encoding="utf-8")
    digest = await read_digest(store, "notes.txt", kind="markdown")
    assert digest.kind == "markdown" and digest.structure.title == "Title"


async def test_planted_secrets_reach_no_database_file(store: Store, workspace: Path) -> None:
    (workspace / "app.yaml").write_text(CONFIG_WITH_SECRETS, encoding="utf-8")
    await read_digest(store, "app.yaml")
    await read_digest(store, "app.yaml")
    assert await stored_rows(store) == (1, 1)
    files = list((workspace / ".brainloop").iterdir())  # the databases and their -wal files
    assert {"lifecycle.db", "output.db", "metadata.db"} <= {file.name for file in files}
    for database in files:
        content = database.read_bytes()
        for value in [*PLANTED.values(), PEM_BODY]:
            assert value.encode() not in content, (database.name, value)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../outside.md", "resolves outside the workspace"),
        ("/etc/hostname", "resolves outside the workspace"),
        ("escape.md", "resolves outside the workspace"),
        ("missing.md", "missing.md: no such file"),
        ("docs", "docs is a folder, not a file"),
        ("fake.db", "not a SQLite database"),
        ("binary.json", "is a binary file"),
        ("", "path is empty"),
    ],
)
async def test_bad_input_stores_nothing(store: Store, workspace: Path, path: str, message: str) -> None:
    (workspace.parent / "outside.md").write_text("# outside\n", encoding="utf-8")
    (workspace / "escape.md").symlink_to(workspace.parent / "outside.md")
    (workspace / "docs").mkdir()
    (workspace / "fake.db").write_text("not sqlite", encoding="utf-8")
    (workspace / "binary.json").write_bytes(b"\x00\x01\x02")
    with pytest.raises(ReaderError, match=message):
        await read_digest(store, path)
    assert await stored_rows(store) == (0, 0)
    assert await totals(store) == (0, 0, 0)
