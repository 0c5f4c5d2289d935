"""The test files of a workspace that exercise one target file, found by the naming conventions of its
language: what `{tests}` stands for in a project's `check_command`."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from brainloop_tui.core.walk import WalkError, iter_workspace_files

TEST_FOLDERS = frozenset({"tests", "test", "testing", "__tests__"})
MAX_TEST_FILES = 20
MAX_DEPTH = 16  # folders below the root: deeper test files are not looked for


def names_of_tests(target: str) -> frozenset[str]:
    """The file names a test of `target` has: Go `name_test.go`; Python `test_name.py` and `name_test.py`;
    other languages also `name.test.ext` and `name.spec.ext` (JavaScript, TypeScript)."""
    path = PurePosixPath(target)
    stem, suffix = path.stem, path.suffix
    if suffix == ".go":
        return frozenset({f"{stem}_test.go"})
    names = {f"test_{stem}{suffix}", f"{stem}_test{suffix}"}
    if suffix not in (".py", ".pyi"):
        names |= {f"{stem}.test{suffix}", f"{stem}.spec{suffix}"}
    return frozenset(names)


def is_test_file(target: str) -> bool:
    """Whether `target` is itself a test by its name (test_x.py, x_test.go, x.spec.ts…)."""
    name = PurePosixPath(target).name
    return name.startswith("test_") or any(marker in name for marker in ("_test.", ".test.", ".spec."))


def _likelihood(test: str, target: str) -> tuple[int, int, str]:
    """Sort key, most likely first: the target's own folder, then a tests tree that mirrors the target's
    folders (tests/pkg/test_x.py for pkg/x.py), then any tests tree, then anywhere; nearer folders first."""
    test_folder, target_folder = PurePosixPath(test).parent, PurePosixPath(target).parent
    in_tests_tree = any(part in TEST_FOLDERS for part in test_folder.parts)
    mirrored = [part for part in test_folder.parts if part not in TEST_FOLDERS]
    target_parts = [part for part in target_folder.parts if part != "src"]
    if test_folder == target_folder:
        rank = 0
    elif in_tests_tree and target_parts and mirrored[-len(target_parts):] == target_parts:
        rank = 1
    elif in_tests_tree:
        rank = 2
    else:
        rank = 3
    shared = len([1 for a, b in zip(test_folder.parts, target_folder.parts, strict=False) if a == b])
    distance = len(test_folder.parts) + len(target_folder.parts) - 2 * shared
    return rank, distance, test


def tests_for(workspace: Path, target: str) -> list[str]:
    """Workspace-relative test files that exercise `target` (workspace-relative), most likely first. A Go
    test lives in its package's folder; other tests anywhere, in a `tests/` tree or beside the target. The
    walk skips Brainloop's state, VCS folders, virtualenvs and git-ignored files, and is bounded."""
    if is_test_file(target):
        return [target]
    path = PurePosixPath(target)
    names = names_of_tests(target)
    if path.suffix == ".go":
        return sorted((path.parent / name).as_posix() for name in names if (workspace / path.parent / name).is_file())
    try:
        found = [test.relative_to(workspace.resolve()).as_posix() for test in iter_workspace_files(
            workspace, max_depth=MAX_DEPTH, max_files=MAX_TEST_FILES, include=lambda rel: rel.rpartition("/")[2]
            in names, probe_binary=False)]
    except WalkError:
        return []
    return sorted(found, key=lambda test: _likelihood(test, target))
