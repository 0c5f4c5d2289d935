"""explore: a map of a folder — its tree, one line per file from the file's digest, top symbols.

The listing starts from the registered sources under the folder (even ignored or binary ones, such
as a SQLite database), then the walk of the folder (`.gitignore` respected), up to `max_files`.
Digests come from the reader cache; the missing ones are built in a process pool on every core when
there are enough of them to pay for starting it, else in one worker thread. A whole map is cached
too, under a key made of the listing (path, mtime_ns, size of every file) and the parameters, so an
unchanged folder is answered with one lookup.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import multiprocessing
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pydantic import BaseModel

from brainloop_tui.core.db import Store, now
from brainloop_tui.core.errors import BrainloopError
from brainloop_tui.core.readers.render import EXPLORE_MAX_TOKENS, MIN_SECTION_TOKENS, token_budget
from brainloop_tui.core.readers import READER_VERSION, Digest, DigestKind, ReaderError, build_digest, detect_kind
from brainloop_tui.core.readers.cache import CACHE_TTL_S, cache_key, cached_digest, file_signature, remember_digest
from brainloop_tui.core.readers.render import human_size, one_line, token_estimate
from brainloop_tui.core.sources import SourceStatus, recorded_sources
from brainloop_tui.core.telemetry import Metric, record_event, record_metrics
from brainloop_tui.core.walk import iter_workspace_files
from brainloop_tui.core.workspace import PathError, relative_name, resolve_in_workspace

# Bump when the map's shape or rendering changes: it is part of the map's cache key.
EXPLORE_VERSION = "1"
EXPLORE_MAX_FILES = 500
SYMBOLS_PER_LINE = 3
SYMBOLS_PER_ENTRY = 10
LINE_MAX_CHARS = 160
# Starting worker processes costs about a second; below this many digests to build, one thread wins.
PROCESS_POOL_MIN_FILES = 64
BATCHES_PER_WORKER = 4


class ExploreError(BrainloopError):
    """The folder to explore or a limit is unusable."""


class ExploreEntry(BaseModel):
    path: str  # relative to the workspace, '/'-separated
    size: int
    kind: DigestKind | None = None  # None: no reader for this file (shown by name and size)
    headline: str | None = None
    symbols: list[str] = []
    error: str | None = None  # why the reader could not digest it
    registered: bool = False  # a registered source


class ExploreResult(BaseModel):
    path: str  # the folder explored, relative to the workspace ("." for the workspace)
    max_depth: int | None
    max_files: int
    max_tokens: int
    entries: list[ExploreEntry]
    sources: list[SourceStatus]  # registered sources under the folder, with their last recorded health
    cut: bool  # max_files stopped the listing: the folder holds more files
    notes: list[str]
    text: str  # the map, within max_tokens
    token_estimate: int
    digests_built: int
    digests_cached: int
    from_cache: bool = False  # the whole map came from the cache: nothing changed


@dataclass(frozen=True)
class _Listed:
    path: Path
    rel: str
    size: int
    kind: DigestKind | None
    signature: str  # changes whenever the file does (see readers.cache.file_signature)
    registered: bool


def _check(max_depth: int | None, max_files: int, max_tokens: int) -> None:
    if max_depth is not None and max_depth < 1:
        raise ExploreError(f"max_depth must be at least 1 (got {max_depth})")
    if max_files < 1:
        raise ExploreError(f"max_files must be at least 1 (got {max_files})")
    if max_tokens < MIN_SECTION_TOKENS:
        raise ExploreError(f"max_tokens must be at least {MIN_SECTION_TOKENS} (got {max_tokens})")


def _folder(store: Store, path: str | Path) -> tuple[Path, str]:
    resolved = resolve_in_workspace(store.workspace, path)
    rel = relative_name(store.workspace, resolved)
    if not resolved.exists():
        raise ExploreError(f"{path}: no such folder in the workspace")
    if not resolved.is_dir():
        raise ExploreError(f"{rel} is a file, not a folder: read_code, read_markdown, read_config or read_sqlite read files")
    return resolved, rel


def _under(rel: str, folder_rel: str) -> bool:
    return folder_rel == "." or rel == folder_rel or rel.startswith(folder_rel + "/")


def _candidates(
    workspace: Path, root: Path, sources: list[SourceStatus], max_depth: int | None
) -> Iterator[tuple[Path, bool]]:
    """(file, registered) in priority order: registered sources first, then the walk of the folder."""
    root_depth = len(root.relative_to(workspace).parts)
    for source in sources:
        try:
            path = resolve_in_workspace(workspace, source.path)
        except PathError:
            continue  # replaced by a link that leaves the workspace since it was registered
        if source.kind != "folder":
            if path.is_file():
                yield path, True
        elif path != root and path.is_dir():
            depth = len(PurePosixPath(source.path).parts) - root_depth
            if max_depth is None or depth < max_depth:
                for found in iter_workspace_files(path, max_depth=None if max_depth is None else max_depth - depth):
                    yield found, True
    for found in iter_workspace_files(root, max_depth=max_depth):
        yield found, False


def _list_files(
    workspace: Path, root: Path, sources: list[SourceStatus], max_depth: int | None, max_files: int
) -> tuple[list[_Listed], bool]:
    """The files to map, sorted by path, and whether max_files cut the listing (synchronous: stats files)."""
    listed: dict[str, _Listed] = {}
    for path, registered in _candidates(workspace, root, sources, max_depth):
        rel = path.relative_to(workspace).as_posix()
        if rel in listed:
            continue
        if len(listed) == max_files:
            return sorted(listed.values(), key=lambda item: item.rel), True
        try:
            kind = detect_kind(path)
            status = path.stat()
            signature = file_signature(path, rel, kind) if kind else f"{status.st_mtime_ns}:{status.st_size}"
        except (OSError, ReaderError):
            continue  # gone or unreadable since it was listed
        listed[rel] = _Listed(path, rel, status.st_size, kind, signature, registered)
    return sorted(listed.values(), key=lambda item: item.rel), False


def build_digests(items: list[tuple[str, str, DigestKind, str]]) -> list[tuple[Digest | str, bool]]:
    """Digest each (path, rel, kind, signature): the digest or the reader's error message, and whether
    the file was unchanged while it was read (only then may the digest be cached).

    Runs in a worker process or thread: arguments and results are picklable.
    """
    results: list[tuple[Digest | str, bool]] = []
    for path, rel, kind, signature in items:
        try:
            digest = build_digest(Path(path), rel, kind)
            results.append((digest, file_signature(Path(path), rel, kind) == signature))
        except BrainloopError as exc:
            results.append((str(exc), False))
        except Exception as exc:  # a reader's bug must cost one line of the map, not the map
            # Only the type: the message of an unexpected error may quote the file's content.
            results.append((f"the {kind} reader failed unexpectedly ({type(exc).__name__}); please report it", False))
    return results


async def _build(missing: list[_Listed]) -> AsyncIterator[list[tuple[_Listed, Digest | str, bool]]]:
    """Digests of `missing`, a batch at a time as batches complete (the caller stores one batch while
    the workers build the next)."""
    items = [(str(item.path), item.rel, item.kind, item.signature) for item in missing if item.kind]
    workers = os.cpu_count() or 1
    if len(items) < PROCESS_POOL_MIN_FILES or workers < 2:
        results = await asyncio.to_thread(build_digests, items)
        yield [(item, digest, unchanged) for item, (digest, unchanged) in zip(missing, results)]
        return
    size = math.ceil(len(items) / (workers * BATCHES_PER_WORKER))
    loop = asyncio.get_running_loop()
    # spawn, not fork: this process runs threads (aiosqlite) that a forked child would inherit half-way.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: dict[asyncio.Future[list[tuple[Digest | str, bool]]], list[_Listed]] = {
            loop.run_in_executor(pool, build_digests, items[start : start + size]): missing[start : start + size]
            for start in range(0, len(items), size)
        }
        try:
            while pending:
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for future in done:
                    batch = pending.pop(future)
                    yield [(item, digest, unchanged) for item, (digest, unchanged) in zip(batch, future.result())]
        finally:
            if pending:  # cancelled, or a worker failed: do not wait for the rest
                pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class _Counts:
    cached: int  # digests found in the reader cache
    missed: int  # digests not in the cache
    built: int  # digests built now (a miss whose file no reader could read builds none)


async def _entries(store: Store, listed: list[_Listed]) -> tuple[list[ExploreEntry], _Counts]:
    """An entry per file, with its digest from the cache or built now."""
    digests: dict[str, Digest | str] = {}
    missing: list[_Listed] = []
    for item in listed:
        if item.kind is None:
            continue
        cached = await cached_digest(store, cache_key(item.rel, item.signature, item.kind))
        if cached is None:
            missing.append(item)
        else:
            digests[item.rel] = cached
    from_cache, built = len(digests), 0
    async with aclosing(_build(missing)) as batches:
        async for batch in batches:
            for item, digest, unchanged in batch:
                digests[item.rel] = digest
                if isinstance(digest, Digest) and item.kind:
                    built += 1
                    if unchanged:
                        await remember_digest(store, cache_key(item.rel, item.signature, item.kind), digest)
    entries = []
    for item in listed:
        found = digests.get(item.rel)
        entry = ExploreEntry(path=item.rel, size=item.size, kind=item.kind, registered=item.registered)
        if isinstance(found, Digest):
            entry.headline, entry.symbols = found.headline, found.symbols[:SYMBOLS_PER_ENTRY]
        elif found is not None:
            entry.error = found
        entries.append(entry)
    return entries, _Counts(cached=from_cache, missed=len(missing), built=built)


def _entry_line(entry: ExploreEntry, name: str, indent: str) -> str:
    if entry.headline is not None:
        line = f"{name} — {entry.headline}"
        if entry.symbols:
            line += f" · {', '.join(entry.symbols[:SYMBOLS_PER_LINE])}"
    elif entry.error is not None:
        line = f"{name} ({human_size(entry.size)}) — not read: {entry.error}"
    else:
        line = f"{name} ({human_size(entry.size)})"
    return indent + one_line(line, LINE_MAX_CHARS)


def render_map(folder_rel: str, entries: list[ExploreEntry], sources: list[SourceStatus], notes: list[str],
               max_tokens: int) -> str:
    """The tree, one line per file, within `max_tokens`."""
    budget = token_budget(max_tokens)
    title = "the workspace" if folder_rel == "." else f"{folder_rel}/"
    budget.add(f"Map of {title}: {len(entries)} files")
    for note in notes:
        budget.add(f"({note})")
    if sources:
        budget.add("Registered sources: " + ", ".join(f"{s.path} ({s.kind}, {s.health})" for s in sources))
    base = () if folder_rel == "." else PurePosixPath(folder_rel).parts
    shown: tuple[str, ...] = ()
    for entry in entries:
        parts = PurePosixPath(entry.path).parts[len(base) :]
        folders = parts[:-1]
        common = 0
        while common < min(len(shown), len(folders)) and shown[common] == folders[common]:
            common += 1
        for depth in range(common, len(folders)):
            budget.add("  " * depth + folders[depth] + "/")
        shown = folders
        budget.add(_entry_line(entry, parts[-1], "  " * len(folders)))
    return budget.render()


def _map_key(folder_rel: str, listed: list[_Listed], sources: list[SourceStatus], params: tuple) -> str:
    description = {
        "explore": EXPLORE_VERSION,
        "readers": READER_VERSION,
        "folder": folder_rel,
        "params": params,
        "files": [(item.rel, item.kind, item.signature, item.registered) for item in listed],
        "sources": [(source.path, source.kind, source.health) for source in sources],
    }
    return hashlib.sha256(json.dumps(description).encode()).hexdigest()


async def _cached_map(store: Store, key: str) -> ExploreResult | None:
    row = await store.lifecycle.fetchone(
        "SELECT digest_json FROM reader_cache WHERE cache_key = ? AND expires_at > ?", (key, now())
    )
    return None if row is None else ExploreResult.model_validate_json(row["digest_json"])


async def _remember_map(store: Store, key: str, folder_rel: str, result: ExploreResult) -> None:
    created = now()
    name = f"explore:{folder_rel}"  # never a file's path: maps and digests do not evict each other
    async with store.lifecycle.transaction() as conn:
        await conn.execute("DELETE FROM reader_cache WHERE path = ?", (name,))
        await conn.execute(
            "INSERT INTO reader_cache (cache_key, path, digest_json, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (key, name, result.model_dump_json(), created, created + CACHE_TTL_S),
        )


async def explore(
    store: Store,
    path: str | Path = ".",
    max_depth: int | None = None,
    max_files: int | None = None,
    max_tokens: int = EXPLORE_MAX_TOKENS,
) -> ExploreResult:
    """A map of a folder of the workspace, from the cache when nothing in it changed."""
    max_files = EXPLORE_MAX_FILES if max_files is None else max_files
    _check(max_depth, max_files, max_tokens)
    root, folder_rel = _folder(store, path)
    sources = [s for s in await recorded_sources(store) if _under(s.path, folder_rel)]
    listed, cut = await asyncio.to_thread(_list_files, store.workspace.resolve(), root, sources, max_depth, max_files)
    key = _map_key(folder_rel, listed, sources, (max_depth, max_files, max_tokens))
    cached = await _cached_map(store, key)
    if cached is not None:
        await record_metrics(store, {"reader_cache_hit": 1}, {"kind": "explore"})
        await record_event(store, "cache_hit", {"path": folder_rel, "kind": "explore", "files": len(listed)})
        return cached.model_copy(update={"from_cache": True})
    entries, counts = await _entries(store, listed)
    notes = []
    if cut:
        notes.append(f"cut at max_files={max_files}: the folder holds more files; explore a sub-folder or raise max_files")
    text = render_map(folder_rel, entries, sources, notes, max_tokens)
    result = ExploreResult(
        path=folder_rel,
        max_depth=max_depth,
        max_files=max_files,
        max_tokens=max_tokens,
        entries=entries,
        sources=sources,
        cut=cut,
        notes=notes,
        text=text,
        token_estimate=token_estimate(text),
        digests_built=counts.built,
        digests_cached=counts.cached,
    )
    await _remember_map(store, key, folder_rel, result)
    # Every lookup in reader_cache is a hit or a miss: the map's own (a miss here) and each file's.
    looked_up: dict[Metric, float] = {
        "reader_cache_hit": counts.cached,
        "reader_cache_miss": counts.missed + 1,
        "digests_generated": counts.built,
    }
    await record_metrics(store, {name: value for name, value in looked_up.items() if value}, {"kind": "explore"})
    return result
