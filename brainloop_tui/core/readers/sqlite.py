"""SQLite reader: the schema, pragmas, row counts, samples and advice, without changing a byte of the file.

How the file is opened, and why:

* `mode=ro` (a read-only connection) for a rollback-journal database, and for a WAL database in use
  (a live connection holds its `-shm`). SQLite never writes the database or the `-wal` through a
  read-only connection, and the `-shm` it shares with the live connections is theirs to keep current.
* A copy, for a WAL database whose `-wal` holds changes of a writer that is gone (crashed or killed:
  nobody holds the `-shm`). The first reader of such a WAL rebuilds the `-shm` index, which would
  rewrite a file of the user's; the database and its `-wal` are copied to a temporary folder and the
  copy is read, so the rows only in the WAL are seen and no file changes. Above `COPY_LIMIT_BYTES`
  the database is read `immutable=1` instead, without those rows, and the digest says so.
* `immutable=1` for a WAL database with neither `-wal` nor `-shm` (closed cleanly): the file alone is
  the whole database, and a read-only open would leave an empty `-wal` and a `-shm` behind. Immutable
  takes no locks, so afterwards the file is checked: if a writer changed it or opened a WAL meanwhile,
  the read is done again with `mode=ro`.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import sqlite3
import struct
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from brainloop_tui.core.db.uri import connect_read_only
from brainloop_tui.core.readers.models import ReaderError, ReaderOutput
from brainloop_tui.core.readers.redact import Redactor
from brainloop_tui.core.readers.render import TextBudget, human_size, one_line, plural
from brainloop_tui.core.readers.source import open_for_reading, stat_file
from brainloop_tui.core.readers.structures import (
    Recommendation,
    SampleCell,
    SqliteColumn,
    SqliteForeignKey,
    SqliteIndex,
    SqliteNamedSql,
    SqliteStructure,
    SqliteTable,
)

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100
_SIDE_FILE_ROLES = {
    "-wal": "an empty write-ahead log",
    "-shm": "its shared-memory index for the WAL, which a reader needs",
    "-journal": "a rollback journal",
}
SIDE_FILES = tuple(_SIDE_FILE_ROLES)
# Exact row counts are tried, smallest tables first, while this much time is left; then estimates.
COUNT_BUDGET_S = 0.25
BUSY_TIMEOUT_S = 0.5
SAMPLE_ROWS = 3
SAMPLE_TEXT_CHARS = 80
# The free list is worth a VACUUM above this share of the pages (and this many pages).
FREELIST_SHARE = 0.2
FREELIST_MIN_PAGES = 100
# An abandoned WAL is read from a copy of the database and its -wal up to this total size.
COPY_LIMIT_BYTES = 256 * 1024 * 1024
# Every connection to a WAL database holds a shared lock on this byte of the -shm while it is open
# (SQLite's unix VFS: UNIX_SHM_BASE 120 + SQLITE_SHM_NLOCK 8).
_SHM_DMS_BYTE = 128

_AUTOINCREMENT = re.compile(r"\bAUTOINCREMENT\b", re.IGNORECASE)
_WITHOUT_ROWID = re.compile(r"\bWITHOUT\s+ROWID\b", re.IGNORECASE)
_VIRTUAL = re.compile(r"^\s*CREATE\s+VIRTUAL\s+TABLE\b", re.IGNORECASE)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_header(path: Path, shown: str) -> bytes:
    with open_for_reading(path, shown) as handle:
        header = handle.read(HEADER_BYTES)
    if not header:
        raise ReaderError(f"{shown} is empty (0 bytes): not a SQLite database")
    if not header.startswith(SQLITE_MAGIC):
        raise ReaderError(f"{shown} is not a SQLite database (it does not start with the SQLite header)")
    return header


def fingerprint(path: Path, header: bytes) -> str:
    """Header, size and modification time of the database and of its -wal: changes with every commit."""
    hasher = hashlib.sha256(header)
    for candidate in (path, side_file(path, "-wal")):
        if candidate.exists():
            status = candidate.stat()
            hasher.update(f"{candidate.name}:{status.st_size}:{status.st_mtime_ns};".encode())
    return hasher.hexdigest()


def side_file(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _side_files(path: Path) -> set[str]:
    return {suffix for suffix in SIDE_FILES if side_file(path, suffix).exists()}


def _abandoned_wal(path: Path) -> bool:
    """Whether the -wal holds changes and no connection is open on the database: nobody holds the
    -shm's lock byte (or there is no -shm). Open-file-description locks see the POSIX locks SQLite
    takes even when they are held by this same process."""
    wal = side_file(path, "-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        return False
    try:
        shm = side_file(path, "-shm").open("rb")
    except FileNotFoundError:
        return True
    except OSError:
        return False
    with shm:
        query = struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, _SHM_DMS_BYTE, 1, 0)
        command = getattr(fcntl, "F_OFD_GETLK", fcntl.F_GETLK)
        try:
            answer = fcntl.fcntl(shm.fileno(), command, query)
        except OSError:
            return False
    return struct.unpack("hhqqi4x", answer)[0] == fcntl.F_UNLCK


def _is_locked(exc: sqlite3.Error) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class _Inspector:
    """One read of one open database."""

    def __init__(self, conn: sqlite3.Connection, redactor: Redactor, *, wal: bool) -> None:
        self.conn = conn
        self.redactor = redactor
        self.wal = wal
        self.warnings: list[str] = []

    def rows(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        return self.conn.execute(sql, tuple(params)).fetchall()

    def pragma(self, name: str, argument: str | None = None) -> list[tuple]:
        return self.rows(f"PRAGMA {name}" + (f"({quote(argument)})" if argument is not None else ""))

    def structure(self, count_budget_s: float) -> SqliteStructure:
        schema = self.rows("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY rowid")
        ddl = {name: sql for _, name, _, sql in schema}
        names = {kind: [(name, table) for k, name, table, _ in schema if k == kind] for kind in ("table", "view", "trigger")}
        pragmas = self.pragmas()
        statistics = self.statistics("sqlite_stat1" in ddl)
        tables, indexes = [], []
        for name, _ in names["table"]:
            if name.startswith("sqlite_"):
                continue
            table, table_indexes = self.table(name, ddl, statistics)
            tables.append(table)
            indexes.extend(table_indexes)
        self.count_rows(tables, count_budget_s)
        structure = SqliteStructure(
            pragmas=pragmas,
            tables=tables,
            indexes=indexes,
            views=[SqliteNamedSql(name=name, table=table, ddl=ddl[name]) for name, table in names["view"]],
            triggers=[SqliteNamedSql(name=name, table=table, ddl=ddl[name]) for name, table in names["trigger"]],
            has_statistics=bool(statistics),
            recommendations=[],
        )
        structure.recommendations = recommend(structure)
        return structure

    def pragmas(self) -> dict[str, str | int | None]:
        values: dict[str, str | int | None] = {
            # Only WAL is a property of the file; the other journal modes are chosen by each connection.
            "journal_mode": "wal" if self.wal else "rollback",
        }
        for name in ("page_size", "page_count", "freelist_count", "encoding", "user_version", "application_id"):
            values[name] = self.pragma(name)[0][0]
        values["auto_vacuum"] = {0: "none", 1: "full", 2: "incremental"}.get(self.pragma("auto_vacuum")[0][0])
        # A per-connection setting: this is SQLite's default for a new connection, not the file's.
        values["foreign_keys"] = self.pragma("foreign_keys")[0][0]
        return values

    def statistics(self, present: bool) -> dict[str, int]:
        """Rows per table from ANALYZE's sqlite_stat1 (its first number is the table's row count)."""
        if not present:
            return {}
        counts: dict[str, int] = {}
        for table, stat in self.rows("SELECT tbl, stat FROM sqlite_stat1"):
            first = str(stat or "").split(" ", 1)[0]
            if first.isdigit():
                counts.setdefault(table, int(first))
        return counts

    def table(self, name: str, ddl: dict[str, str], statistics: dict[str, int]) -> tuple[SqliteTable, list[SqliteIndex]]:
        sql = ddl.get(name, "")
        virtual = bool(_VIRTUAL.match(sql))
        without_rowid = bool(_WITHOUT_ROWID.search(sql))
        try:
            column_rows = self.pragma("table_xinfo", name)
        except sqlite3.DatabaseError as exc:  # a virtual table whose module this SQLite lacks
            self.warnings.append(f"table {name}: columns not readable ({exc})")
            column_rows = []
        visible = [row for row in column_rows if row[6] != 1]  # hidden=1: a virtual table's hidden column
        indexes = [] if virtual else self.indexes(name, ddl)
        unique_single = {index.columns[0] for index in indexes if index.unique and not index.partial and len(index.columns) == 1}
        columns = [
            SqliteColumn(
                name=col_name,
                type=col_type or "",
                not_null=bool(not_null),
                default=default,
                primary_key=pk,
                unique=col_name in unique_single and pk == 0,
                generated=hidden in (2, 3),
            )
            for _, col_name, col_type, not_null, default, pk, hidden in visible
        ]
        estimate, method = statistics.get(name), "sqlite_stat1"
        if estimate is None and not virtual and not without_rowid:
            estimate, method = (self.rows(f"SELECT max(_rowid_) FROM {quote(name)}")[0][0] or 0), "max_rowid"
        table = SqliteTable(
            name=name,
            columns=columns,
            primary_key=[column.name for column in sorted(columns, key=lambda c: c.primary_key) if column.primary_key],
            without_rowid=without_rowid,
            virtual=virtual,
            autoincrement=bool(_AUTOINCREMENT.search(sql)),
            foreign_keys=self.foreign_keys(name),
            unique_constraints=[i.columns for i in indexes if i.origin == "u" and len(i.columns) > 1],
            row_count=estimate,
            row_count_method=method if estimate is not None else "unknown",
            sample_rows=self.samples(name, [column.name for column in columns]) if columns else [],
            ddl=sql,
        )
        return table, indexes

    def indexes(self, table: str, ddl: dict[str, str]) -> list[SqliteIndex]:
        found = []
        for _, name, unique, origin, partial in self.pragma("index_list", table):
            columns = [
                column if column is not None else ("<rowid>" if cid == -1 else "<expr>")
                for _, cid, column in sorted(self.pragma("index_info", name))
            ]
            found.append(
                SqliteIndex(
                    name=name,
                    table=table,
                    columns=columns,
                    unique=bool(unique),
                    origin=origin,
                    partial=bool(partial),
                    ddl=ddl.get(name) or None,
                )
            )
        return sorted(found, key=lambda index: index.name)

    def foreign_keys(self, table: str) -> list[SqliteForeignKey]:
        grouped: dict[int, list[tuple]] = {}
        for row in self.pragma("foreign_key_list", table):
            grouped.setdefault(row[0], []).append(row)
        keys = []
        for _, rows in sorted(grouped.items()):
            rows.sort(key=lambda row: row[1])
            keys.append(
                SqliteForeignKey(
                    columns=[row[3] for row in rows],
                    ref_table=rows[0][2],
                    ref_columns=[row[4] for row in rows if row[4] is not None],
                    on_update=rows[0][5],
                    on_delete=rows[0][6],
                )
            )
        return keys

    def samples(self, table: str, columns: list[str]) -> list[dict[str, SampleCell]]:
        """A few rows; text cut, BLOBs as their size (length() of a BLOB does not read its pages)."""
        selected = ", ".join(
            f"typeof({quote(c)}), CASE typeof({quote(c)}) WHEN 'blob' THEN length({quote(c)}) "
            f"WHEN 'text' THEN substr({quote(c)}, 1, {SAMPLE_TEXT_CHARS + 1}) ELSE {quote(c)} END"
            for c in columns
        )
        try:
            rows = self.rows(f"SELECT {selected} FROM {quote(table)} LIMIT {SAMPLE_ROWS}")
        except sqlite3.OperationalError as exc:
            if _is_locked(exc):
                raise
            self.warnings.append(f"table {table}: sample rows not readable ({exc})")
            return []
        samples = []
        for row in rows:
            sample: dict[str, SampleCell] = {}
            for position, column in enumerate(columns):
                kind, value = row[2 * position], row[2 * position + 1]
                sample[column] = self.cell(table, column, kind, value)
            samples.append(sample)
        return samples

    def cell(self, table: str, column: str, kind: str, value: SampleCell) -> SampleCell:
        if kind == "blob":
            return f"<blob {value:,} bytes>"
        if kind != "text":
            return value
        text = str(value)
        text = text if len(text) <= SAMPLE_TEXT_CHARS else text[:SAMPLE_TEXT_CHARS] + "…"
        # Keyed by table and column: every column of a table named like a secret (`secrets.value`) is one.
        return self.redactor.value(f"{table}.{column}", text, f"{table}.{column} (sample row)", None,
                                   entropy=False)

    def count_rows(self, tables: list[SqliteTable], budget_s: float) -> None:
        """Exact counts while the budget lasts, smallest tables first; the others keep their estimate.

        count(*) walks every page of a table, so a clock stops it: a timer thread interrupts the
        connection when the budget is spent. It runs last, so a late interrupt can only stop a count.
        """
        if budget_s <= 0:
            return
        deadline = time.monotonic() + budget_s
        for table in sorted(tables, key=lambda t: (t.row_count is None, t.row_count or 0)):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            timer = threading.Timer(remaining, self.conn.interrupt)
            timer.start()
            try:
                table.row_count = self.rows(f"SELECT count(*) FROM {quote(table.name)}")[0][0]
                table.row_count_method = "count"
            except sqlite3.OperationalError as exc:
                if "interrupted" in str(exc):
                    return
                if _is_locked(exc):
                    raise
                self.warnings.append(f"table {table.name}: rows not countable ({exc})")
            finally:
                timer.cancel()


def recommend(structure: SqliteStructure) -> list[Recommendation]:
    """Advice that holds for most applications; each rule names what it is about."""
    found: list[Recommendation] = []
    pragmas = structure.pragmas
    real_tables = [table for table in structure.tables if not table.virtual]
    if pragmas.get("journal_mode") != "wal":
        found.append(Recommendation(
            rule="not_wal", target=None,
            message="rollback journal: PRAGMA journal_mode=WAL (persistent) lets readers work while one connection writes",
        ))
    user_indexes = [index for index in structure.indexes if index.origin == "c"]
    if user_indexes and not structure.has_statistics:
        found.append(Recommendation(
            rule="no_statistics", target=None,
            message="no ANALYZE statistics (sqlite_stat1): run ANALYZE or PRAGMA optimize so the planner picks indexes well",
        ))
    page_count, freelist = int(pragmas.get("page_count") or 0), int(pragmas.get("freelist_count") or 0)
    if freelist >= FREELIST_MIN_PAGES and freelist > FREELIST_SHARE * page_count:
        found.append(Recommendation(
            rule="freelist", target=None,
            message=f"{freelist:,} of {page_count:,} pages are free: VACUUM would shrink the file",
        ))
    if any(table.foreign_keys for table in real_tables):
        found.append(Recommendation(
            rule="foreign_keys_per_connection", target=None,
            message="foreign keys are declared but enforced only on connections that run PRAGMA foreign_keys=ON",
        ))
    indexes_by_table: dict[str, list[SqliteIndex]] = {}
    for index in structure.indexes:
        indexes_by_table.setdefault(index.table, []).append(index)
    for table in real_tables:
        found.extend(_table_advice(table, indexes_by_table.get(table.name, [])))
    return found


def _table_advice(table: SqliteTable, indexes: list[SqliteIndex]) -> list[Recommendation]:
    found: list[Recommendation] = []
    if not table.primary_key:
        found.append(Recommendation(
            rule="no_primary_key", target=table.name,
            message=f"table {table.name} has no PRIMARY KEY: rows have only the implicit rowid, which VACUUM may renumber",
        ))
    if table.autoincrement:
        found.append(Recommendation(
            rule="autoincrement", target=table.name,
            message=f"table {table.name} uses AUTOINCREMENT: INTEGER PRIMARY KEY already assigns ids; keep it only if "
            "ids must never be reused (it costs a write to sqlite_sequence per insert)",
        ))
    # Column lists that can serve a lookup: every index (not partial) and the primary key.
    keys = [index.columns for index in indexes if not index.partial]
    if table.primary_key:
        keys.append(table.primary_key)
    for foreign_key in table.foreign_keys:
        width = len(foreign_key.columns)
        if not any(sorted(key[:width]) == sorted(foreign_key.columns) for key in keys):
            columns = ", ".join(foreign_key.columns)
            found.append(Recommendation(
                rule="foreign_key_without_index", target=table.name,
                message=f"{table.name}({columns}) references {foreign_key.ref_table} without an index: deletes and "
                f"updates in {foreign_key.ref_table} scan {table.name}; CREATE INDEX idx_{table.name}_"
                f"{'_'.join(foreign_key.columns)} ON {table.name}({columns})",
            ))
    plain = [index for index in indexes if not index.partial and "<expr>" not in index.columns]
    for index in plain:
        if index.unique:
            continue  # a unique index enforces a constraint even when another index covers its columns
        wider = [
            other for other in plain
            if other.name != index.name and other.columns[: len(index.columns)] == index.columns
            and (len(other.columns) > len(index.columns) or other.name < index.name or other.unique)
        ]
        if wider:
            found.append(Recommendation(
                rule="redundant_index", target=index.name,
                message=f"index {index.name}({', '.join(index.columns)}) is a prefix of {wider[0].name}"
                f"({', '.join(wider[0].columns)}): it can be dropped",
            ))
    return found


def _open(path: Path, *, immutable: bool) -> sqlite3.Connection:
    conn = connect_read_only(path, immutable=immutable, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                             check_same_thread=False)
    conn.text_factory = lambda data: data.decode("utf-8", errors="replace")
    return conn


def _inspect(path: Path, shown: str, redactor: Redactor, *, wal: bool, immutable: bool, count_budget_s: float) -> tuple[SqliteStructure, list[str]]:
    try:
        conn = _open(path, immutable=immutable)
    except sqlite3.Error as exc:
        raise ReaderError(f"{shown}: SQLite cannot open it ({exc})") from exc
    inspector = _Inspector(conn, redactor, wal=wal)
    try:
        # A read transaction: every query sees the same snapshot, even while another process commits.
        conn.execute("BEGIN")
        return inspector.structure(count_budget_s), inspector.warnings
    except sqlite3.OperationalError as exc:
        if _is_locked(exc):
            raise ReaderError(
                f"{shown} is locked by another connection that is writing to it; try again once it commits "
                "(a database in WAL mode stays readable while it is written)"
            ) from exc
        raise ReaderError(f"{shown}: SQLite cannot read it ({exc})") from exc
    except sqlite3.DatabaseError as exc:
        raise ReaderError(f"{shown} is not a usable SQLite database ({exc})") from exc
    finally:
        conn.close()


def read_sqlite(
    path: Path, shown: str, redactor: Redactor, *, count_budget_s: float = COUNT_BUDGET_S
) -> tuple[ReaderOutput, str]:
    """The digest parts of a SQLite database, and its fingerprint (see `Digest.sha256`)."""
    status = stat_file(path, shown)
    header = read_header(path, shown)
    wal = header[18] == 2  # file format write version: 2 means WAL
    before = _side_files(path)
    if wal and _abandoned_wal(path):
        structure, warnings = _inspect_abandoned(path, shown, redactor, count_budget_s=count_budget_s)
        return _output(structure, warnings, status.st_size), fingerprint(path, header)
    immutable = wal and not before & {"-wal", "-shm"}
    structure, warnings = _inspect(path, shown, redactor, wal=wal, immutable=immutable, count_budget_s=count_budget_s)
    if immutable:
        after = path.stat()
        if (after.st_mtime_ns, after.st_size) != (status.st_mtime_ns, status.st_size) or _side_files(path) & {"-wal", "-shm"}:
            warnings.append("a writer opened the database during the read: it was read again through its WAL")
            before = _side_files(path)
            structure, warnings_again = _inspect(path, shown, redactor, wal=wal, immutable=False, count_budget_s=count_budget_s)
            warnings += warnings_again
    for suffix in sorted(_side_files(path) - before):
        warnings.append(f"SQLite created {path.name}{suffix} ({_SIDE_FILE_ROLES[suffix]}); the database itself is unchanged")
    return _output(structure, warnings, status.st_size), fingerprint(path, header)


def _inspect_abandoned(path: Path, shown: str, redactor: Redactor, *, count_budget_s: float) -> tuple[SqliteStructure, list[str]]:
    wal = side_file(path, "-wal")
    size = path.stat().st_size + wal.stat().st_size
    if size > COPY_LIMIT_BYTES:
        structure, warnings = _inspect(path, shown, redactor, wal=True, immutable=True, count_budget_s=count_budget_s)
        warnings.append(
            f"its -wal holds changes of a writer that is gone (crashed or killed), and database and -wal "
            f"({human_size(size)}) are too large to copy: read without those changes, so that no file is "
            "rewritten; opening the database once with SQLite folds them in"
        )
        return structure, warnings
    with tempfile.TemporaryDirectory(prefix="brainloop-sqlite-") as folder:
        copy = Path(folder) / "copy.db"
        shutil.copyfile(path, copy)
        shutil.copyfile(wal, side_file(copy, "-wal"))
        structure, warnings = _inspect(copy, shown, redactor, wal=True, immutable=False, count_budget_s=count_budget_s)
    warnings.append(
        "its -wal holds changes of a writer that is gone (crashed or killed): they were read from a copy, "
        "so that no file of the database is rewritten"
    )
    return structure, warnings


def _output(structure: SqliteStructure, warnings: list[str], size: int) -> ReaderOutput:
    return ReaderOutput(
        structure=structure,
        headline=_headline(structure, size),
        symbols=[table.name for table in structure.tables] + [view.name for view in structure.views],
        text=render(structure, size),
        warnings=warnings,
    )


def _rows(table: SqliteTable) -> str:
    if table.row_count is None:
        return "rows unknown"
    if table.row_count_exact:
        return plural(table.row_count, "row")
    return f"~{plural(table.row_count, 'row')} ({table.row_count_method.replace('_', ' ')} estimate)"


def _headline(structure: SqliteStructure, size: int) -> str:
    biggest = sorted(structure.tables, key=lambda t: -(t.row_count or 0))[:3]
    tables = ", ".join(f"{t.name} {'~' if not t.row_count_exact else ''}{t.row_count or 0:,}" for t in biggest)
    more = ", …" if len(structure.tables) > 3 else ""
    return one_line(
        f"SQLite {human_size(size)}, {plural(len(structure.tables), 'table')}"
        + (f" ({tables}{more})" if tables else "")
        + f", {structure.pragmas.get('journal_mode')}",
        100,
    )


def _column(column: SqliteColumn, references: dict[str, str]) -> str:
    parts = [column.name, column.type]
    if column.primary_key:
        parts.append("PK")
    if column.not_null and not column.primary_key:
        parts.append("NOT NULL")
    if column.unique:
        parts.append("UNIQUE")
    if column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if column.name in references:
        parts.append(f"→ {references[column.name]}")
    return " ".join(part for part in parts if part)


def render(structure: SqliteStructure, size: int) -> str:
    pragmas = structure.pragmas
    budget = TextBudget()
    budget.add(
        f"SQLite database {human_size(size)} (page {pragmas['page_size']} × {pragmas['page_count']:,}), "
        f"journal {pragmas['journal_mode']}, {pragmas['encoding']}, user_version {pragmas['user_version']}; "
        f"{plural(len(structure.tables), 'table')}, {plural(len(structure.indexes), 'index', 'indexes')}, "
        f"{plural(len(structure.views), 'view')}, {plural(len(structure.triggers), 'trigger')}"
    )
    for table in structure.tables:
        references = {
            column: f"{key.ref_table}({', '.join(key.ref_columns) or 'PK'})"
            for key in table.foreign_keys
            for column in key.columns
        }
        flags = "".join(
            f" {flag}" for flag, on in (("VIRTUAL", table.virtual), ("WITHOUT ROWID", table.without_rowid)) if on
        )
        columns = ", ".join(_column(column, references) for column in table.columns)
        columns += "".join(f", UNIQUE({', '.join(unique)})" for unique in table.unique_constraints)
        budget.add(f"table {table.name}{flags} ({_rows(table)}): {columns}")
        if table.sample_rows:
            sample = ", ".join(f"{key}={value!r}" for key, value in table.sample_rows[0].items())
            budget.add(f"  sample: {one_line(sample, 240)}")
    for index in structure.indexes:
        if index.origin == "c":
            unique = "unique " if index.unique else ""
            partial = " (partial)" if index.partial else ""
            budget.add(f"{unique}index {index.name} ON {index.table}({', '.join(index.columns)}){partial}")
    for view in structure.views:
        budget.add(f"view {view.name}: {one_line(view.ddl, 200)}")
    for trigger in structure.triggers:
        budget.add(f"trigger {trigger.name} ON {trigger.table}")
    for advice in structure.recommendations:
        budget.add(f"advice [{advice.rule}] {advice.message}")
    return budget.render()
