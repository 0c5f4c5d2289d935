"""From files to conventions, in two steps: each file's *facts* (what it shows, JSON-able, kept per file
in lifecycle.db so that a refresh re-reads only the files that changed), then the patterns of a
language aggregated from the facts of all its files."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brainloop_tui.core.loop.related import python_imports
from brainloop_tui.core.patterns.go import aggregate_go, go_facts
from brainloop_tui.core.patterns.model import Language, Pattern
from brainloop_tui.core.patterns.python import aggregate_python, is_config_file, python_facts
from brainloop_tui.core.patterns.sql import aggregate_sql, sql_facts
from brainloop_tui.core.walk import iter_workspace_files

MAX_PATTERN_FILE_BYTES = 1_000_000
# Conventions show well before this many files; the cap keeps a huge monorepo from taking minutes.
MAX_PATTERN_FILES = 5_000
BINARY_PROBE_BYTES = 8192

Facts = dict[str, Any]
FACTS: dict[Language, Callable[[str, str], Facts | None]] = {"go": go_facts, "python": python_facts, "sql": sql_facts}
AGGREGATES: dict[Language, Callable[[Iterable[tuple[str, Facts]]], list[Pattern]]] = {
    "go": aggregate_go, "python": aggregate_python, "sql": aggregate_sql,
}
SUFFIXES: dict[str, Language] = {".go": "go", ".py": "python", ".sql": "sql"}


def language_of(rel: str) -> Language | None:
    if is_config_file(rel):
        return "python"
    return SUFFIXES.get(Path(rel).suffix.lower())


@dataclass(frozen=True)
class FileStamp:
    """What says a file changed without reading it."""

    mtime_ns: int
    size: int


@dataclass(frozen=True)
class FileFacts:
    path: str
    language: Language
    stamp: FileStamp
    facts: Facts | None  # None: the file says nothing (not valid code, binary, unreadable)
    imports: list[str] = field(default_factory=list)  # absolute modules (Python) or import paths (Go)


@dataclass
class Scan:
    """What a walk found against the stamps already known: files to (re)store, and files gone."""

    changed: list[FileFacts] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seen: int = 0
    cut: bool = False  # stopped at the file cap
    stopped: bool = False  # asked to stop half-way: nothing of it is to be stored


def read_facts(root: Path, rel: str, language: Language, stamp: FileStamp) -> FileFacts:
    try:
        data = (root / rel).read_bytes()
    except OSError:
        data = b"\x00"  # removed or made unreadable since the walk: nothing to learn from it
    if b"\x00" in data[:BINARY_PROBE_BYTES]:
        return FileFacts(rel, language, stamp, None)
    text = data.decode("utf-8", errors="replace")
    facts = FACTS[language](rel, text)
    if language == "python" and facts is not None and "module" in facts:
        imports = python_imports(text, rel)
    elif language == "go" and facts is not None:
        imports = list(dict.fromkeys(facts["imports"]))
    else:
        imports = []
    return FileFacts(rel, language, stamp, facts, imports)


def scan(root: Path, known: Mapping[str, FileStamp], *, max_files: int = MAX_PATTERN_FILES,
         stop: threading.Event | None = None) -> Scan:
    """Walk `root` (synchronous: run it in a thread) and read only the files whose stamp differs from
    `known`. The stamp is taken before the file is read, so a file changing while it is read is read
    again by the next scan."""
    root = root.resolve()
    found = Scan()
    present: set[str] = set()
    for path in iter_workspace_files(root, max_size=MAX_PATTERN_FILE_BYTES, include=lambda rel: bool(language_of(rel)),
                                     probe_binary=False):
        if stop is not None and stop.is_set():
            found.stopped = True
            return found
        rel = path.relative_to(root).as_posix()
        try:
            info = path.stat()
        except OSError:
            continue
        present.add(rel)
        found.seen += 1
        stamp = FileStamp(info.st_mtime_ns, info.st_size)
        if known.get(rel) != stamp:
            language = language_of(rel)
            assert language is not None  # the walk's `include` let only these through
            found.changed.append(read_facts(root, rel, language, stamp))
        if found.seen >= max_files:
            found.cut = True
            break
    found.removed = sorted(set(known) - present)
    return found


def aggregate(rows: Iterable[tuple[str, Language, Facts | None]]) -> list[Pattern]:
    """Every language's patterns from the stored facts of its files."""
    by_language: dict[Language, list[tuple[str, Facts]]] = {language: [] for language in AGGREGATES}
    for path, language, facts in rows:
        if facts is not None and language in by_language:
            by_language[language].append((path, facts))
    found: list[Pattern] = []
    for language, items in by_language.items():
        found.extend(AGGREGATES[language](sorted(items)))
    return found


def collect_patterns(root: Path, *, max_files: int = MAX_PATTERN_FILES) -> list[Pattern]:
    """Every pattern found in the Go, Python and SQL files of `root`, read afresh (synchronous)."""
    found = scan(root, {}, max_files=max_files)
    return aggregate((item.path, item.language, item.facts) for item in found.changed)


def encode_facts(facts: Facts | None) -> str:
    return json.dumps(facts, separators=(",", ":"))
