"""Sources: what the worker should know, registered in input.db.

This module is input.db's only writer (`brainloop source add|list|remove`, with the store opened by
`Store.open(workspace, input_writable=True)`); the worker reads it read-only. A `schema` (a .sql
file, or a SQLite database's DDL) and a `contract` (any text file: OpenAPI, .proto, an interface
document) are copied in with their sha256, so prompts can carry them and a later change shows up as
`changed` in the source's health.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
from pathlib import Path, PurePosixPath
from typing import Literal, cast, get_args

from pydantic import BaseModel

from brainloop_tui.core import readers  # the readers are imported when a source is first read
from brainloop_tui.core.db import Store, from_row, now
from brainloop_tui.core.errors import BrainloopError
from brainloop_tui.core.readers.render import MIN_SECTION_TOKENS, token_budget
from brainloop_tui.core.workspace import PathError, relative_name, resolve_in_workspace

SourceKind = Literal["file", "folder", "sqlite", "schema", "contract"]
SOURCE_KINDS: tuple[SourceKind, ...] = get_args(SourceKind)
Health = Literal["ok", "missing", "unreadable", "changed"]

MAX_CONTENT_BYTES = 1_000_000
PROMPT_CONTEXT_MAX_TOKENS = 2_000
SQLITE_MAGIC = b"SQLite format 3\x00"
CONTRACT_SUFFIXES = frozenset({".proto", ".graphql", ".gql", ".thrift", ".avsc", ".wsdl", ".idl", ".smithy"})
CONTRACT_NAME_HINTS = ("openapi", "swagger", "asyncapi")
CONTENT_TABLES = {"schema": ("schemas", "ddl"), "contract": ("contracts", "body")}


class SourceError(BrainloopError):
    """A source cannot be registered or removed as asked."""


class Source(BaseModel):
    id: int
    path: str  # relative to the workspace, '/'-separated
    kind: SourceKind
    note: str | None = None
    added_at: float


class SourceStatus(Source):
    health: Health
    detail: str | None = None


def _require_writable(store: Store) -> None:
    if store.input.read_only:
        raise SourceError(
            "input.db is open read-only here: sources are changed with `brainloop source add|remove`, "
            "which opens it for writing"
        )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_sqlite(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def guess_kind(path: Path) -> SourceKind:
    if path.is_dir():
        return "folder"
    if is_sqlite(path):
        return "sqlite"
    if path.suffix.lower() == ".sql":
        return "schema"
    if path.suffix.lower() in CONTRACT_SUFFIXES or path.name.lower().startswith(CONTRACT_NAME_HINTS):
        return "contract"
    return "file"


def _text(path: Path, rel: str, kind: SourceKind) -> str:
    try:
        loaded = readers.load_text(path, rel, MAX_CONTENT_BYTES)
    except readers.ReaderError as exc:
        raise SourceError(str(exc)) from exc
    if loaded.truncated:
        raise SourceError(f"{rel} is {loaded.size:,} bytes: a {kind} is at most {MAX_CONTENT_BYTES:,} bytes")
    if not loaded.text.strip():
        raise SourceError(f"{rel} is empty: there is no {kind} to register")
    return loaded.text


def _sqlite_ddl(path: Path, rel: str) -> list[tuple[str, str]]:
    try:
        structure = cast("readers.SqliteStructure", readers.build_digest(path, rel, kind="sqlite").structure)
    except readers.ReaderError as exc:
        raise SourceError(str(exc)) from exc
    named = [(table.name, table.ddl) for table in structure.tables]
    named += [(index.name, index.ddl) for index in structure.indexes if index.ddl]
    named += [(other.name, other.ddl) for other in [*structure.views, *structure.triggers]]
    if not named:
        raise SourceError(f"{rel}: the database has no tables, so it has no schema to register")
    return named


def registered_content(path: Path, rel: str, kind: SourceKind) -> list[tuple[str, str]]:
    """(name, text) rows kept for a schema or a contract; nothing for the other kinds.

    Also refuses a path that does not fit its kind. Synchronous: reads files.
    """
    if kind == "folder":
        if not path.is_dir():
            raise SourceError(f"{rel} is a file, not a folder: leave --kind out, or give file")
        return []
    if path.is_dir():
        raise SourceError(f"{rel} is a folder: register it with --kind folder")
    if kind == "sqlite" and not is_sqlite(path):
        raise SourceError(f"{rel} is not a SQLite database (its header says otherwise)")
    if kind == "schema":
        if is_sqlite(path):
            return _sqlite_ddl(path, rel)
        if path.suffix.lower() != ".sql":
            raise SourceError(f"{rel}: a schema is a .sql file or a SQLite database")
        return [(rel, _text(path, rel, kind))]
    if kind == "contract":
        return [(rel, _text(path, rel, kind))]
    return []


def _examine(path: Path, rel: str, kind: SourceKind | None) -> tuple[SourceKind, list[tuple[str, str]]]:
    try:
        chosen = kind or guess_kind(path)
        return chosen, registered_content(path, rel, chosen)
    except OSError as exc:
        raise SourceError(f"{rel}: cannot be read ({exc.strerror or exc})") from exc


def _in_workspace(store: Store, path: str | Path) -> tuple[Path, str]:
    resolved = resolve_in_workspace(store.workspace, path)
    return resolved, relative_name(store.workspace, resolved)


async def _find(store: Store, rel: str) -> Source | None:
    row = await store.input.fetchone("SELECT id, path, kind, note, added_at FROM sources WHERE path = ?", (rel,))
    return from_row(Source, row)


async def add_source(
    store: Store, path: str | Path, kind: SourceKind | None = None, note: str | None = None
) -> Source:
    """Register a file, folder, SQLite database, schema or contract (kind guessed when None)."""
    _require_writable(store)
    if kind is not None and kind not in SOURCE_KINDS:
        raise SourceError(f"unknown source kind {kind!r}: use one of {', '.join(SOURCE_KINDS)}")
    resolved, rel = _in_workspace(store, path)
    if not resolved.exists():
        raise SourceError(f"{path}: no such file or folder in the workspace")
    if existing := await _find(store, rel):
        raise SourceError(
            f"{rel} is already registered (as {existing.kind}); `brainloop source remove {rel}` first to register it again"
        )
    chosen, content = await asyncio.to_thread(_examine, resolved, rel, kind)
    note = (note or "").strip() or None
    stamp = now()
    try:
        async with store.input.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO sources (path, kind, note, added_at) VALUES (?, ?, ?, ?)", (rel, chosen, note, stamp)
            )
            source_id = cursor.lastrowid
            if content:
                table, column = CONTENT_TABLES[chosen]
                await conn.executemany(
                    f"INSERT INTO {table} (source_id, name, {column}, sha256, registered_at) VALUES (?, ?, ?, ?, ?)",
                    [(source_id, name, text, _sha256(text), stamp) for name, text in content],
                )
            await conn.execute(
                "INSERT INTO health (source_id, status, detail, checked_at) VALUES (?, 'ok', NULL, ?)", (source_id, stamp)
            )
    except sqlite3.IntegrityError as exc:  # registered by another process since the check above
        raise SourceError(f"{rel} is already registered") from exc
    return Source(id=source_id, path=rel, kind=chosen, note=note, added_at=stamp)


async def recorded_sources(store: Store) -> list[SourceStatus]:
    """Every registered source with the health recorded at its last check (no file is read)."""
    rows = await store.input.fetchall(
        "SELECT s.id, s.path, s.kind, s.note, s.added_at, coalesce(h.status, 'ok') AS health, h.detail "
        "FROM sources s LEFT JOIN health h ON h.source_id = s.id ORDER BY s.path"
    )
    return [SourceStatus.model_validate(dict(row)) for row in rows]


def _health(workspace: Path, source: Source, registered: list[tuple[str, str]]) -> tuple[Health, str | None]:
    try:
        path = resolve_in_workspace(workspace, source.path)
    except PathError as exc:
        return "unreadable", str(exc)
    if not path.exists():
        return "missing", "no longer exists"
    if (source.kind == "folder") != path.is_dir():
        return "changed", "is now a folder" if path.is_dir() else "is now a file"
    if not os.access(path, os.R_OK):
        return "unreadable", "permission denied"
    try:
        current = registered_content(path, source.path, source.kind)
    except OSError as exc:
        return "unreadable", exc.strerror or str(exc)
    except SourceError as exc:
        return "changed", str(exc)
    if sorted((name, _sha256(text)) for name, text in current) != registered:
        return "changed", "differs from the registered copy: remove and add it again to register the new one"
    return "ok", None


async def list_sources(store: Store) -> list[SourceStatus]:
    """Every registered source with its health, checked now (and recorded when input.db is writable)."""
    rows = await store.input.fetchall("SELECT id, path, kind, note, added_at FROM sources ORDER BY path")
    hashes: dict[int, list[tuple[str, str]]] = {}
    for table, _ in CONTENT_TABLES.values():
        for row in await store.input.fetchall(f"SELECT source_id, name, sha256 FROM {table} ORDER BY name, sha256"):
            hashes.setdefault(row["source_id"], []).append((row["name"], row["sha256"]))
    sources = [Source.model_validate(dict(row)) for row in rows]

    def check_all() -> list[tuple[Health, str | None]]:
        return [_health(store.workspace, source, sorted(hashes.get(source.id, []))) for source in sources]

    checked = await asyncio.to_thread(check_all)
    if not store.input.read_only and sources:
        stamp = now()
        await store.input.executemany(
            "INSERT INTO health (source_id, status, detail, checked_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (source_id) DO UPDATE SET status = excluded.status, detail = excluded.detail, "
            "checked_at = excluded.checked_at",
            [(source.id, status, detail, stamp) for source, (status, detail) in zip(sources, checked)],
        )
    return [
        SourceStatus(**source.model_dump(), health=status, detail=detail)
        for source, (status, detail) in zip(sources, checked)
    ]


async def remove_source(store: Store, path: str | Path) -> Source:
    """Unregister a source (its schema or contract copy goes with it); the file itself is untouched."""
    _require_writable(store)
    names = [PurePosixPath(os.path.normpath(str(path)).replace(os.sep, "/")).as_posix()]
    try:
        names.append(_in_workspace(store, path)[1])
    except BrainloopError:
        pass  # e.g. the registered file became a link leading out: its literal name still finds it
    for name in names:
        if source := await _find(store, name):
            await store.input.execute("DELETE FROM sources WHERE id = ?", (source.id,))
            return source
    raise SourceError(f"{path} is not a registered source (`brainloop source list` shows them)")


async def prompt_context(store: Store, max_tokens: int = PROMPT_CONTEXT_MAX_TOKENS) -> str:
    """The registered schemas and contracts as text for generation prompts, within `max_tokens`."""
    if max_tokens < MIN_SECTION_TOKENS:
        raise SourceError(f"max_tokens {max_tokens} is too small for the sources section (at least {MIN_SECTION_TOKENS})")
    budget = token_budget(max_tokens)
    headers = {
        "schema": "Registered database schemas (the code must match them):",
        "contract": "Registered contracts (interfaces the code must honour):",
    }
    said = False
    for kind, (table, column) in CONTENT_TABLES.items():
        rows = await store.input.fetchall(
            f"SELECT s.path, c.name, c.{column} AS text FROM {table} c JOIN sources s ON s.id = c.source_id "
            "ORDER BY s.path, c.id"
        )
        if rows:
            budget.add(headers[kind])
            said = True
        shown_path = None
        for row in rows:
            if row["path"] != shown_path:
                budget.add(f"-- {row['path']}")
                shown_path = row["path"]
            text = row["text"].rstrip()
            if kind == "schema" and not text.endswith(";"):
                text += ";"  # sqlite_master keeps DDL without its final semicolon
            for line in text.splitlines():
                budget.add(line)
    return budget.render() if said else ""
