"""Text the workbench shows, made from core models: ages, status marks, a digest as Markdown.

Pure functions (no widgets), so the screens stay small and these are tested on their own.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from brainloop_tui.core.loop.validators import Diagnostic
from brainloop_tui.core.readers.render import human_size

if TYPE_CHECKING:
    from brainloop_tui.core.readers import Digest

STATUS_MARKS = {
    "active": "●", "committed": "✔", "failed": "✖", "cancelled": "○",
    "pending": "…", "generating": "⟳", "proposed": "●", "refined": "●",
    "streaming": "⟳", "done": "✔",
}
STATUS_STYLES = {
    "active": "$warning", "committed": "$success", "failed": "$error", "cancelled": "$text-muted",
    "pending": "$text-muted", "generating": "$accent", "proposed": "$warning", "refined": "$warning",
    "streaming": "$accent", "done": "$success",
}
SEVERITY_MARKS = {"error": "✖", "warning": "▲", "info": "ℹ"}
# Payload keys holding ids: random strings that mean nothing to a person reading the dashboard.
ID_KEYS = frozenset({"session", "block", "worker", "worker_id", "session_id", "block_id", "pid"})


def age(seconds: float) -> str:
    """Coarse and short on purpose: "now" for the first minute, then minutes, hours, days (5m, 3h, 2d)."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def ago(seconds: float) -> str:
    shown = age(seconds)
    return "just now" if shown == "now" else f"{shown} ago"


def mark(status: str) -> str:
    return STATUS_MARKS.get(status, "?")


def style_of(status: str) -> str:
    return STATUS_STYLES.get(status, "$text")


def diagnostic_line(diagnostic: Diagnostic) -> str:
    where = f"{diagnostic.line}:{diagnostic.column} " if diagnostic.line and diagnostic.column else (
        f"{diagnostic.line} " if diagnostic.line else "")
    return f"{SEVERITY_MARKS[diagnostic.severity]} {where}{diagnostic.source}: {diagnostic.message}"


def event_details(payload: str) -> str:
    """A telemetry payload as `key=value` pairs, without the ids."""
    try:
        values = json.loads(payload)
    except ValueError:
        return payload
    if not isinstance(values, dict):
        return str(values)
    return " ".join(f"{key}={value}" for key, value in values.items() if key not in ID_KEYS)


def fence_for(text: str) -> str:
    """A fence longer than any backtick run inside `text`."""
    longest, run = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def digest_markdown(digest: Digest) -> str:
    lines = [f"# {digest.path}", "", f"**{digest.kind}** · {human_size(digest.size)} · "
             f"~{digest.token_estimate:,} tokens" + (" · head only (large file)" if digest.truncated else ""),
             "", f"> {digest.headline}", ""]
    if digest.summary:
        lines += ["## Summary", "", digest.summary, ""]
    if digest.symbols:
        lines += ["## Symbols", "", ", ".join(f"`{symbol}`" for symbol in digest.symbols), ""]
    if digest.warnings:
        lines += ["## Warnings", "", *(f"- {warning}" for warning in digest.warnings), ""]
    fence = fence_for(digest.text)
    lines += ["## Digest", "", f"{fence}text", digest.text.rstrip("\n"), fence]
    return "\n".join(lines) + "\n"
