"""Choices the workbench remembers between runs (theme, the last sessions filter, the diff layout).

They live in lifecycle.db's `config` table, under the `ui.` prefix, so they follow the workspace. The
TUI reads and writes them only through these functions (it holds no SQL); what a value means (is it a
theme Textual knows?) is the TUI's business: here a value is a short line of text.
"""

from __future__ import annotations

from typing import Literal, get_args

from brainloop_tui.core.db import Store, now
from brainloop_tui.core.errors import BrainloopError

PreferenceName = Literal["theme", "session_filter", "diff_split"]
PREFERENCE_NAMES: tuple[str, ...] = get_args(PreferenceName)
KEY_PREFIX = "ui."
MAX_VALUE_CHARS = 200


class PreferenceError(BrainloopError):
    """An unknown preference, or a value that cannot be remembered."""


def _key(name: str) -> str:
    if name not in PREFERENCE_NAMES:
        raise PreferenceError(f"unknown preference {name!r}; known: {', '.join(PREFERENCE_NAMES)}")
    return KEY_PREFIX + name


def _check_value(name: str, value: str) -> str:
    if not isinstance(value, str):
        raise PreferenceError(f"preference {name!r} must be text, not {type(value).__name__}")
    if len(value) > MAX_VALUE_CHARS or "\n" in value or "\r" in value:
        raise PreferenceError(f"preference {name!r} must be one line of at most {MAX_VALUE_CHARS} characters")
    return value


async def get_preference(store: Store, name: PreferenceName) -> str | None:
    """The remembered value, or None when nothing was remembered yet."""
    row = await store.lifecycle.fetchone("SELECT value FROM config WHERE key = ?", (_key(name),))
    return None if row is None else str(row[0])


async def set_preference(store: Store, name: PreferenceName, value: str) -> None:
    """Remember `value` (replacing what was remembered)."""
    key = _key(name)
    value = _check_value(name, value)
    await store.lifecycle.execute(
        "INSERT INTO config (key, value, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (key, value, now()),
    )


async def load_preferences(store: Store) -> dict[str, str]:
    """Every remembered preference by name, in one query (what the workbench reads at start)."""
    rows = await store.lifecycle.fetchall(
        "SELECT key, value FROM config WHERE key IN (" + ", ".join("?" * len(PREFERENCE_NAMES)) + ")",
        [KEY_PREFIX + name for name in PREFERENCE_NAMES],
    )
    return {str(row["key"]).removeprefix(KEY_PREFIX): str(row["value"]) for row in rows}
