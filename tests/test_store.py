"""The four databases: schema sets, constraints, WAL, file modes, versions and migrations."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from brainloop_tui.core.db import DATABASES, Store
from brainloop_tui.core.db.schema import default_sql_dir
from brainloop_tui.core.db.store import prepare_workspace
from brainloop_tui.core.errors import StoreError, WorkspaceError

EXPECTED_TABLES = {
    "input": {"sources", "dependencies", "schemas", "contracts", "health"},
    "lifecycle": {"config", "processed_log", "sessions", "blocks", "block_refinements", "reader_cache", "queue",
                  "usage", "patterns", "iterations", "pattern_files"},
    "output": {"results", "heartbeat", "metrics", "digests"},
    "metadata": {"poisonpill", "telemetry_events", "secrets"},
}

LATEST_VERSION = {"lifecycle": 4}  # sql/migrations/lifecycle/0004_hand_edits.sql


def connect(workspace: Path, name: str) -> sqlite3.Connection:
    conn = sqlite3.connect(workspace / ".brainloop" / f"{name}.db")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


async def test_every_database_has_its_tables_wal_and_version(store: Store, workspace: Path) -> None:
    for name in DATABASES:
        conn = connect(workspace, name)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert EXPECTED_TABLES[name] <= tables, name
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION.get(name, 1)
        indexes = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")]
        assert all(index.startswith("idx_") for index in indexes), indexes
        conn.close()


async def test_connections_use_the_required_pragmas(store: Store) -> None:
    for db in store.databases():
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
        assert (await db.fetchone("PRAGMA busy_timeout"))[0] == 5000
    assert (await store.lifecycle.fetchone("PRAGMA synchronous"))[0] == 1  # NORMAL


async def test_metadata_db_is_private(store: Store, workspace: Path) -> None:
    assert stat.S_IMODE((workspace / ".brainloop" / "metadata.db").stat().st_mode) == 0o600


async def test_input_db_is_read_only_for_the_worker(store: Store) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await store.input.execute("INSERT INTO sources (path, kind, added_at) VALUES ('a', 'file', 0)")


async def test_input_db_is_writable_when_asked(workspace: Path) -> None:
    async with await Store.open(workspace, input_writable=True) as store:
        await store.input.execute("INSERT INTO sources (path, kind, added_at) VALUES ('a', 'file', 0)")
        assert (await store.input.fetchone("SELECT count(*) FROM sources"))[0] == 1


@pytest.mark.parametrize(
    ("db", "sql"),
    [
        ("lifecycle", "INSERT INTO sessions (id, title, prompt, origin, status, created_at, updated_at) VALUES ('s', 't', 'p', 'tui', 'bogus', 0, 0)"),
        ("lifecycle", "INSERT INTO sessions (id, title, prompt, origin, status, created_at, updated_at) VALUES ('s', 't', '  ', 'tui', 'active', 0, 0)"),
        ("lifecycle", "INSERT INTO blocks (id, session_id, path, kind, status, created_at, updated_at)"
                      " VALUES ('b', 'no-such-session', 'x.py', 'file', 'pending', 0, 0)"),
        ("output", "INSERT INTO heartbeat (worker_id, pid, face, status, started_at, updated_at)"
                   " VALUES ('w', 1, 'tui', 'asleep', 0, 0)"),
        ("metadata", "INSERT INTO telemetry_events (event, created_at) VALUES ('made_up', 0)"),
        ("input", "INSERT INTO sources (path, kind, added_at) VALUES ('a', 'elsewhere', 0)"),
    ],
)
async def test_constraints_reject_bad_rows(store: Store, workspace: Path, db: str, sql: str) -> None:
    conn = connect(workspace, db)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(sql)
    conn.close()


async def test_transaction_rolls_back_every_statement(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with store.lifecycle.transaction() as conn:
            await conn.execute("INSERT INTO sessions (id, title, prompt, origin, status, created_at, updated_at) VALUES ('s1', 't', 'p', 'tui', 'active', 0, 0)")
            await conn.execute("INSERT INTO sessions (id, title, prompt, origin, status, created_at, updated_at) VALUES ('s2', 't', 'p', 'tui', 'nonsense', 0, 0)")
    assert (await store.lifecycle.fetchone("SELECT count(*) FROM sessions"))[0] == 0


async def test_opening_again_changes_nothing(workspace: Path) -> None:
    assert all(prepare_workspace(workspace).values())
    assert not any(prepare_workspace(workspace).values())


def copy_sql_with_migration(tmp_path: Path) -> Path:
    sql_dir = tmp_path / "sql"
    shutil.copytree(default_sql_dir(), sql_dir)
    migrations = sql_dir / "migrations" / "lifecycle"
    migrations.mkdir(parents=True, exist_ok=True)
    next_version = LATEST_VERSION["lifecycle"] + 1
    (migrations / f"{next_version:04d}_add_labels.sql").write_text("ALTER TABLE sessions ADD COLUMN labels TEXT NOT NULL DEFAULT '';")
    return sql_dir


async def test_migrations_run_forward_once(workspace: Path, tmp_path: Path) -> None:
    prepare_workspace(workspace)
    sql_dir = copy_sql_with_migration(tmp_path)
    assert prepare_workspace(workspace, sql_dir=sql_dir)["lifecycle"] == 1
    assert not any(prepare_workspace(workspace, sql_dir=sql_dir).values())
    conn = connect(workspace, "lifecycle")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION["lifecycle"] + 1
    assert "labels" in {r[1] for r in conn.execute("PRAGMA table_info(sessions)")}
    conn.close()


async def test_a_fresh_database_gets_schema_and_migrations(workspace: Path, tmp_path: Path) -> None:
    async with await Store.open(workspace, sql_dir=copy_sql_with_migration(tmp_path)) as store:
        assert (await store.lifecycle.fetchone("PRAGMA user_version"))[0] == LATEST_VERSION["lifecycle"] + 1


async def test_a_database_newer_than_the_code_is_refused_untouched(workspace: Path) -> None:
    prepare_workspace(workspace)
    path = workspace / ".brainloop" / "output.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"output\.db is at schema version 99, newer"):
        await Store.open(workspace)
    assert path.read_bytes() == before


async def test_a_corrupt_database_names_the_file_and_doctor(workspace: Path) -> None:
    prepare_workspace(workspace)
    path = workspace / ".brainloop" / "lifecycle.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"lifecycle\.db is not a usable SQLite database.*brainloop doctor"):
        await Store.open(workspace)


async def test_a_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="does not exist"):
        await Store.open(tmp_path / "nowhere")
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match="not a folder"):
        await Store.open(tmp_path / "file")


async def test_state_folder_is_ignored_by_git(store: Store, workspace: Path) -> None:
    assert (workspace / ".brainloop" / ".gitignore").read_text().splitlines()[-1] == "*"


async def test_data_version_sees_commits_from_another_connection(store: Store, workspace: Path) -> None:
    before = await store.lifecycle.data_version()
    conn = connect(workspace, "lifecycle")
    conn.execute("INSERT INTO config VALUES ('theme', 'x', 0)")
    conn.commit()
    conn.close()
    assert await store.lifecycle.data_version() != before


def test_private_mode_survives_a_loose_umask(workspace: Path) -> None:
    old = os.umask(0)
    try:
        prepare_workspace(workspace)
    finally:
        os.umask(old)
    assert stat.S_IMODE((workspace / ".brainloop" / "metadata.db").stat().st_mode) == 0o600
