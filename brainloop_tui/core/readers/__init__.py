"""Readers turn a file into a digest: SQLite databases, Markdown, code and config files (SPEC §3).

`build_digest` is pure and synchronous (safe in a thread or process pool); `read_digest` adds
workspace confinement, the reader cache, output.db storage and the metrics.
"""

from brainloop_tui.core.readers.cache import read_digest
from brainloop_tui.core.readers.hub import build_digest, detect_kind
from brainloop_tui.core.readers.models import (
    MAX_FILE_BYTES,
    READER_VERSION,
    Digest,
    DigestKind,
    ReaderError,
)
from brainloop_tui.core.readers.structures import (
    CodeStructure,
    ConfigStructure,
    MarkdownStructure,
    SqliteStructure,
)

__all__ = [
    "MAX_FILE_BYTES",
    "READER_VERSION",
    "CodeStructure",
    "ConfigStructure",
    "Digest",
    "DigestKind",
    "MarkdownStructure",
    "ReaderError",
    "SqliteStructure",
    "build_digest",
    "detect_kind",
    "read_digest",
]
