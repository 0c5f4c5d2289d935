"""Opening an SQLite file read-only, whatever its path holds. Read-only needs a `file:` URI, and SQLite
decodes `%xx` in one and ends its path at `?` or `#`: a path pasted in as-is opens another file
(`%2e%2e/out.db` is `../out.db`; `w#x/metadata.db` is `w`). The path is percent-encoded instead."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def read_only_uri(path: Path, *, immutable: bool = False) -> str:
    """The URI that opens `path` (made absolute) read-only; `immutable` also tells SQLite that nobody
    writes it, so it neither locks nor touches a `-shm`."""
    return Path(path).resolve().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")


def connect_read_only(path: Path, *, immutable: bool = False, **options: Any) -> sqlite3.Connection:
    return sqlite3.connect(read_only_uri(path, immutable=immutable), uri=True, **options)
