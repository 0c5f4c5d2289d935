"""Completion of workspace paths in an `Input` (→ or End accepts the suggestion)."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from textual.suggester import Suggester

from brainloop_tui.core.walk import SKIPPED_FOLDERS
from brainloop_tui.core.workspace import PathError, resolve_in_workspace

PATH_SEPARATORS = re.compile(r"[,\s]+")


def split_paths(value: str) -> list[str]:
    """Several target paths, separated by commas or spaces."""
    return [part for part in PATH_SEPARATORS.split(value) if part]


def complete_path(workspace: Path, value: str) -> str | None:
    """`value` with its last path completed from the workspace's folders (first match by name), or None."""
    last = PATH_SEPARATORS.split(value)[-1]
    folder, _, prefix = last.rpartition("/")
    try:
        listed = resolve_in_workspace(workspace, folder or ".")
        with os.scandir(listed) as entries:
            names = sorted((entry.name, entry.is_dir()) for entry in entries)
    except (PathError, OSError):
        return None
    for name, is_dir in names:
        if not name.startswith(prefix) or name == prefix:
            continue
        if (name.startswith(".") and not prefix.startswith(".")) or (is_dir and name in SKIPPED_FOLDERS):
            continue
        return value + name[len(prefix):] + ("/" if is_dir else "")
    return None


class PathSuggester(Suggester):
    def __init__(self, workspace: Path) -> None:
        super().__init__(use_cache=False, case_sensitive=True)  # folders change while the app runs
        self.workspace = workspace

    async def get_suggestion(self, value: str) -> str | None:
        if not value or value[-1] in ", ":
            return None
        return await asyncio.to_thread(complete_path, self.workspace, value)
