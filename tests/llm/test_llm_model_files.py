"""Assembling the embedded model from its parts: verified, atomic, done once."""

from __future__ import annotations

import hashlib
import os

import pytest

from brainloop_tui.core.llm import LocalModelError
from brainloop_tui.core.llm.model_files import MODEL_SIZE, assemble_model, is_assembled, part_paths, parts_installed


@pytest.fixture
def parts(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    contents = [os.urandom(3000), os.urandom(1), os.urandom(12345)]
    paths = []
    for number, content in enumerate(contents, 1):
        path = folder / f"part{number:02d}.bin"
        path.write_bytes(content)
        paths.append(path)
    joined = b"".join(contents)
    return paths, joined, hashlib.sha256(joined).hexdigest()


def test_parts_are_joined_in_order_and_verified(parts, tmp_path):
    paths, joined, sha = parts
    seen = []
    target = assemble_model(paths, tmp_path / "cache" / "m.gguf", expected_size=len(joined), expected_sha256=sha,
                            progress=lambda done, total: seen.append((done, total)))
    assert target.read_bytes() == joined
    assert seen[-1] == (len(joined), len(joined)) and seen == sorted(seen)
    assert is_assembled(target, sha)
    assert sorted(p.name for p in target.parent.iterdir()) == ["m.gguf", "m.gguf.stamp.json"]  # no temp file left


def test_a_wrong_sha256_is_refused_and_leaves_nothing(parts, tmp_path):
    paths, joined, _ = parts
    cache = tmp_path / "cache"
    with pytest.raises(LocalModelError, match="corrupt .* --force-reinstall"):
        assemble_model(paths, cache / "m.gguf", expected_size=len(joined), expected_sha256="0" * 64)
    assert list(cache.iterdir()) == []


def test_a_wrong_size_is_refused(parts, tmp_path):
    paths, joined, sha = parts
    with pytest.raises(LocalModelError, match="corrupt"):
        assemble_model(paths[:2], tmp_path / "m.gguf", expected_size=len(joined), expected_sha256=sha)
    assert not (tmp_path / "m.gguf").exists()


def test_a_changed_file_is_no_longer_trusted(parts, tmp_path):
    paths, joined, sha = parts
    target = assemble_model(paths, tmp_path / "m.gguf", expected_size=len(joined), expected_sha256=sha)
    target.write_bytes(joined[:-1] + b"?")  # same size, new mtime
    os.utime(target, ns=(1, 1))
    assert not is_assembled(target, sha)
    assert not is_assembled(tmp_path / "missing.gguf", sha)


@pytest.mark.skipif(not parts_installed(), reason="the model parts ([local] extra) are not installed")
def test_installed_parts_add_up_to_the_model():
    paths = part_paths()
    assert [p.name for p in paths] == [f"part{n:02d}.bin" for n in range(1, 23)]
    assert sum(p.stat().st_size for p in paths) == MODEL_SIZE
