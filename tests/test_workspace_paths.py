"""Path confinement: nothing resolves outside the workspace, and writes are stricter still."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from brainloop_tui.core.workspace import PathError, relative_name, resolve_in_workspace


def test_relative_paths_inside_resolve(workspace: Path) -> None:
    assert resolve_in_workspace(workspace, "src/app.py") == workspace.resolve() / "src" / "app.py"
    assert relative_name(workspace, workspace / "src" / "app.py") == "src/app.py"
    assert resolve_in_workspace(workspace, "a/../b.py") == workspace.resolve() / "b.py"


@pytest.mark.parametrize("path", ["../outside.py", "a/../../outside.py", "/etc/passwd", "~/x", "~nosuchuser0", "~0/x", "", "  ", "a\x00b"])
def test_escapes_and_malformed_paths_are_refused(workspace: Path, path: str) -> None:
    with pytest.raises(PathError):
        resolve_in_workspace(workspace, path)


def test_a_symlink_leaving_the_workspace_is_refused(workspace: Path, tmp_path: Path) -> None:
    (workspace / "link").symlink_to(tmp_path)
    with pytest.raises(PathError, match="outside the workspace"):
        resolve_in_workspace(workspace, "link/secret.txt")


def test_absolute_path_inside_is_readable_but_not_writable(workspace: Path) -> None:
    target = workspace / "a.py"
    assert resolve_in_workspace(workspace, str(target)) == target.resolve()
    with pytest.raises(PathError, match="relative to the workspace"):
        resolve_in_workspace(workspace, str(target), for_write=True)


@pytest.mark.parametrize("path", [".brainloop/metadata.db", ".brainloop", "src/../.brainloop/x", "state/metadata.db"])
def test_the_state_folder_is_neither_read_nor_written(workspace: Path, path: str) -> None:
    (workspace / ".brainloop").mkdir()
    (workspace / "state").symlink_to(workspace / ".brainloop")
    for for_write in (False, True):
        with pytest.raises(PathError, match=r"\.brainloop/ holds Brainloop's own state and is neither read nor"):
            resolve_in_workspace(workspace, path, for_write=for_write)


def test_special_files_are_never_written(workspace: Path) -> None:
    (workspace / "dir").mkdir()
    with pytest.raises(PathError, match="not a regular file"):
        resolve_in_workspace(workspace, "dir", for_write=True)
    os.mkfifo(workspace / "pipe")
    with pytest.raises(PathError, match="not a regular file"):
        resolve_in_workspace(workspace, "pipe", for_write=True)


def test_a_symlink_loop_is_refused(workspace: Path) -> None:
    (workspace / "loop").symlink_to(workspace / "loop")
    with pytest.raises(PathError):
        resolve_in_workspace(workspace, "loop/x")
