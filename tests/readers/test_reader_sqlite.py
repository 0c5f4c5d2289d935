"""SQLite reader: structure, counts, samples, advice, and never a changed byte in the user's files."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from reader_fixtures import TEAMS, USERS, file_hashes, make_shop_db, write_uncheckpointed_wal

from brainloop_tui.core.readers import ReaderError, SqliteStructure, build_digest
from brainloop_tui.core.readers.redact import Redactor
from brainloop_tui.core.readers.sqlite import SAMPLE_ROWS, SAMPLE_TEXT_CHARS, read_sqlite


def structure_of(path: Path, **options) -> SqliteStructure:
    output, _ = read_sqlite(path, path.name, Redactor(), **options)
    assert isinstance(output.structure, SqliteStructure)
    return output.structure


def test_tables_columns_and_constraints(shop_db: Path) -> None:
    digest = build_digest(shop_db, "shop.db")
    structure = digest.structure
    assert digest.kind == "sqlite" and isinstance(structure, SqliteStructure)
    tables = {table.name: table for table in structure.tables}
    assert set(tables) == {"teams", "users"}
    users = tables["users"]
    columns = {column.name: column for column in users.columns}
    assert [c.name for c in users.columns] == ["id", "team_id", "email", "bio", "avatar", "created"]
    assert columns["id"].primary_key == 1 and columns["id"].type == "INTEGER"
    assert columns["email"].not_null and columns["email"].unique
    assert not columns["bio"].not_null and not columns["bio"].unique
    assert columns["created"].default == "julianday('now')"
    assert users.primary_key == ["id"]
    assert users.unique_constraints == [["team_id", "bio"]]
    (key,) = users.foreign_keys
    assert (key.columns, key.ref_table, key.ref_columns, key.on_delete) == (["team_id"], "teams", ["id"], "CASCADE")
    assert "REFERENCES teams" in users.ddl
    index_names = {index.name: index for index in structure.indexes}
    assert index_names["idx_users_team"].columns == ["team_id"] and index_names["idx_users_team"].origin == "c"
    assert index_names["idx_users_team"].ddl.startswith("CREATE INDEX")
    assert any(index.origin == "u" and index.columns == ["email"] for index in structure.indexes)
    assert [view.name for view in structure.views] == ["big_teams"]
    assert [(t.name, t.table) for t in structure.triggers] == [("users_touch", "users")]
    assert structure.pragmas["journal_mode"] == "wal"
    assert structure.pragmas["page_size"] == 4096 and structure.pragmas["encoding"] == "UTF-8"
    assert structure.pragmas["user_version"] == 0 and "foreign_keys" in structure.pragmas
    assert digest.symbols == ["teams", "users", "big_teams"]
    assert "table users" in digest.text and "email TEXT NOT NULL UNIQUE" in digest.text
    assert "team_id INTEGER NOT NULL → teams(id)" in digest.text
    assert len(digest.headline) <= 100 and "\n" not in digest.headline


def test_row_counts_are_exact_within_the_budget(shop_db: Path) -> None:
    tables = {table.name: table for table in structure_of(shop_db).tables}
    assert tables["users"].row_count == USERS and tables["users"].row_count_exact
    assert tables["teams"].row_count == TEAMS and tables["teams"].row_count_method == "count"


def test_row_counts_are_estimated_and_marked_when_there_is_no_budget(shop_db: Path) -> None:
    with sqlite3.connect(shop_db) as conn:
        conn.execute("DELETE FROM users WHERE id > ?", (USERS - 10,))
    users = {t.name: t for t in structure_of(shop_db, count_budget_s=0).tables}["users"]
    # max(rowid) is an estimate: the ten deleted rows still count.
    assert (users.row_count, users.row_count_method, users.row_count_exact) == (USERS - 10, "max_rowid", False)
    with sqlite3.connect(shop_db) as conn:
        conn.execute("ANALYZE")
    users = {t.name: t for t in structure_of(shop_db, count_budget_s=0).tables}["users"]
    assert (users.row_count, users.row_count_method) == (USERS - 10, "sqlite_stat1")
    digest_text = build_digest(shop_db, "shop.db").text
    assert "users (99,990 rows)" in digest_text


def test_sample_rows_cut_long_text_and_show_blob_sizes(shop_db: Path) -> None:
    users = {t.name: t for t in structure_of(shop_db).tables}["users"]
    assert len(users.sample_rows) == SAMPLE_ROWS
    first = users.sample_rows[0]
    assert first["id"] == 1 and first["email"] == "user1@example.com"
    assert isinstance(first["bio"], str) and first["bio"].endswith("…")
    assert len(first["bio"]) == SAMPLE_TEXT_CHARS + 1
    assert first["avatar"] == "<blob 1,024 bytes>"
    assert users.sample_rows[1]["bio"] is None


def test_sample_values_that_look_secret_are_redacted(workspace: Path) -> None:
    path = workspace / "keys.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE creds (id INTEGER PRIMARY KEY, api_token TEXT, note TEXT)")
        conn.execute("INSERT INTO creds VALUES (1, 'plain-but-named-token', 'AKIAQWERTYUIOPASDFGH')")
    conn.close()
    digest = build_digest(path, "keys.db")
    dumped = digest.model_dump_json()
    assert "plain-but-named-token" not in dumped and "AKIAQWERTYUIOPASDFGH" not in dumped
    assert any("creds.api_token" in warning for warning in digest.warnings)


RULE_CASES = {
    "no_primary_key": ("CREATE TABLE events (at REAL, what TEXT);", "events"),
    "foreign_key_without_index": (
        "CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));",
        "b",
    ),
    "autoincrement": ("CREATE TABLE seq (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);", "seq"),
    "redundant_index": (
        "CREATE TABLE t (id INTEGER PRIMARY KEY, x, y); CREATE INDEX idx_t_x ON t (x); CREATE INDEX idx_t_xy ON t (x, y);",
        "idx_t_x",
    ),
    "no_statistics": ("CREATE TABLE t (id INTEGER PRIMARY KEY, x); CREATE INDEX idx_t_x ON t (x);", None),
    "foreign_keys_per_connection": (
        "CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));"
        "CREATE INDEX idx_b_a ON b (a_id);",
        None,
    ),
}


def make_db(path: Path, ddl: str, *, wal: bool = True, analyze: bool = True) -> Path:
    conn = sqlite3.connect(path, isolation_level=None)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(ddl)
    if analyze:
        conn.execute("ANALYZE")
    conn.close()
    return path


@pytest.mark.parametrize("rule", sorted(RULE_CASES))
def test_each_recommendation_rule_fires_on_its_case(workspace: Path, rule: str) -> None:
    ddl, target = RULE_CASES[rule]
    path = make_db(workspace / "case.db", ddl, analyze=rule != "no_statistics")
    advice = [(r.rule, r.target) for r in structure_of(path).recommendations]
    assert (rule, target) in advice


def test_not_wal_and_freelist_rules(workspace: Path) -> None:
    path = make_db(workspace / "old.db", "CREATE TABLE t (id INTEGER PRIMARY KEY, blob BLOB);", wal=False)
    with sqlite3.connect(path) as conn:
        conn.executemany("INSERT INTO t (blob) VALUES (?)", ((b"x" * 4000,) for _ in range(400)))
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM t")
    conn.close()
    advice = {r.rule for r in structure_of(path).recommendations}
    assert {"not_wal", "freelist"} <= advice


def test_a_well_kept_database_gets_no_advice(workspace: Path) -> None:
    path = make_db(
        workspace / "good.db",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL); CREATE INDEX idx_t_name ON t (name);"
        "INSERT INTO t (name) VALUES ('a'), ('b');",
    )
    assert structure_of(path).recommendations == []


def test_a_wal_left_by_a_crashed_writer_is_read_from_a_copy_and_no_file_changes(workspace: Path) -> None:
    """The first reader of an abandoned WAL rebuilds its -shm index: reading a copy keeps all three
    files of the user's byte-identical, and the rows only in the -wal are still seen."""
    path = workspace / "live.db"
    write_uncheckpointed_wal(
        path, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('only in the wal');"
    )
    wal, shm = path.with_name("live.db-wal"), path.with_name("live.db-shm")
    assert wal.stat().st_size > 0 and shm.exists()
    before = file_hashes(path, wal, shm)
    listing = sorted(os.listdir(workspace))
    digest = build_digest(path, "live.db")
    assert file_hashes(path, wal, shm) == before
    assert sorted(os.listdir(workspace)) == listing
    (notes,) = digest.structure.tables
    assert notes.row_count == 1 and notes.sample_rows[0]["body"] == "only in the wal"
    assert any("writer that is gone" in warning and "copy" in warning for warning in digest.warnings)


