"""One async store owning the four connections of a workspace.

Every connection runs in WAL mode with foreign keys on, `synchronous=NORMAL` and a busy timeout, so
the TUI and the MCP face (two processes) can share a workspace. Each connection is used by one task
at a time (an asyncio lock): a transaction is never interleaved with another coroutine's statement.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

import aiosqlite
from pydantic import BaseModel

from brainloop_tui.core.config import STATE_DIR_NAME
from brainloop_tui.core.db.schema import SchemaStep, default_sql_dir, schema_steps
from brainloop_tui.core.db.uri import read_only_uri
from brainloop_tui.core.errors import StoreError, WorkspaceError

DatabaseName = Literal["input", "lifecycle", "output", "metadata"]
DATABASES: tuple[DatabaseName, ...] = ("input", "lifecycle", "output", "metadata")
PRIVATE_DATABASES = frozenset({"metadata"})
PRIVATE_MODE = 0o600
# SQLite's primary result codes for a write the disk refused: IOERR, FULL
_DISK_ERROR_CODES = frozenset({10, 13})

M = TypeVar("M", bound=BaseModel)


def now() -> float:
    """Timestamps are Unix seconds, stored as REAL."""
    return time.time()


def from_row(model: type[M], row: sqlite3.Row | None) -> M | None:
    """A typed row out of the database."""
    return None if row is None else model.model_validate(dict(row))


def _corrupt(path: Path, exc: Exception) -> StoreError:
    return StoreError(f"{path} is not a usable SQLite database ({exc}); run `brainloop doctor` to check the workspace")


def _prepare_file(path: Path, steps: Sequence[SchemaStep], *, private: bool, busy_timeout_ms: int) -> int:
    """Create or migrate one database file (synchronously, before the async connection opens).

    Returns how many steps were applied (0 when the file was already current).
    """
    if private and not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_MODE))
    if private and stat.S_IMODE(path.stat().st_mode) != PRIVATE_MODE:
        path.chmod(PRIVATE_MODE)
    latest = steps[-1].version
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
    except sqlite3.Error as exc:
        raise _corrupt(path, exc) from exc
    try:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current > latest:
            raise StoreError(
                f"{path} is at schema version {current}, newer than this Brainloop understands ({latest}): "
                "upgrade Brainloop; the file was left untouched"
            )
        if current == latest:
            return 0
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        pending = [step for step in steps if step.version > current]
        for step in pending:
            # executescript commits first; the explicit BEGIN makes each step all-or-nothing.
            conn.executescript(f"BEGIN IMMEDIATE;\n{step.sql()}\nPRAGMA user_version={step.version};\nCOMMIT;")
        return len(pending)
    except sqlite3.DatabaseError as exc:
        if conn.in_transaction:
            conn.rollback()
        raise _corrupt(path, exc) from exc
    finally:
        conn.close()


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


class Database:
    """One SQLite file with one serialized async connection."""

    def __init__(self, name: DatabaseName, path: Path, conn: aiosqlite.Connection, *, read_only: bool) -> None:
        self.name = name
        self.path = path
        self.read_only = read_only
        self._conn = conn
        self._lock = asyncio.Lock()
        self._identity = _identity(path)

    def replaced(self) -> bool:
        """The file at `path` is gone or another one: the connection writes to a deleted file, which is
        lost when it closes."""
        return _identity(self.path) != self._identity

    @classmethod
    async def connect(cls, name: DatabaseName, path: Path, *, read_only: bool, busy_timeout_ms: int) -> Database:
        target = read_only_uri(path) if read_only else str(path)
        try:
            conn = await aiosqlite.connect(target, uri=read_only, isolation_level=None)
        except sqlite3.Error as exc:
            raise _corrupt(path, exc) from exc
        conn.row_factory = aiosqlite.Row
        try:
            await conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            await conn.execute("PRAGMA foreign_keys=ON")
            if not read_only:
                await conn.execute("PRAGMA journal_mode=WAL")
                await conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise _corrupt(path, exc) from exc
        return cls(name, path, conn, read_only=read_only)

    @contextmanager
    def _disk_errors(self) -> Iterator[None]:
        """A disk that is full or failing is a `StoreError` saying so, not an internal error."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) not in _DISK_ERROR_CODES:
                raise
            raise StoreError(f"cannot write {self.path}: {exc} (is the disk full or failing?); "
                             "nothing of this was recorded: free some space and try again") from exc

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """All statements run on the yielded connection commit together or not at all."""
        async with self._lock:
            with self._disk_errors():
                try:
                    await self._conn.execute("BEGIN IMMEDIATE")
                except asyncio.CancelledError:
                    # The BEGIN is queued on the connection's thread and runs anyway: a rollback queued after
                    # it ends that transaction (a no-op when the BEGIN failed), so the next one can start.
                    await asyncio.shield(self._conn.rollback())
                    raise
                try:
                    yield self._conn
                except BaseException:
                    await self._conn.rollback()
                    raise
                await self._conn.commit()

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """One write in its own transaction; returns the last inserted rowid."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.lastrowid or 0

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        async with self._lock:
            with self._disk_errors():
                async with self._conn.execute(sql, params) as cursor:
                    return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        async with self._lock:
            with self._disk_errors():
                async with self._conn.execute(sql, params) as cursor:
                    return list(await cursor.fetchall())

    async def data_version(self) -> int:
        """Changes when another connection commits to this file: cheap change detection."""
        row = await self.fetchone("PRAGMA data_version")
        return int(row[0]) if row else 0

    async def close(self, *, checkpoint: bool) -> None:
        async with self._lock:
            if checkpoint and not self.read_only:
                try:
                    await self._conn.execute("PRAGMA wal_checkpoint(RESTART)")
                except sqlite3.OperationalError:
                    pass  # another process holds the WAL busy: the next closer checkpoints it
            await self._conn.close()


def state_dir(workspace: Path) -> Path:
    return workspace / STATE_DIR_NAME


def check_workspace(workspace: Path) -> Path:
    """The workspace as an absolute path, or a clear error if it cannot hold Brainloop's state."""
    workspace = workspace.expanduser().resolve()
    if not workspace.exists():
        raise WorkspaceError(f"workspace {workspace} does not exist")
    if not workspace.is_dir():
        raise WorkspaceError(f"workspace {workspace} is not a folder")
    return workspace


