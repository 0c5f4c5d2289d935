"""Readers turn a file into a digest: SQLite databases, Markdown, code and config files (SPEC §3).

`build_digest` is pure and synchronous (safe in a thread or process pool); `read_digest` adds
workspace confinement, the reader cache, output.db storage and the metrics. The readers are imported
on first use (see `brainloop_tui.core.lazy`).
"""

from brainloop_tui.core.lazy import lazy_exports

_EXPORTS = {
    "read_digest": ".cache",
    "build_digest": ".hub",
    "detect_kind": ".hub",
    "load_text": ".source",
    **dict.fromkeys(("MAX_FILE_BYTES", "READER_VERSION", "DIGEST_KINDS", "Digest", "DigestKind", "ReaderError"),
                    ".models"),
    **dict.fromkeys(("CodeStructure", "ConfigStructure", "MarkdownStructure", "SqliteStructure"), ".structures"),
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
