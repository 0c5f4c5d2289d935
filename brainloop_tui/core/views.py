"""What an agent's model reads of an action's result. Claude Code and VS Code hand the model
`JSON.stringify(structuredContent)` and drop the text content, so each result is made for a model:
the compact text (a digest, the map, the code and its diff) and the few fields an agent acts on (ids,
status, paths, counts, diagnostics, warnings), within a token budget. A cut says what was cut and
how to get more. The full structure is given only on request (`detail: "full"`)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from brainloop_tui.core.loop.models import Audit, BlockState, CommitOutcome, Iteration, SessionState, SessionSummary
from brainloop_tui.core.loop.validators import Diagnostic, errors_of
from brainloop_tui.core.readers.render import CHARS_PER_TOKEN, omitted_lines, one_line, plural

if TYPE_CHECKING:  # both load their readers; the views only read their fields
    from brainloop_tui.core.explore import ExploreResult
    from brainloop_tui.core.readers.models import Digest

Detail = Literal["compact", "full"]

READ_MAX_TOKENS = 2_000
LIST_MAX_TOKENS = 1_500
LIST_PAGE_SESSIONS = 20
ERROR_MAX_TOKENS = 200
# explore's map is rendered within its max_tokens; the JSON around it may add this share
EXPLORE_SLACK = 0.10
MAX_DIAGNOSTICS = 20
MAX_WARNINGS = 5
MAX_HISTORY = 5
FULL_STRUCTURE = 'detail: "full" gives the structure as data'
FULL_DETAIL = 'detail: "full" lists them all'


def json_tokens(data: Any) -> int:
    """Tokens a model reads for `data`: characters / 4 of its JSON, as a client serializes it."""
    return math.ceil(len(_json(data)) / CHARS_PER_TOKEN)


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _fit(view: dict[str, Any], key: str, max_tokens: int, how_to_get_more: str) -> dict[str, Any]:
    """`view` with its text `key` cut at a line so that the whole JSON stays within `max_tokens`; a cut
    is said in `cut` (lines the text had already left out counted in), with how to get the rest."""
    if json_tokens(view) <= max_tokens:
        return view
    text = view[key]
    already = omitted_lines(text)
    lines = text.split("\n")[:-1] if already else text.split("\n")

    def said(cut: int) -> str:
        return f"{plural(cut + already, 'more line')} of {key} not shown: {how_to_get_more}"

    room = max_tokens * CHARS_PER_TOKEN - len(_json({**view, key: "", "cut": said(len(lines))}))
    kept: list[str] = []
    for line in lines:
        cost = len(_json(line))  # its escaped characters, and the two of the escaped newline after it
        if cost > room:
            break
        kept.append(line)
        room -= cost
    return {**view, key: "\n".join(kept), "cut": said(len(lines) - len(kept))}


def _listed(items: Sequence[str], limit: int, noun: str) -> list[str]:
    shown = [one_line(item, 240) for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"… {plural(len(items) - limit, 'more ' + noun)}")
    return shown


def diagnostics_view(diagnostics: Sequence[Diagnostic]) -> list[dict[str, Any]]:
    """Errors first, at most `MAX_DIAGNOSTICS`, each without its empty fields."""
    ordered = sorted(diagnostics, key=lambda d: d.severity != "error")
    shown = [d.model_dump(mode="json", exclude_none=True) for d in ordered[:MAX_DIAGNOSTICS]]
    if len(ordered) > MAX_DIAGNOSTICS:
        shown.append({"severity": "info", "source": "brainloop",
                      "message": f"{plural(len(ordered) - MAX_DIAGNOSTICS, 'more diagnostic')}; {FULL_DETAIL}"})
    return shown


def digest_view(digest: Digest, detail: Detail = "compact") -> dict[str, Any]:
    if detail == "full":
        return digest.model_dump(mode="json")
    view: dict[str, Any] = {"path": digest.path, "kind": digest.kind, "headline": digest.headline}
    if digest.summary:
        view["summary"] = digest.summary
    if digest.truncated:
        view["truncated"] = "the file is over the size limit: only its head was read"
    if digest.warnings:
        view["warnings"] = _listed(digest.warnings, MAX_WARNINGS, "warning")
    view["text"] = digest.text
    if omitted_lines(digest.text):
        view["cut"] = f"{plural(omitted_lines(digest.text), 'more line')} of text not shown: {FULL_STRUCTURE}"
    return _fit(view, "text", READ_MAX_TOKENS, FULL_STRUCTURE)


def explore_view(result: ExploreResult, detail: Detail = "compact") -> dict[str, Any]:
    if detail == "full":
        return result.model_dump(mode="json")
    view: dict[str, Any] = {"path": result.path, "files": len(result.entries), "text": result.text}
    if result.notes:
        view["notes"] = _listed(result.notes, MAX_WARNINGS, "note")
    more = "explore a sub-folder (path), or raise max_tokens"
    if omitted_lines(result.text):
        view["cut"] = f"{plural(omitted_lines(result.text), 'more line')} of the map not shown: {more}"
    return _fit(view, "text", math.floor(result.max_tokens * (1 + EXPLORE_SLACK)), more)


def block_view(state: BlockState) -> dict[str, Any]:
    """A block after propose or refine: where it stands, its code and what the checks found."""
    block, current = state.block, state.current
    view: dict[str, Any] = {"block_id": block.id, "path": block.path, "status": block.status,
                            "iteration": block.current_iteration}
    if state.error:
        view["error"] = state.error
        view["error_kind"] = state.error_kind
    if current is not None:
        if current.code is not None:
            view["code"] = current.code
        view["diagnostics"] = diagnostics_view(current.diagnostics)
    return view


def session_view(state: SessionState) -> dict[str, Any]:
    return {"session_id": state.session.id, "status": state.session.status,
            "blocks": [block_view(block) for block in state.blocks]}


def _history_line(iteration: Iteration) -> str:
    line = f"{iteration.number} {f'{iteration.author} edit' if iteration.author else iteration.phase} {iteration.status}"
    if iteration.status == "done":
        line += f", {plural(len(errors_of(iteration.diagnostics)), 'error')}"
    if iteration.error:
        line += f": {one_line(iteration.error, 80)}"
    elif iteration.feedback:
        line += f" ({iteration.author or iteration.feedback_origin or 'user'}: {one_line(iteration.feedback, 80)})"
    return line


def audit_view(audit: Audit) -> dict[str, Any]:
    """The current iteration to judge: code, its diff against the file on disk, diagnostics, and one
    line each on its grounding and history."""
    block = audit.block
    current = next((i for i in audit.iterations if i.number == block.current_iteration), None)
    view: dict[str, Any] = {"session_id": audit.session_id, "block_id": block.id, "path": block.path,
                            "status": block.status, "iteration": block.current_iteration, "code": audit.code}
    if audit.disk_exists:
        view["diff"] = audit.diff_disk
    else:
        view["new_file"] = True
    view["diagnostics"] = diagnostics_view(audit.diagnostics)
    if audit.progress is not None:
        view["progress"] = audit.progress.model_dump(exclude_none=True)
    if current is not None:
        if current.grounding.recorded:
            view["grounding"] = one_line(current.grounding.summary(), 300)
        if current.candidates:
            view["candidates"] = f"{len(current.candidates)} other answer(s) not chosen; {FULL_STRUCTURE}"
    history = [_history_line(i) for i in audit.iterations]
    view["history"] = history[-MAX_HISTORY:]
    if len(history) > MAX_HISTORY:
        view["history"].insert(0, f"… {plural(len(history) - MAX_HISTORY, 'earlier iteration')}")
    return view


def commits_view(outcomes: Sequence[CommitOutcome]) -> dict[str, Any]:
    """What was written (the diff was the audit's)."""
    commits = []
    for outcome in outcomes:
        row: dict[str, Any] = {"block_id": outcome.block_id, "path": outcome.path, "status": outcome.status,
                               "iteration": outcome.iteration, "message": outcome.message}
        if outcome.backup:
            row["backup"] = outcome.backup
        commits.append(row)
    return {"commits": commits}


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def sessions_view(sessions: Sequence[SessionSummary], page: int, more: bool) -> dict[str, Any]:
    """One page of sessions, newest first. A row is at most ~70 tokens (its title is cut to 60
    printable characters), so a page of `LIST_PAGE_SESSIONS` stays within `LIST_MAX_TOKENS`."""
    rows = [{"id": session.id, "title": _printable(one_line(session.title, 60)), "status": session.status,
             "origin": session.origin, "blocks": session.blocks, "iterations": session.iterations,
             "updated": _when(session.updated_at)} for session in sessions]
    view: dict[str, Any] = {"page": page, "sessions": rows}
    if more:
        view["more"] = f"older sessions on page {page + 1}"
    return view


def _printable(text: str) -> str:
    """Control characters become '?': JSON would spell each as six characters."""
    return "".join(char if char.isprintable() else "?" for char in text)


def error_view(message: str, kind: str) -> tuple[str, dict[str, Any]]:
    """The message of a failed call cut to fit `ERROR_MAX_TOKENS` with its kind, and that view."""
    view = {"error": kind, "message": message}
    if json_tokens(view) <= ERROR_MAX_TOKENS:
        return message, view
    room = ERROR_MAX_TOKENS * CHARS_PER_TOKEN - len(_json({"error": kind, "message": ""})) - 80
    kept = message[:room]
    while len(_json(kept)) - 2 > room:  # escapes make the JSON longer than the text
        kept = kept[: len(kept) * 9 // 10]
    short = f"{kept} … [{len(message) - len(kept):,} characters cut; the server log has the whole message]"
    return short, {"error": kind, "message": short}
