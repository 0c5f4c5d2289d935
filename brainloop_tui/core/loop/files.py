"""Writing files so that a crash never leaves a half-written one, and applying SQL so that a failure
never leaves a half-changed database."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import tempfile
import time
from pathlib import Path

from brainloop_tui.core.db.uri import connect_read_only
from brainloop_tui.core.errors import BrainloopError
from brainloop_tui.core.loop.sqlscript import controls_transaction, leading_keyword, split_statements

TEMP_SUFFIX = ".brainloop-tmp"  # readers and walks skip these; a crash can leave one behind, never in place
NEW_FILE_MODE = 0o644


class CommitError(BrainloopError):
    """A file or a database could not be changed; nothing was changed."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_bytes(path: Path) -> bytes | None:
    """The file's content, or None when it does not exist (nor can: a folder on its way is a file)."""
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None


def atomic_write(target: Path, content: bytes) -> None:
    """Temp file in the same folder, fsync, rename over the target (keeping its mode), fsync the folder.

    A crash at any point leaves either the old file or the new one, never a mix.
    """
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else _new_file_mode()
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise CommitError(f"cannot write {target}: {exc.strerror or exc}") from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        temp.chmod(mode)
        os.replace(temp, target)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise CommitError(f"cannot write {target}: {exc.strerror or exc}") from exc
        raise
    _fsync_folder(folder)


def remove_file(target: Path) -> None:
    try:
        target.unlink()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CommitError(f"cannot remove {target}: {exc.strerror or exc}") from exc
    _fsync_folder(target.parent)


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return NEW_FILE_MODE & ~umask


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def backup_database(database: Path, backups: Path) -> Path:
    """A consistent copy made with SQLite's backup API (safe while others use the database)."""
    backups.mkdir(parents=True, exist_ok=True)
    copy = backups / f"{database.stem}-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}.db"
    source = connect_read_only(database)
    target = sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return copy


def restore_database(backup: Path, database: Path) -> None:
    """Copy a backup over a database through the backup API, so open readers see a consistent file."""
    source = connect_read_only(backup)
    target = sqlite3.connect(database)
    try:
        source.backup(target)
    except sqlite3.Error as exc:
        raise CommitError(f"cannot restore {database.name} from {backup}: {exc}") from exc
    finally:
        target.close()
        source.close()


def apply_sql(database: Path, script: str, *, busy_timeout_ms: int = 5000) -> int:
    """Run every statement of `script` in one transaction; on any error roll back and say which line.

    Returns the number of statements run.
    """
    statements = list(split_statements(script))
    for statement in statements:
        if controls_transaction(statement):
            raise CommitError(f"{database.name}: line {statement.line}: remove the script's own "
                              f"{leading_keyword(statement.sql)}: Brainloop runs it in one transaction")
    conn = sqlite3.connect(database, isolation_level=None, timeout=busy_timeout_ms / 1000)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("BEGIN IMMEDIATE")
        for statement in statements:
            try:
                conn.execute(statement.sql)
            except sqlite3.Error as exc:
                conn.execute("ROLLBACK")
                raise CommitError(
                    f"{database.name}: line {statement.line}: {exc}; the transaction was rolled back, nothing changed"
                ) from exc
        conn.execute("COMMIT")
        return len(statements)
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise CommitError(f"{database.name}: {exc}; nothing changed") from exc
    finally:
        conn.close()


def database_schema(database: Path) -> str:
    """The DDL of an existing database (for validating SQL against it)."""
    conn = connect_read_only(database)
    try:
        rows = conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise CommitError(f"{database}: not a usable SQLite database ({exc})") from exc
    finally:
        conn.close()
    return ";\n".join(row[0] for row in rows) + (";" if rows else "")
