"""Atomic writes, SQL applied in one transaction, and the crash that must not corrupt a file."""

from __future__ import annotations

import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from brainloop_tui.core.loop.files import (
    TEMP_SUFFIX, CommitError, apply_sql, atomic_write, backup_database, database_schema, restore_database,
)


def test_atomic_write_creates_folders_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "run.sh"
    atomic_write(target, b"one\n")
    target.chmod(0o750)
    atomic_write(target, b"two\n")
    assert target.read_bytes() == b"two\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    assert list(target.parent.iterdir()) == [target]  # no temp file left


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.txt"
    target.write_bytes(b"old")

    def broken_replace(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(CommitError, match="No space left on device"):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


CRASH_BETWEEN_WRITE_AND_RENAME = """
import os, sys, time
from pathlib import Path
from brainloop_tui.core.loop.files import atomic_write

def stop_before_rename(source, target):
    print("temp written", flush=True)
    time.sleep(60)

os.replace = stop_before_rename
atomic_write(Path(sys.argv[1]), b"NEW CONTENT, never half-written\\n" * 1000)
"""


def test_sigkill_between_temp_file_and_rename_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "config.py"
    target.write_bytes(b"OLD = True\n")
    proc = subprocess.Popen([sys.executable, "-c", CRASH_BETWEEN_WRITE_AND_RENAME, str(target)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "temp written"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert target.read_bytes() == b"OLD = True\n"
    strays = [p for p in tmp_path.iterdir() if p != target]
    assert all(p.name.startswith(".config.py.") and p.name.endswith(TEMP_SUFFIX) for p in strays)


def make_db(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
                       "INSERT INTO users (name) VALUES ('ada');")
    conn.close()


def names(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM users ORDER BY id")]
    finally:
        conn.close()


def test_apply_sql_runs_every_statement_in_one_transaction(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    make_db(db)
    assert apply_sql(db, "INSERT INTO users (name) VALUES ('bob');\nINSERT INTO users (name) VALUES ('cy');") == 2
    assert names(db) == ["ada", "bob", "cy"]


def test_apply_sql_rolls_back_on_error_and_names_the_line(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    make_db(db)
    with pytest.raises(CommitError, match=r"app\.db: line 3: UNIQUE constraint failed.*rolled back"):
        apply_sql(db, "INSERT INTO users (name) VALUES ('bob');\n\nINSERT INTO users (name) VALUES ('ada');")
    assert names(db) == ["ada"]


def test_apply_sql_refuses_a_script_that_manages_its_own_transaction(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    make_db(db)
    with pytest.raises(CommitError, match="line 2: remove the script's own COMMIT"):
        apply_sql(db, "INSERT INTO users (name) VALUES ('bob');\nCOMMIT;\nINSERT INTO users (name) VALUES ('ada');")
    assert names(db) == ["ada"]


def test_backup_and_restore_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    make_db(db)
    copy = backup_database(db, tmp_path / "backups")
    apply_sql(db, "DELETE FROM users;")
    restore_database(copy, db)
    assert names(db) == ["ada"]
    assert "CREATE TABLE users" in database_schema(db)
