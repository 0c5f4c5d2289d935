"""The files of a workspace worth reading: what patterns, explore and the digest browser walk.

`.gitignore` files at any depth are honoured (pathspec's `GitIgnoreSpec`; a nested file applies to
its own folder, and deeper files take precedence, as in git). Brainloop's state, VCS folders,
virtualenvs, `node_modules`, `__pycache__` and binary files are skipped. Symlinked folders are
followed only when they stay inside the root and lead somewhere not walked yet, so a loop ends.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from brainloop_tui.core.config import STATE_DIR_NAME
from brainloop_tui.core.errors import BrainloopError

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

SKIPPED_FOLDERS = frozenset({STATE_DIR_NAME, ".git", ".hg", ".svn", "node_modules", "__pycache__"})
VIRTUALENV_MARKER = "pyvenv.cfg"
GITIGNORE = ".gitignore"
BINARY_PROBE_BYTES = 8192


class WalkError(BrainloopError):
    """The folder to walk or a limit is unusable."""


def is_binary(path: Path) -> bool:
    """A file with a NUL byte in its first 8 KB (git's own rule of thumb)."""
    with path.open("rb") as handle:
        return b"\x00" in handle.read(BINARY_PROBE_BYTES)


def _check_limit(name: str, value: int | None, minimum: int) -> None:
    if value is not None and value < minimum:
        raise WalkError(f"{name} must be at least {minimum} (got {value})")


class _Ignores:
    """The `.gitignore` rules that apply in one folder: its own file and those of its ancestors."""

    def __init__(self, chain: tuple[tuple[str, GitIgnoreSpec], ...] = ()) -> None:
        self._chain = chain  # (folder relative to the root with a trailing '/', or '', spec), shallow first

    def entering(self, folder: Path, folder_rel: str) -> _Ignores:
        ignore_file = folder / GITIGNORE
        try:
            lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return self
        from pathspec import GitIgnoreSpec  # not at the top: the workbench imports this module at start-up

        prefix = f"{folder_rel}/" if folder_rel else ""
        return _Ignores((*self._chain, (prefix, GitIgnoreSpec.from_lines(lines))))

    def ignored(self, rel: str, *, is_dir: bool) -> bool:
        # The deepest .gitignore with a matching rule decides; a '!' rule there re-includes.
        for prefix, spec in reversed(self._chain):
            inside = rel[len(prefix) :] + ("/" if is_dir else "")
            decision = spec.check_file(inside).include
            if decision is not None:
                return decision
        return False


def iter_workspace_files(
    root: Path,
    *,
    max_depth: int | None = None,
    max_files: int | None = None,
    max_size: int | None = None,
    include: Callable[[str], bool] | None = None,
    probe_binary: bool = True,
) -> Iterator[Path]:
    """Regular text files below `root`, depth first, each folder's entries sorted by name.

    Paths are yielded as seen from `root` (a file reached through a symlinked folder keeps the
    link's name). `max_depth` counts path parts from the root (1: only the root's own files),
    `max_files` stops the walk once that many files were yielded, `max_size` (bytes) skips bigger
    files, `include` (given the relative path) picks the files wanted before anything is read.
    Folders that cannot be listed and files that cannot be opened are skipped. `probe_binary=False`
    leaves out the binary check (it opens every file): for callers that read the files anyway.
    """
    _check_limit("max_depth", max_depth, 1)
    _check_limit("max_files", max_files, 1)
    _check_limit("max_size", max_size, 0)
    if not root.is_dir():
        raise WalkError(f"{root} is not a folder")
    return _walk(root.resolve(), max_depth, max_files, max_size, include, probe_binary)


def _walk(root: Path, max_depth: int | None, max_files: int | None, max_size: int | None,
          include: Callable[[str], bool] | None, probe_binary: bool) -> Iterator[Path]:
    root_stat = root.stat()
    visited = {(root_stat.st_dev, root_stat.st_ino)}
    yielded = 0

    def walk_folder(folder: Path, folder_rel: str, depth: int, ignores: _Ignores) -> Iterator[Path]:
        nonlocal yielded
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            return
        names = {entry.name for entry in entries}
        if folder_rel and VIRTUALENV_MARKER in names:
            return
        if GITIGNORE in names:
            ignores = ignores.entering(folder, folder_rel)
        for entry in entries:
            if max_files is not None and yielded >= max_files:
                return
            rel = f"{folder_rel}/{entry.name}" if folder_rel else entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if ignores.ignored(rel, is_dir=is_dir):
                continue
            if is_dir:
                if entry.name in SKIPPED_FOLDERS or (max_depth is not None and depth >= max_depth):
                    continue
                if _enter(Path(entry.path), entry.is_symlink()):
                    yield from walk_folder(Path(entry.path), rel, depth + 1, ignores)
            elif (include is None or include(rel)) and _wanted_file(entry, root, max_size, probe_binary):
                yielded += 1
                yield Path(entry.path)

    def _enter(folder: Path, is_link: bool) -> bool:
        try:
            if is_link and not folder.resolve(strict=True).is_relative_to(root):
                return False
            info = folder.stat()
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop on older Pythons
            return False
        identity = (info.st_dev, info.st_ino)
        if identity in visited:
            return False
        visited.add(identity)
        return True

    yield from walk_folder(root, "", 1, _Ignores())


def _wanted_file(entry: os.DirEntry[str], root: Path, max_size: int | None, probe_binary: bool) -> bool:
    path = Path(entry.path)
    try:
        if not entry.is_file():
            return False
        if entry.is_symlink() and not path.resolve(strict=True).is_relative_to(root):
            return False
        if max_size is not None and entry.stat().st_size > max_size:
            return False
        return not (probe_binary and is_binary(path))
    except (OSError, RuntimeError):
        return False