def test_an_abandoned_wal_without_its_shm_gains_no_side_file(workspace: Path) -> None:
    path = workspace / "live.db"
    write_uncheckpointed_wal(path, "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);")
    wal = path.with_name("live.db-wal")
    path.with_name("live.db-shm").unlink()
    before, listing = file_hashes(path, wal), sorted(os.listdir(workspace))
    digest = build_digest(path, "live.db")
    assert file_hashes(path, wal) == before and sorted(os.listdir(workspace)) == listing
    assert digest.structure.tables[0].row_count == 1


def test_an_abandoned_wal_too_large_to_copy_is_read_without_its_changes_and_said(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = workspace / "live.db"
    make_db(path, "CREATE TABLE kept (id INTEGER PRIMARY KEY);", analyze=False)
    write_uncheckpointed_wal(path, "CREATE TABLE only_in_wal (id INTEGER PRIMARY KEY);")
    files = [path, path.with_name("live.db-wal"), path.with_name("live.db-shm")]
    before = file_hashes(*files)
    monkeypatch.setattr("brainloop_tui.core.readers.sqlite.COPY_LIMIT_BYTES", 1024)
    digest = build_digest(path, "live.db")
    assert file_hashes(*files) == before
    assert [table.name for table in digest.structure.tables] == ["kept"]
    assert any("too large to copy" in warning for warning in digest.warnings)


def test_a_wal_database_open_in_a_live_writer_is_read_through_its_wal(workspace: Path) -> None:
    """A live connection keeps the -shm current: the reader shares it and sees the uncommitted-to-disk rows."""
    path = workspace / "live.db"
    writer = subprocess.Popen(
        [sys.executable, "-c", LIVE_WRITER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        before = file_hashes(path, path.with_name("live.db-wal"))
        digest = build_digest(path, "live.db")
        assert file_hashes(path, path.with_name("live.db-wal")) == before
        assert digest.structure.tables[0].row_count == 2
        assert not any("writer that is gone" in warning for warning in digest.warnings)
    finally:
        writer.communicate("")
    assert writer.returncode == 0


LIVE_WRITER = """import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA wal_autocheckpoint=0")
conn.executescript("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2);")
print("ready", flush=True)
sys.stdin.read()
"""


def test_a_cleanly_closed_wal_database_gains_no_side_files(shop_db: Path) -> None:
    before = file_hashes(shop_db)
    listing = sorted(os.listdir(shop_db.parent))
    build_digest(shop_db, "shop.db")
    assert sorted(os.listdir(shop_db.parent)) == listing
    assert file_hashes(shop_db) == before


def test_a_rollback_journal_database_is_not_touched(workspace: Path) -> None:
    path = make_shop_db(workspace / "old.db", users=10, journal="delete")
    before, listing = file_hashes(path), sorted(os.listdir(workspace))
    digest = build_digest(path, "old.db")
    assert digest.structure.pragmas["journal_mode"] == "rollback"
    assert file_hashes(path) == before and sorted(os.listdir(workspace)) == listing


def test_a_wal_database_being_written_is_still_readable(shop_db: Path) -> None:
    writer = sqlite3.connect(shop_db, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM users")
        users = {t.name: t for t in build_digest(shop_db, "shop.db").structure.tables}["users"]
        assert users.row_count == USERS  # the committed state; the open transaction is not visible
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_rollback_database_locked_by_a_writer_is_a_clear_error(workspace: Path) -> None:
    path = make_shop_db(workspace / "busy.db", users=10, journal="delete")
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN EXCLUSIVE")
        writer.execute("DELETE FROM users")
        with pytest.raises(ReaderError, match="busy.db is locked by another connection"):
            build_digest(path, "busy.db")
    finally:
        writer.execute("ROLLBACK")
        writer.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is plain text, not a database\n", "not a SQLite database"),
        (b"", "is empty"),
        (b"SQLite format 3\x00" + b"\xff" * 200, "not a usable SQLite database"),
    ],
)
def test_a_file_that_is_not_a_database_is_a_clear_error(workspace: Path, content: bytes, message: str) -> None:
    path = workspace / "fake.db"
    path.write_bytes(content)
    with pytest.raises(ReaderError, match=message):
        build_digest(path, "fake.db")
    assert path.read_bytes() == content
