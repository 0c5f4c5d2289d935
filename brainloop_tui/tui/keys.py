"""Every key of the workbench, in one table: binding id, default keys, action, footer label, help text.

The ids are what a `[keymap]` section of the config overrides (`propose = "ctrl+n"`); the help screen
is made from this table, and a test holds the README's key map to it, so neither drifts from the bindings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    id: str
    keys: str  # Textual key names, comma-separated; single characters are allowed ("[", "?")
    action: str
    label: str  # footer text
    help: str
    show: bool = True  # in the footer (every key is on the help screen)


APP_KEYS = (
    Key("help", "question_mark", "help", "Help", "show this help"),
    Key("theme", "t", "change_theme", "Theme", "pick a theme (remembered for the workspace)", show=False),
    Key("quit", "q", "quit", "Quit", "quit Brainloop"),
)

MAIN_KEYS = (
    Key("propose", "n", "propose", "New", "new proposal: prompt, target path(s), language"),
    Key("audit", "a", "audit", "Audit", "audit the block: re-read the file on disk, show the diff against it",
        show=False),
    Key("refine", "r", "refine", "Refine", "refine the block with feedback (a new iteration)"),
    Key("commit", "c", "commit", "Commit", "commit the block: confirm the diff against disk, then write it"),
    Key("commit_all", "C", "commit_all", "Commit all", "commit every block of the session", show=False),
    Key("undo", "u", "undo", "Undo", "undo the block's last commit (puts the old file back)"),
    Key("prev_iteration", "[", "step_iteration(-1)", "Prev", "show the previous iteration"),
    Key("next_iteration", "]", "step_iteration(1)", "Next", "show the next iteration"),
    Key("mark_base", "m", "mark_base", "Mark", "mark the shown iteration as the base of the iteration diff",
        show=False),
    Key("diff_mode", "d", "cycle_mode", "Diff", "code → diff between iterations → diff against disk"),
    Key("split", "s", "toggle_split", "Split", "split or unified diff"),
    Key("next_block", "b", "next_block", "Block", "next block of the session", show=False),
    Key("copy", "y", "copy", "Copy", "copy the shown iteration's code", show=False),
    Key("editor", "e", "editor", "Edit", "$EDITOR: an uncommitted iteration (saved back as the next one), else the file",
        show=False),
    Key("export", "x", "export", "Export", "export the session as Markdown (.brainloop/exports/)", show=False),
    Key("filter", "slash", "filter", "Filter", "filter the sessions"),
    Key("cancel", "escape", "cancel", "Cancel", "cancel the running generation"),
    Key("tab_loop", "1", "show_tab('loop')", "Loop", "sessions and block viewer", show=False),
    Key("tab_digests", "2", "show_tab('digests')", "Digests", "the workspace's files as digests", show=False),
    Key("tab_stats", "3", "show_tab('stats')", "Stats", "tokens, latency, cache, sessions, workers", show=False),
)

SESSION_FILTER_KEYS = (
    Key("filter_done", "escape", "leave", "Done", "sessions filter: back to the list (Enter too)"),
)

DIGEST_KEYS = (
    Key("digest_refresh", "f5", "refresh", "Refresh", "digests: walk the workspace again, re-read the digest"),
    Key("digest_summarize", "s", "summarize", "Summarize", "digests: a summary of the file written by the LLM"),
    Key("digest_cancel", "escape", "cancel_summary", "Cancel", "digests: stop the summary being written"),
)

MODAL_KEYS = (
    Key("submit", "ctrl+s", "submit", "Submit", "dialogs: submit (also Enter in a one-line field)"),
    Key("dismiss", "escape", "dismiss_modal", "Close", "dialogs: close without doing anything"),
    Key("finalize", "f", "toggle_finalize", "Finalize", "commit dialog: one last low-temperature pass first"),
    Key("force", "F", "toggle_force", "Force", "commit dialog: commit despite errors or a changed file"),
    Key("confirm", "y", "confirm", "Yes", "confirmations: yes"),
)

ALL_KEYS: tuple[Key, ...] = APP_KEYS + MAIN_KEYS + SESSION_FILTER_KEYS + DIGEST_KEYS + MODAL_KEYS
KEY_IDS = frozenset(key.id for key in ALL_KEYS)


def bindings(keys: Iterable[Key]) -> list[Binding]:
    return [Binding(k.keys, k.action, k.label, show=k.show, id=k.id) for k in keys]


def find(key_id: str) -> Key:
    return next(key for key in ALL_KEYS if key.id == key_id)


def unknown_ids(keymap: Mapping[str, str]) -> list[str]:
    """Ids in a `[keymap]` section that name no binding (Textual would ignore them silently)."""
    return sorted(set(keymap) - KEY_IDS)


def effective_keys(keymap: Mapping[str, str]) -> list[tuple[Key, str]]:
    """Every key with the keys that trigger it once `keymap` is applied."""
    return [(key, keymap.get(key.id, key.keys)) for key in ALL_KEYS]
