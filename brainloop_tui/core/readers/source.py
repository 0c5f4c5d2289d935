"""Opening a file for a reader: every way it can fail becomes a `ReaderError` a person understands."""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from brainloop_tui.core.readers.models import MAX_FILE_BYTES, ReaderError
from brainloop_tui.core.readers.render import plural

# Like git: a NUL byte near the start means binary.
BINARY_SNIFF_BYTES = 8192
_HASH_CHUNK = 1 << 20


@contextmanager
def _explained(shown: str, denied: str) -> Iterator[None]:
    """OS errors as messages: `denied` says what permission was missing."""
    try:
        yield
    except FileNotFoundError:
        raise ReaderError(f"{shown}: no such file") from None
    except PermissionError:
        raise ReaderError(f"{shown}: permission denied ({denied})") from None
    except OSError as exc:
        raise ReaderError(f"{shown}: cannot be read ({exc.strerror or exc})") from exc


def stat_file(path: Path, shown: str) -> os.stat_result:
    """The file's status, or why it cannot be read as a file."""
    with _explained(shown, "cannot look at the file"):
        status = path.stat()
    if stat.S_ISDIR(status.st_mode):
        raise ReaderError(f"{shown} is a folder, not a file: `explore` maps folders")
    if not stat.S_ISREG(status.st_mode):
        raise ReaderError(f"{shown} is not a regular file (a device, socket or pipe): nothing to read")
    return status


@contextmanager
def open_for_reading(path: Path, shown: str) -> Iterator[BinaryIO]:
    with _explained(shown, "the file is not readable by this user"):
        handle = path.open("rb")
    with handle:
        yield handle


@dataclass(frozen=True)
class SourceText:
    text: str
    size: int
    mtime: float
    sha256: str
    truncated: bool
    warnings: list[str]


def _decode(data: bytes, shown: str) -> tuple[str, list[str]]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), ["decoded as UTF-16 (byte-order mark)"]
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise ReaderError(f"{shown} is a binary file (it contains NUL bytes): no reader handles it")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        text = data.decode("utf-8-sig", errors="replace")
        bad = text.count("\ufffd")
        return text, [
            f"not UTF-8 (first bad byte on line {line}): decoded with replacement, "
            f"{plural(bad, 'character')} replaced by U+FFFD"
        ]


def load_text(path: Path, shown: str, max_bytes: int = MAX_FILE_BYTES) -> SourceText:
    """The file's text (its head when it is larger than `max_bytes`) with its size, time and sha256."""
    status = stat_file(path, shown)
    with open_for_reading(path, shown) as handle:
        head = handle.read(max_bytes)
        hasher, size = hashlib.sha256(head), len(head)
        while chunk := handle.read(_HASH_CHUNK):  # the rest is only hashed
            hasher.update(chunk)
            size += len(chunk)
    truncated = size > len(head)
    warnings: list[str] = []
    if truncated:
        # Cut at the last line end: no half line, no half UTF-8 character.
        cut = head.rfind(b"\n")
        head = head[: cut + 1] if cut > 0 else head
        warnings.append(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit: only its first {len(head):,} bytes were read")
    text, decode_warnings = _decode(head, shown)
    return SourceText(
        text=text,
        size=size,
        mtime=status.st_mtime,
        sha256=hasher.hexdigest(),
        truncated=truncated,
        warnings=decode_warnings + warnings,
    )
