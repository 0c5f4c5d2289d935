"""Writing test files: one helper for every test that lays out a folder."""

from __future__ import annotations

from pathlib import Path


def write(root: Path, rel: str, content: str | bytes = "x\n") -> Path:
    """`root/rel` with `content` (text as UTF-8), its folders made as needed."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path
