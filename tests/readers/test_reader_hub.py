"""The hub: kind detection, the digest's identity fields, and bad input (each a clear ReaderError)."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from brainloop_tui.core.readers import MAX_FILE_BYTES, READER_VERSION, ReaderError, build_digest, detect_kind


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("app.db", b"", "sqlite"),
        ("README.md", b"# x", "markdown"),
        ("notes.markdown", b"# x", "markdown"),
        ("config.yaml", b"a: 1", "config"),
        ("package.json", b"{}", "config"),
        (".env", b"A=1", "config"),
        (".env.production", b"A=1", "config"),
        ("setup.cfg", b"[x]", "config"),
        ("main.go", b"package main", "code"),
        ("index.tsx", b"", "code"),
        ("schema.sql", b"", "code"),
        ("Makefile", b"all:", "code"),
        ("script", b"#!/bin/sh\necho hi\n", "code"),
        ("data", b"SQLite format 3\x00" + b"\x00" * 84, "sqlite"),
        ("notes.txt", b"plain words", None),
        ("photo.png", b"\x89PNG\r\n", None),
        ("LICENSE", b"MIT License", None),
    ],
)
def test_detect_kind(workspace: Path, name: str, content: bytes, kind: str | None) -> None:
    path = workspace / name
    path.write_bytes(content)
    assert detect_kind(path) == kind


def test_identity_fields(workspace: Path) -> None:
    path = workspace / "notes.md"
    path.write_text("# Notes\n", encoding="utf-8")
    digest = build_digest(path, "notes.md")
    assert (digest.path, digest.kind, digest.size, digest.reader_version) == ("notes.md", "markdown", 8, READER_VERSION)
    assert digest.sha256 == hashlib.sha256(b"# Notes\n").hexdigest()
    assert digest.mtime == path.stat().st_mtime and not digest.truncated and digest.summary is None
    assert digest.token_estimate == -(-len(digest.text) // 4)


def test_a_file_over_the_limit_is_digested_from_its_head(workspace: Path) -> None:
    section = "## Part {}\n\n" + "word " * 200 + "\n\n"
    text = "# Big\n\n" + "".join(section.format(i) for i in range(1200))
    path = workspace / "big.md"
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size > MAX_FILE_BYTES
    digest = build_digest(path, "big.md")
    assert digest.truncated and digest.size == len(text.encode())
    assert digest.sha256 == hashlib.sha256(text.encode()).hexdigest()  # of the whole file
    assert any("over the 1,000,000-byte limit" in warning for warning in digest.warnings)
    assert 0 < digest.structure.section_count < 1201
    assert digest.structure.lines < text.count("\n")
    assert len(digest.text) <= 8_000


def test_non_utf8_text_is_decoded_with_replacement_and_said(workspace: Path) -> None:
    path = workspace / "old.md"
    path.write_bytes("# Caf\xe9\n\nna\xefve text\n".encode("latin-1"))
    digest = build_digest(path, "old.md")
    assert digest.structure.title == "Caf\ufffd"
    assert any("not UTF-8 (first bad byte on line 1)" in w and "2 characters replaced" in w for w in digest.warnings)


def test_utf16_with_a_byte_order_mark_is_read(workspace: Path) -> None:
    path = workspace / "win.md"
    path.write_bytes("# Windows\n".encode("utf-16"))
    digest = build_digest(path, "win.md")
    assert digest.structure.title == "Windows" and "decoded as UTF-16 (byte-order mark)" in digest.warnings


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda ws: ws / "absent.md", "absent.md: no such file"),
        (lambda ws: (ws / "folder.md").mkdir() or ws / "folder.md", "folder.md is a folder, not a file"),
        (lambda ws: (ws / "blob.json").write_bytes(b'{"a": "\x00\x01"}') and ws / "blob.json", "is a binary file"),
        (lambda ws: (ws / "notes.txt").write_text("x") and ws / "notes.txt", "no reader for this kind of file"),
        (lambda ws: os.mkfifo(ws / "pipe.md") or ws / "pipe.md", "is not a regular file"),
    ],
    ids=["missing", "folder", "binary", "unknown-kind", "fifo"],
)
def test_bad_input_is_a_clear_error(workspace: Path, make, message: str) -> None:
    path = make(workspace)
    with pytest.raises(ReaderError, match=message):
        build_digest(path, path.name)


def _unreadable_message(path: Path) -> str:
    """build_digest on an unreadable file, as a user without the power to read it.

    As root (CI, containers), chmod 000 does not stop reads: the check runs in a child process that
    drops the capabilities that let root read anything (setpriv, util-linux)."""
    code = (
        "import sys\nfrom pathlib import Path\nfrom brainloop_tui.core.readers import build_digest, ReaderError\n"
        "try:\n    build_digest(Path(sys.argv[1]), 'secret.md')\nexcept ReaderError as exc:\n    print(exc)\n"
    )
    command = [sys.executable, "-c", code, str(path)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: a chmod 000 file stays readable")
        caps = "-dac_override,-dac_read_search"
        command = [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", *command]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def test_permission_denied_is_a_clear_error(workspace: Path) -> None:
    path = workspace / "secret.md"
    path.write_text("# private\n", encoding="utf-8")
    path.chmod(0)
    try:
        assert _unreadable_message(path) == "secret.md: permission denied (the file is not readable by this user)"
    finally:
        path.chmod(0o644)


def test_digests_cross_process_boundaries(workspace: Path) -> None:
    path = workspace / "app.yaml"
    path.write_text("server:\n  port: 8080\n", encoding="utf-8")
    digest = build_digest(path, "app.yaml")
    assert pickle.loads(pickle.dumps(digest)) == digest
    assert type(digest).model_validate_json(digest.model_dump_json()) == digest
