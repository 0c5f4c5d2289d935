"""Sources in input.db: registration, health, removal, prompt context; bad input changes nothing."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from files import write

from brainloop_tui.core.db import Store
from brainloop_tui.core.readers.render import token_estimate
from brainloop_tui.core.sources import (
    SourceError,
    add_source,
    list_sources,
    prompt_context,
    recorded_sources,
    remove_source,
)
from brainloop_tui.core.workspace import PathError

SCHEMA_SQL = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n"
OPENAPI = "openapi: 3.0.0\ninfo:\n  title: Users\npaths:\n  /users: {}\n"


@pytest.fixture
async def writer(workspace: Path):
    opened = await Store.open(workspace, input_writable=True)
    yield opened
    await opened.close()


def make_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
        "CREATE TABLE members (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES teams (id));"
        "CREATE INDEX idx_members_team_id ON members (team_id);"
        "INSERT INTO teams (name) VALUES ('core');"
    )
    conn.close()


def folder_state(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in folder.iterdir() if path.is_file()}


async def counts(store: Store) -> dict[str, int]:
    result = {}
    for table in ("sources", "schemas", "contracts", "health"):
        row = await store.input.fetchone(f"SELECT count(*) FROM {table}")
        result[table] = row[0]
    return result


async def test_kinds_are_guessed_and_content_is_kept(writer: Store, workspace: Path) -> None:
    write(workspace, "db/schema.sql", SCHEMA_SQL)
    write(workspace, "api/openapi.yaml", OPENAPI)
    write(workspace, "proto/users.proto", 'syntax = "proto3";\nmessage User { string id = 1; }\n')
    write(workspace, "notes/plan.md", "# Plan\n")
    make_database(workspace / "data.db")
    added = {
        rel: await add_source(writer, rel)
        for rel in ["db/schema.sql", "api/openapi.yaml", "proto/users.proto", "notes/plan.md", "notes", "data.db"]
    }
    assert {rel: source.kind for rel, source in added.items()} == {
        "db/schema.sql": "schema",
        "api/openapi.yaml": "contract",
        "proto/users.proto": "contract",
        "notes/plan.md": "file",
        "notes": "folder",
        "data.db": "sqlite",
    }
    ddl = await writer.input.fetchone("SELECT name, ddl, sha256 FROM schemas")
    assert (ddl["name"], ddl["ddl"]) == ("db/schema.sql", SCHEMA_SQL)
    assert ddl["sha256"] == hashlib.sha256(SCHEMA_SQL.encode()).hexdigest()
    assert await counts(writer) == {"sources": 6, "schemas": 1, "contracts": 2, "health": 6}
    assert [(s.path, s.health) for s in await list_sources(writer)] == [
        ("api/openapi.yaml", "ok"), ("data.db", "ok"), ("db/schema.sql", "ok"),
        ("notes", "ok"), ("notes/plan.md", "ok"), ("proto/users.proto", "ok"),
    ]


async def test_a_sqlite_schema_keeps_its_ddl_and_leaves_the_database_untouched(writer: Store, workspace: Path) -> None:
    make_database(workspace / "app.db")
    before = folder_state(workspace)
    source = await add_source(writer, "app.db", kind="schema", note="  the app's database ")
    assert (source.kind, source.note) == ("schema", "the app's database")
    assert folder_state(workspace) == before  # no byte changed, no -wal or -shm left behind
    rows = await writer.input.fetchall("SELECT name, ddl FROM schemas ORDER BY name")
    assert [row["name"] for row in rows] == ["idx_members_team_id", "members", "teams"]
    assert rows[2]["ddl"].startswith("CREATE TABLE teams")
    context = await prompt_context(writer)
    assert "-- app.db" in context and "CREATE TABLE members" in context and "ON members (team_id);" in context

    conn = sqlite3.connect(workspace / "app.db")
    conn.execute("CREATE TABLE audit (entry TEXT)")
    conn.close()
    [status] = await list_sources(writer)
    assert status.health == "changed" and "remove and add it again" in (status.detail or "")
    [recorded] = await recorded_sources(writer)
    assert recorded.health == "changed"


async def test_health_follows_the_files(writer: Store, workspace: Path) -> None:
    contract = write(workspace, "api/openapi.yaml", OPENAPI)
    write(workspace, "docs/guide.md", "# Guide\n")
    await add_source(writer, "api/openapi.yaml")
    await add_source(writer, "docs", kind="folder")
    contract.write_text(OPENAPI + "  /teams: {}\n", encoding="utf-8")
    (workspace / "docs" / "guide.md").unlink()
    (workspace / "docs").rmdir()
    write(workspace, "docs", "now a file\n")
    health = {status.path: (status.health, status.detail) for status in await list_sources(writer)}
    assert health["api/openapi.yaml"][0] == "changed"
    assert health["docs"] == ("changed", "is now a file")
    contract.unlink()
    assert [s.health for s in await list_sources(writer)] == ["missing", "changed"]


async def test_remove_takes_the_copies_with_it(writer: Store, workspace: Path) -> None:
    write(workspace, "db/schema.sql", SCHEMA_SQL)
    await add_source(writer, "db/schema.sql")
    removed = await remove_source(writer, "./db/../db/schema.sql")
    assert removed.path == "db/schema.sql"
    assert await counts(writer) == {"sources": 0, "schemas": 0, "contracts": 0, "health": 0}
    assert (workspace / "db" / "schema.sql").read_text(encoding="utf-8") == SCHEMA_SQL
    assert await prompt_context(writer) == ""


async def test_a_missing_source_can_still_be_removed(writer: Store, workspace: Path) -> None:
    write(workspace, "old.sql", SCHEMA_SQL)
    await add_source(writer, "old.sql")
    (workspace / "old.sql").unlink()
    assert (await remove_source(writer, "old.sql")).path == "old.sql"


async def test_prompt_context_stays_in_budget(writer: Store, workspace: Path) -> None:
    tables = "".join(f"CREATE TABLE t{n} (id INTEGER PRIMARY KEY, value TEXT NOT NULL);\n" for n in range(300))
    write(workspace, "big.sql", tables)
    write(workspace, "api.proto", 'syntax = "proto3";\n')
    await add_source(writer, "big.sql")
    await add_source(writer, "api.proto", kind="contract")
    context = await prompt_context(writer, max_tokens=500)
    assert token_estimate(context) <= 500
    assert context.startswith("Registered database schemas") and "CREATE TABLE t0 " in context
    assert context.endswith("omitted")
    full = await prompt_context(writer, max_tokens=20_000)
    assert "Registered contracts" in full and 'syntax = "proto3";' in full
    with pytest.raises(SourceError, match="too small"):
        await prompt_context(writer, max_tokens=10)


@pytest.mark.parametrize(
    ("path", "kind", "error", "message"),
    [
        ("../outside.sql", None, PathError, "outside the workspace"),
        ("/etc/hostname", None, PathError, "outside the workspace"),
        ("nowhere.sql", None, SourceError, "no such file or folder"),
        ("db/schema.sql", "table", SourceError, "unknown source kind 'table'"),
        ("db/schema.sql", "folder", SourceError, "is a file, not a folder"),
        ("db", "file", SourceError, "is a folder"),
        ("db/schema.sql", "sqlite", SourceError, "not a SQLite database"),
        ("notes.txt", "schema", SourceError, "a schema is a .sql file or a SQLite database"),
        ("blob.bin", "contract", SourceError, "binary"),
        ("empty.proto", None, SourceError, "is empty"),
        ("huge.graphql", None, SourceError, "at most 1,000,000 bytes"),
        (".brainloop/input.db", None, PathError, "Brainloop's own state"),
        ("fake.db", "schema", SourceError, "not a usable SQLite database"),
    ],
)
async def test_bad_sources_are_refused_and_change_nothing(
    writer: Store, workspace: Path, path: str, kind: str | None, error: type[Exception], message: str
) -> None:
    (workspace.parent / "outside.sql").write_text(SCHEMA_SQL, encoding="utf-8")
    write(workspace, "db/schema.sql", SCHEMA_SQL)
    write(workspace, "notes.txt", "hello\n")
    write(workspace, "empty.proto", "  \n")
    write(workspace, "huge.graphql", "type Query { a: Int }\n" * 60_000)
    (workspace / "blob.bin").write_bytes(b"\x00\x01binary")
    (workspace / "fake.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)  # a header and nothing else
    with pytest.raises(error, match=message):
        await add_source(writer, path, kind=kind)  # type: ignore[arg-type]
    assert await counts(writer) == {"sources": 0, "schemas": 0, "contracts": 0, "health": 0}


async def test_a_duplicate_is_refused_and_changes_nothing(writer: Store, workspace: Path) -> None:
    write(workspace, "db/schema.sql", SCHEMA_SQL)
    first = await add_source(writer, "db/schema.sql", note="first")
    with pytest.raises(SourceError, match=r"db/schema.sql is already registered \(as schema\)"):
        await add_source(writer, "db/../db/schema.sql", kind="file", note="second")
    [source] = await recorded_sources(writer)
    assert source.model_dump(exclude={"health", "detail"}) == first.model_dump()
    assert await counts(writer) == {"sources": 1, "schemas": 1, "contracts": 0, "health": 1}


async def test_removing_an_unknown_source_is_refused(writer: Store, workspace: Path) -> None:
    write(workspace, "db/schema.sql", SCHEMA_SQL)
    await add_source(writer, "db/schema.sql")
    with pytest.raises(SourceError, match="not a registered source"):
        await remove_source(writer, "db/other.sql")
    with pytest.raises(SourceError, match="not a registered source"):
        await remove_source(writer, "../elsewhere.sql")
    assert (await counts(writer))["sources"] == 1


async def test_a_read_only_store_reads_but_never_writes(store: Store, writer: Store, workspace: Path) -> None:
    write(workspace, "db/schema.sql", SCHEMA_SQL)
    await add_source(writer, "db/schema.sql")
    with pytest.raises(SourceError, match="read-only"):
        await add_source(store, "db/schema.sql")
    with pytest.raises(SourceError, match="read-only"):
        await remove_source(store, "db/schema.sql")
    (workspace / "db" / "schema.sql").unlink()
    assert [s.health for s in await list_sources(store)] == ["missing"]  # checked, not recorded
    assert [s.health for s in await recorded_sources(store)] == ["ok"]
    assert "CREATE TABLE users" in await prompt_context(store)
