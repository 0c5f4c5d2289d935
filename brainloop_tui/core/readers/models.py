"""The digest: what a reader makes of one file, and what every consumer (prompts, maps, the TUI) uses."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from brainloop_tui.core.errors import BrainloopError
from brainloop_tui.core.readers.structures import (
    CodeStructure,
    ConfigStructure,
    MarkdownStructure,
    SqliteStructure,
)

DigestKind = Literal["sqlite", "markdown", "code", "config"]
DIGEST_KINDS: tuple[DigestKind, ...] = ("sqlite", "markdown", "code", "config")

# Bump whenever any reader's output changes: it is part of every cache key and of output.db digests.
READER_VERSION = "3"  # 3: sections and top-level keys left out of the structure are counted in the text

# Text files larger than this are digested from their head only (`truncated=True`).
MAX_FILE_BYTES = 1_000_000

HEADLINE_MAX_CHARS = 100


class ReaderError(BrainloopError):
    """A file cannot be read into a digest: missing, a folder, binary, unreadable, not SQLite, locked, ..."""


Structure = Annotated[
    SqliteStructure | MarkdownStructure | CodeStructure | ConfigStructure,
    Field(discriminator="kind"),
]


class ReaderOutput(BaseModel):
    """What one reader returns; the hub adds the file's identity to make a `Digest`."""

    structure: Structure
    headline: str
    symbols: list[str]
    text: str
    warnings: list[str] = []


class Digest(BaseModel):
    path: str  # workspace-relative, '/'-separated
    kind: DigestKind
    size: int
    mtime: float
    # Content hash of the whole file; for SQLite a fingerprint of header, sizes and times of the
    # database and its -wal (hashing a multi-gigabyte database would cost seconds).
    sha256: str
    reader_version: str
    structure: Structure
    headline: str  # one line, at most HEADLINE_MAX_CHARS
    symbols: list[str]  # the most important names
    text: str  # compact rendering for prompts
    token_estimate: int
    truncated: bool  # only the head of an over-size file was read
    warnings: list[str]
    summary: str | None = None  # optional LLM-written summary
