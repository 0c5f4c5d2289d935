"""The workspace walk: .gitignore at any depth, skipped folders, binaries, limits, symlinks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from files import write

from brainloop_tui.core.walk import WalkError, iter_workspace_files


def walked(root: Path, **limits: int) -> list[str]:
    return [path.relative_to(root).as_posix() for path in iter_workspace_files(root, **limits)]


def test_nested_gitignore_applies_to_its_own_folder_and_can_reinclude(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "build/\n*.log\n!keep.log\n")
    write(tmp_path, "pkg/.gitignore", "*.txt\n!important.txt\n/local.py\n")
    for rel in ["app.log", "keep.log", "build/out.py", "pkg/notes.txt", "pkg/important.txt", "pkg/local.py",
                "pkg/deep/local.py", "pkg/deep/todo.txt", "other/notes.txt", "main.py"]:
        write(tmp_path, rel)
    assert walked(tmp_path) == [
        ".gitignore",
        "keep.log",
        "main.py",
        "other/notes.txt",
        "pkg/.gitignore",
        "pkg/deep/local.py",  # '/local.py' is anchored to pkg/ only
        "pkg/important.txt",
    ]


def test_state_vcs_virtualenv_node_modules_pycache_and_binaries_are_skipped(tmp_path: Path) -> None:
    for rel in [".brainloop/x.py", ".git/config", "node_modules/lib/index.js", "pkg/__pycache__/m.py",
                "env/pyvenv.cfg", "env/lib/site.py", "pkg/m.py"]:
        write(tmp_path, rel)
    write(tmp_path, "data.bin", b"header\x00payload")
    write(tmp_path, "late_nul.txt", b"a" * 9000 + b"\x00")  # NUL after the first 8 KB: text
    assert walked(tmp_path) == ["late_nul.txt", "pkg/m.py"]


def test_limits_depth_files_and_size(tmp_path: Path) -> None:
    write(tmp_path, "top.py")
    write(tmp_path, "a/one.py")
    write(tmp_path, "a/b/two.py")
    write(tmp_path, "big.sql", "x" * 2000)
    assert walked(tmp_path, max_depth=1) == ["big.sql", "top.py"]
    assert walked(tmp_path, max_depth=2) == ["a/one.py", "big.sql", "top.py"]
    assert walked(tmp_path, max_size=1000) == ["a/b/two.py", "a/one.py", "top.py"]
    assert walked(tmp_path, max_files=2) == ["a/b/two.py", "a/one.py"]


@pytest.mark.parametrize(
    ("limits", "message"),
    [({"max_depth": 0}, "max_depth"), ({"max_files": 0}, "max_files"), ({"max_size": -1}, "max_size")],
)
def test_bad_limits_are_refused(tmp_path: Path, limits: dict[str, int], message: str) -> None:
    with pytest.raises(WalkError, match=message):
        iter_workspace_files(tmp_path, **limits)


def test_a_file_or_missing_folder_is_refused(tmp_path: Path) -> None:
    file = write(tmp_path, "a.py")
    with pytest.raises(WalkError, match="not a folder"):
        iter_workspace_files(file)
    with pytest.raises(WalkError, match="not a folder"):
        iter_workspace_files(tmp_path / "missing")


def test_symlink_loops_and_links_leaving_the_root_do_not_hang_or_escape(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "a/b/code.py")
    write(tmp_path, "outside/secret.py")
    (root / "a" / "b" / "up").symlink_to(root / "a")  # loop
    (root / "a" / "self").symlink_to(".")  # loop on itself
    (root / "out").symlink_to(tmp_path / "outside")  # leaves the root
    (root / "secret_link.py").symlink_to(tmp_path / "outside" / "secret.py")
    (root / "dangling.py").symlink_to(root / "nowhere.py")
    (root / "alias").symlink_to(root / "a" / "b")  # inside, but already walked through a/
    assert walked(root) == ["a/b/code.py"]


def test_a_folder_that_cannot_be_listed_is_skipped(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every folder")
    write(tmp_path, "locked/x.py")
    write(tmp_path, "open.py")
    (tmp_path / "locked").chmod(0)
    try:
        assert walked(tmp_path) == ["open.py"]
    finally:
        (tmp_path / "locked").chmod(0o755)


def test_a_folder_of_100000_files_is_bounded_by_max_files(hundred_thousand_files: Path) -> None:
    files = walked(hundred_thousand_files, max_files=25)
    assert files == [f"many/f{index:06d}.txt" for index in range(25)]
