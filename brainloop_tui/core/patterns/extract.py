"""Walk the workspace once and hand each language's files to its extractor."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from brainloop_tui.core.patterns.go import extract_go
from brainloop_tui.core.patterns.model import Language, Pattern, SourceText
from brainloop_tui.core.patterns.python import extract_python, is_config_file
from brainloop_tui.core.patterns.sql import extract_sql
from brainloop_tui.core.walk import iter_workspace_files

MAX_PATTERN_FILE_BYTES = 1_000_000
# Conventions show well before this many files; the cap keeps a huge monorepo from taking minutes.
MAX_PATTERN_FILES = 5_000

EXTRACTORS: dict[Language, Callable[[Iterable[SourceText]], list[Pattern]]] = {
    "go": extract_go,
    "python": extract_python,
    "sql": extract_sql,
}
SUFFIXES: dict[str, Language] = {".go": "go", ".py": "python", ".sql": "sql"}


def language_of(rel: str) -> Language | None:
    if is_config_file(rel):
        return "python"
    return SUFFIXES.get(Path(rel).suffix.lower())


def _texts(root: Path, rels: list[str]) -> Iterator[SourceText]:
    for rel in rels:
        try:
            text = (root / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue  # removed or made unreadable since the walk: nothing to learn from it
        yield SourceText(rel, text)


def collect_patterns(root: Path, *, max_files: int = MAX_PATTERN_FILES) -> list[Pattern]:
    """Every pattern found in the Go, Python and SQL files of `root` (synchronous CPU work)."""
    root = root.resolve()
    by_language: dict[Language, list[str]] = {language: [] for language in EXTRACTORS}
    seen = 0
    for path in iter_workspace_files(root, max_size=MAX_PATTERN_FILE_BYTES):
        rel = path.relative_to(root).as_posix()
        language = language_of(rel)
        if language is not None:
            by_language[language].append(rel)
            seen += 1
            if seen >= max_files:
                break
    found: list[Pattern] = []
    for language, extract in EXTRACTORS.items():
        found.extend(extract(_texts(root, by_language[language])))
    return found
