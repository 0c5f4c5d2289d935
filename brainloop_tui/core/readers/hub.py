"""The hub: which reader a file gets, and the digest it makes (pure: no database, safe in any pool)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brainloop_tui.core.readers.code import lexer_for_name, read_code
from brainloop_tui.core.readers.config import config_format, read_config
from brainloop_tui.core.readers.markdown import read_markdown
from brainloop_tui.core.readers.models import READER_VERSION, Digest, DigestKind, ReaderError, ReaderOutput
from brainloop_tui.core.readers.redact import Redactor
from brainloop_tui.core.readers.render import token_estimate
from brainloop_tui.core.readers.source import load_text, stat_file
from brainloop_tui.core.readers.sqlite import SQLITE_MAGIC, read_sqlite

SQLITE_SUFFIXES = frozenset({".db", ".sqlite", ".sqlite3", ".db3", ".s3db", ".sl3"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdx"})


def _starts_with(path: Path, prefix: bytes) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(prefix)) == prefix
    except OSError:
        return False


def detect_kind(path: Path) -> DigestKind | None:
    """The reader for a file, by name first; a file with an unknown name is sniffed (SQLite header,
    `#!` script). None: no reader for this file."""
    suffix = path.suffix.lower()
    if suffix in SQLITE_SUFFIXES:
        return "sqlite"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if config_format(path.name):
        return "config"
    if lexer_for_name(path.name):
        return "code"
    if not path.is_file():
        return None
    if _starts_with(path, SQLITE_MAGIC):
        return "sqlite"
    if _starts_with(path, b"#!"):
        return "code"
    return None


def _read_text_kind(kind: DigestKind, path: Path, rel_path: str, text: str, redactor: Redactor) -> ReaderOutput:
    if kind == "markdown":
        return read_markdown(text, path)
    if kind == "code":
        return read_code(text, rel_path)
    return read_config(text, rel_path, redactor)


def build_digest(path: Path, rel_path: str, kind: DigestKind | None = None) -> Digest:
    """Read one file into a digest. Raises ReaderError with a message a person understands."""
    status = stat_file(path, rel_path)
    kind = kind or detect_kind(path)
    if kind is None:
        raise ReaderError(f"{rel_path}: no reader for this kind of file (readers: SQLite, Markdown, code, config)")
    redactor = Redactor()
    if kind == "sqlite":
        output, sha256 = read_sqlite(path, rel_path, redactor)
        size, mtime, truncated, warnings = status.st_size, status.st_mtime, False, []
    else:
        source = load_text(path, rel_path)
        output = _read_text_kind(kind, path, rel_path, source.text, redactor)
        size, mtime, sha256, truncated, warnings = source.size, source.mtime, source.sha256, source.truncated, source.warnings
    fields: dict[str, Any] = {
        "path": rel_path,
        "kind": kind,
        "size": size,
        "mtime": mtime,
        "sha256": sha256,
        "reader_version": READER_VERSION,
        "structure": output.structure.model_dump(mode="json"),
        "headline": output.headline,
        "symbols": output.symbols,
        "text": output.text,
        "truncated": truncated,
        "warnings": warnings + output.warnings,
    }
    # Last line of defence: whatever a reader let through (a key in a sample row, a token in a
    # docstring or a default argument) is redacted before the digest leaves this function.
    fields = redactor.scrub_all(fields)
    fields["warnings"] += redactor.warnings()
    fields["token_estimate"] = token_estimate(fields["text"])
    return Digest.model_validate(fields)
