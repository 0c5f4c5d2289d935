"""Path confinement: every path a user or an agent names is resolved inside the workspace or refused."""

from __future__ import annotations

import stat
from pathlib import Path, PurePosixPath

from brainloop_tui.core.config import STATE_DIR_NAME
from brainloop_tui.core.errors import BrainloopError


class PathError(BrainloopError):
    """A path is malformed, escapes the workspace, or names something that cannot be used."""


MAX_NAME_BYTES = 255  # NAME_MAX of every common file system: a longer name cannot exist


def resolve_in_workspace(workspace: Path, path: str | Path, *, for_write: bool = False) -> Path:
    """The real location of `path` (relative to the workspace) if it stays inside the workspace.

    Symlinks are followed before the check, so a link that leaves the workspace is refused, and so is
    Brainloop's own state folder (its databases hold the API key and everything recorded): nothing in it
    is read for a user or an agent, nor written. Writes also refuse absolute paths and anything not a
    regular file.
    """
    text = str(path)
    if not text.strip():
        raise PathError("path is empty")
    if "\x00" in text:
        raise PathError("path contains a NUL byte")
    if any(len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for part in Path(text).parts):
        raise PathError(f"{text[:80]}…: a file or folder name in it is longer than {MAX_NAME_BYTES} bytes")
    root = workspace.resolve()
    try:
        given = Path(text).expanduser() if text.startswith("~") else Path(text)
    except RuntimeError as exc:  # `~name` of a user this machine does not have
        raise PathError(f"{text}: cannot be resolved ({exc})") from exc
    if given.is_absolute() and for_write:
        raise PathError(f"{text}: give a path relative to the workspace, not an absolute one")
    try:
        resolved = (root / given).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on older Pythons
        raise PathError(f"{text}: cannot be resolved ({exc})") from exc
    if not resolved.is_relative_to(root):
        raise PathError(f"{text}: resolves outside the workspace {root}")
    if resolved.relative_to(root).parts[:1] == (STATE_DIR_NAME,):
        raise PathError(f"{text}: {STATE_DIR_NAME}/ holds Brainloop's own state and is neither read nor written")
    if for_write:
        if resolved.exists() and not stat.S_ISREG(resolved.stat().st_mode):
            raise PathError(f"{text}: exists and is not a regular file")
    return resolved


def relative_name(workspace: Path, path: Path) -> str:
    """How a path inside the workspace is shown and stored: relative, '/'-separated."""
    return PurePosixPath(path.resolve().relative_to(workspace.resolve())).as_posix()
