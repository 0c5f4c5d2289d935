"""Unified diffs of what the loop would write, bounded: difflib's matching grows with the product of the
two sides' changed lines (a 20,000-line file with every tenth line changed takes minutes), so beyond a
bound the diff is a one-line summary of the changed region instead. Callers run it in a thread."""

from __future__ import annotations

import difflib

# Changed lines before × after beyond which the diff is summarized: 4,000 × 4,000 lines take about a
# second here; one more order of magnitude of either side takes minutes.
MAX_CHANGED_LINE_PAIRS = 4_000 * 4_000


def unified_diff(before: str, after: str, name: str, *, before_label: str = "disk", after_label: str = "new") -> str:
    """The unified diff of `before` → `after`, or when the lines that differ are too many to match
    cheaply, its headers and a `@@ … @@` line saying which lines differ and that the diff is not shown."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    head = _common_prefix(old, new)
    tail = _common_prefix(old[head:][::-1], new[head:][::-1])
    removed, added = len(old) - head - tail, len(new) - head - tail
    if removed * added <= MAX_CHANGED_LINE_PAIRS:
        return "".join(difflib.unified_diff(old, new, f"{name} ({before_label})", f"{name} ({after_label})"))
    return (f"--- {name} ({before_label})\n+++ {name} ({after_label})\n"
            f"@@ -{head + 1},{removed} +{head + 1},{added} @@ too many changed lines to diff: "
            f"{removed:,} lines from line {head + 1} replaced by {added:,} (diff not shown)\n")


def _common_prefix(first: list[str], second: list[str]) -> int:
    count = 0
    for a, b in zip(first, second):
        if a != b:
            break
        count += 1
    return count