def prepare_workspace(
    workspace: Path, *, sql_dir: Path | None = None, busy_timeout_ms: int = 5000
) -> dict[DatabaseName, int]:
    """Create `.brainloop/` and bring every database to the current version.

    Returns, per database, how many schema steps were applied (all zeros: nothing changed).
    """
    workspace = check_workspace(workspace)
    folder = state_dir(workspace)
    try:
        folder.mkdir(exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Brainloop's state: not part of the project\n*\n", encoding="utf-8")
    except OSError as exc:
        raise WorkspaceError(f"cannot create {folder}: {exc.strerror or exc}") from exc
    if not os.access(folder, os.W_OK):
        raise WorkspaceError(f"{folder} is not writable")
    sql_dir = sql_dir or default_sql_dir()
    return {
        name: _prepare_file(
            folder / f"{name}.db",
            schema_steps(sql_dir, name),
            private=name in PRIVATE_DATABASES,
            busy_timeout_ms=busy_timeout_ms,
        )
        for name in DATABASES
    }


class Store:
    """The four databases of one workspace. Use `async with await Store.open(ws) as store:`."""

    def __init__(self, workspace: Path, databases: dict[DatabaseName, Database]) -> None:
        self.workspace = workspace
        self.input = databases["input"]
        self.lifecycle = databases["lifecycle"]
        self.output = databases["output"]
        self.metadata = databases["metadata"]

    @classmethod
    async def open(
        cls,
        workspace: Path,
        *,
        input_writable: bool = False,
        sql_dir: Path | None = None,
        busy_timeout_ms: int = 5000,
    ) -> Store:
        """Open (creating or migrating as needed). `input.db` is read-only unless asked otherwise:
        only the commands that register sources write it."""
        workspace = check_workspace(workspace)
        await asyncio.to_thread(prepare_workspace, workspace, sql_dir=sql_dir, busy_timeout_ms=busy_timeout_ms)
        opened: dict[DatabaseName, Database] = {}
        try:
            for name in DATABASES:
                opened[name] = await Database.connect(
                    name,
                    state_dir(workspace) / f"{name}.db",
                    read_only=name == "input" and not input_writable,
                    busy_timeout_ms=busy_timeout_ms,
                )
        except BaseException:
            for db in opened.values():
                await db.close(checkpoint=False)
            raise
        return cls(workspace, opened)

    def databases(self) -> tuple[Database, ...]:
        return (self.input, self.lifecycle, self.output, self.metadata)

    def check_intact(self) -> None:
        """A `StoreError` when a database file was deleted or replaced since it was opened (`.brainloop/`
        removed under a running face): what would be recorded from then on is lost."""
        gone = [db.path.name for db in self.databases() if db.replaced()]
        if gone:
            raise StoreError(f"{', '.join(gone)} in {state_dir(self.workspace)} {'was' if len(gone) == 1 else 'were'} "
                             "deleted or replaced while Brainloop was running, so nothing more can be recorded: "
                             "Brainloop stops; start it again to carry on with a new state")

    async def close(self, *, checkpoint: bool = True) -> None:
        """Checkpoint the WAL (RESTART) and close every connection."""
        for db in self.databases():
            await db.close(checkpoint=checkpoint)

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
