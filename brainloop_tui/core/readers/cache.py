"""`read_digest`: confinement, the reader cache (lifecycle.db reader_cache), output.db digests, metrics.

The cache key is sha256(path, mtime_ns, size, READER_VERSION, kind) — and, for a SQLite database,
the same facts of its `-wal`, where a commit in WAL mode lands without touching the database file.
A changed file therefore has a new key and is never served from the cache; expired rows are ignored.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from brainloop_tui.core.db import Store, now
from brainloop_tui.core.readers.hub import build_digest, detect_kind
from brainloop_tui.core.readers.models import READER_VERSION, Digest, DigestKind, ReaderError
from brainloop_tui.core.readers.source import stat_file
from brainloop_tui.core.readers.sqlite import side_file
from brainloop_tui.core.telemetry import record_event, record_metric, record_metrics
from brainloop_tui.core.workspace import PathError, relative_name, resolve_in_workspace

CACHE_TTL_S = 3600.0


def file_signature(path: Path, rel_path: str, kind: DigestKind) -> str:
    """What identifies this version of the file: its modification time and size (and its -wal's)."""
    status = stat_file(path, rel_path)
    parts = [f"{status.st_mtime_ns}:{status.st_size}"]
    if kind == "sqlite":
        wal = side_file(path, "-wal")
        if wal.exists():
            wal_status = wal.stat()
            parts.append(f"wal {wal_status.st_mtime_ns}:{wal_status.st_size}")
    return ";".join(parts)


def cache_key(rel_path: str, signature: str, kind: DigestKind) -> str:
    return hashlib.sha256(f"{rel_path}\0{signature}\0{READER_VERSION}\0{kind}".encode()).hexdigest()


async def cached_digest(store: Store, key: str) -> Digest | None:
    row = await store.lifecycle.fetchone(
        "SELECT digest_json FROM reader_cache WHERE cache_key = ? AND expires_at > ?", (key, now())
    )
    return None if row is None else Digest.model_validate_json(row["digest_json"])


async def remember_digest(store: Store, key: str, digest: Digest) -> None:
    encoded = digest.model_dump_json()
    created = now()
    async with store.lifecycle.transaction() as conn:
        # One entry per path: older versions of the file can never be served again anyway.
        await conn.execute("DELETE FROM reader_cache WHERE path = ? AND cache_key != ?", (digest.path, key))
        await conn.execute(
            "INSERT OR REPLACE INTO reader_cache (cache_key, path, digest_json, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (key, digest.path, encoded, created, created + CACHE_TTL_S),
        )
    await store.output.execute(
        "INSERT INTO digests (path, kind, sha256, reader_version, size, mtime, digest_json, text, token_estimate, "
        "summary, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (path, sha256, reader_version) DO UPDATE SET kind = excluded.kind, size = excluded.size, "
        "mtime = excluded.mtime, digest_json = excluded.digest_json, text = excluded.text, "
        "token_estimate = excluded.token_estimate, summary = excluded.summary, created_at = excluded.created_at",
        (
            digest.path, digest.kind, digest.sha256, digest.reader_version, digest.size, digest.mtime, encoded,
            digest.text, digest.token_estimate, digest.summary, created,
        ),
    )


async def read_digest(
    store: Store, path: str | Path, *, kind: DigestKind | None = None, refresh: bool = False
) -> Digest:
    """The digest of a file of the workspace, from the cache when this version of it was read before.

    `refresh=True` reads the file again (no lookup, so neither a hit nor a miss is counted). Errors
    are ReaderErrors, and store nothing.
    """
    try:
        resolved = resolve_in_workspace(store.workspace, path)
    except PathError as exc:
        raise ReaderError(str(exc)) from exc
    rel_path = relative_name(store.workspace, resolved)
    stat_file(resolved, rel_path)  # missing or a folder: said before anything else
    kind = kind or await asyncio.to_thread(detect_kind, resolved)
    if kind is None:
        raise ReaderError(f"{rel_path}: no reader for this kind of file (readers: SQLite, Markdown, code, config)")
    signature = file_signature(resolved, rel_path, kind)
    key = cache_key(rel_path, signature, kind)
    if not refresh:
        cached = await cached_digest(store, key)
        if cached is not None:
            await record_metric(store, "reader_cache_hit", 1, {"kind": kind})
            await record_event(store, "cache_hit", {"path": rel_path, "kind": kind})
            return cached
    digest = await asyncio.to_thread(build_digest, resolved, rel_path, kind)
    if file_signature(resolved, rel_path, kind) == signature:
        await remember_digest(store, key, digest)
    # else: the file changed while it was read; the digest is returned but never cached
    metrics = {"digests_generated": 1.0} if refresh else {"reader_cache_miss": 1.0, "digests_generated": 1.0}
    await record_metrics(store, metrics, {"kind": kind})
    return digest
