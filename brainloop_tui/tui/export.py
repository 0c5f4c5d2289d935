"""A session as one Markdown document: the prompt, then every block with every iteration and the
feedback that asked for it."""

from __future__ import annotations

from datetime import datetime, timezone

from brainloop_tui.core.config import STATE_DIR_NAME
from brainloop_tui.core.loop.models import Iteration, SessionState
from brainloop_tui.tui.format import fence_for, diagnostic_line

EXPORT_FOLDER = f"{STATE_DIR_NAME}/exports"


def export_path(session_id: str) -> str:
    """Where a session is exported, relative to the workspace."""
    return f"{EXPORT_FOLDER}/{session_id}.md"


def _when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _iteration(iteration: Iteration, language: str | None) -> list[str]:
    head = f"### Iteration {iteration.number} · {iteration.phase} · {iteration.status} · T {iteration.temperature:g}"
    if iteration.model:
        head += f" · {iteration.model}"
    lines = [head, ""]
    if iteration.feedback:
        who = "the validators" if iteration.feedback_origin == "auto" else "the reviewer"
        lines += [f"Feedback from {who}:", "", *(f"> {line}".rstrip() for line in iteration.feedback.splitlines()), ""]
    if iteration.error:
        lines += [f"Failed: {iteration.error}", ""]
    if iteration.diagnostics:
        lines += [f"- {diagnostic_line(d)}" for d in iteration.diagnostics] + [""]
    if iteration.grounding.recorded:
        summary, *details = iteration.grounding.lines()
        lines += [f"Grounded in {summary}:", "", *(f"- {line}" for line in details), ""]
    if iteration.candidates:
        lines += [f"Best of {len(iteration.candidates) + 1} candidates; the others: "
                  + ", ".join(f"T {c.temperature:g} ({len(c.diagnostics)} diagnostic(s))" for c in iteration.candidates),
                  ""]
    if iteration.code is not None:
        fence = fence_for(iteration.code)
        lines += [f"{fence}{language or ''}", iteration.code.rstrip("\n"), fence, ""]
    return lines


def session_markdown(state: SessionState) -> str:
    session = state.session
    lines = [f"# {session.title}", "",
             f"Session `{session.id}` · {session.status} · proposed by {session.origin} · "
             f"created {_when(session.created_at)} · updated {_when(session.updated_at)}", "",
             "## Prompt", "", session.prompt.strip(), ""]
    if session.context:
        lines += ["Context files: " + ", ".join(f"`{path}`" for path in session.context), ""]
    for block_state in state.blocks:
        block = block_state.block
        target = f" → `{block.target_db}`" if block.target_db else ""
        lines += [f"## `{block.path}`{target}", "",
                  f"{block.kind} · {block.language or 'plain text'} · {block.status} · "
                  f"current iteration {block.current_iteration}", ""]
        for iteration in block_state.iterations:
            lines += _iteration(iteration, block.language)
    return "\n".join(lines).rstrip("\n") + "\n"
