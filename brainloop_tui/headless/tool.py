"""The one MCP tool, `brainloop`: its definition, and how a call maps onto the core's actions.
Progressive disclosure: one line per action here, the full JSON Schema through `get_schema`.

This module loads the whole core; the server imports it off the event loop, after the handshake."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import anyio
import mcp_types as types

from brainloop_tui.core.actions import ACTION_NAMES, ACTIONS, ActionError, ActionResult
from brainloop_tui.core.config import Settings
from brainloop_tui.core.errors import BrainloopError
from brainloop_tui.core.runtime import ShuttingDown, Worker
from brainloop_tui.core.views import error_view
from brainloop_tui.core.workbench import Workbench
from brainloop_tui.headless.progress import CallProgress, SendProgress

log = logging.getLogger(__name__)

TOOL_NAME = "brainloop"
_ARGUMENTS = frozenset({"action", "params"})
# A cancelled call gives the core this long to record the cancelled iteration before the cancel goes on.
CANCEL_GRACE_S = 10.0

T = TypeVar("T")


def tool_description() -> str:
    """One line per action; actions that take the same params (the four readers) share one line."""
    lines: list[str] = []
    for action in ACTIONS.values():
        same = [other for other in ACTIONS.values() if other.params is action.params]
        if len(same) == 1 or not action.params.model_fields:
            lines.append(f"{action.signature}: {action.summary}")
        elif action is same[0]:
            names = "|".join(other.name for other in same)
            shared = os.path.commonprefix([other.summary for other in same])
            rest = "; ".join(other.summary.removeprefix(shared) for other in same)
            lines.append(f"{names} {action.signature.partition(' ')[2]}: {shared}{rest}")
    return ("Brainloop: generate code under review, and compact digests of project files. "
            "Call with an action and its params (? = optional):\n" + "\n".join(lines))


@functools.cache  # the actions are fixed: one definition for every tools/list
def tool_definition() -> types.Tool:
    return types.Tool(
        name=TOOL_NAME,
        description=tool_description(),
        input_schema={
            "type": "object",
            "properties": {
                "action": {"type": "string", "enum": list(ACTION_NAMES)},
                "params": {"type": "object", "description": "the action's params, as its line above shows"},
            },
            "required": ["action"],
            "additionalProperties": False,
        },
    )


def split_arguments(arguments: dict[str, Any] | None) -> tuple[str, Any]:
    """The action name and its raw params; an `ActionError` a model can correct itself from when the
    arguments are not shaped `{"action", "params"}`. The action name and the params themselves are the
    core's to check."""
    arguments = arguments or {}
    action = arguments.get("action")
    if not isinstance(action, str):
        raise ActionError(f"action must be the name of one of the actions: {', '.join(ACTION_NAMES)}")
    unexpected = sorted(set(arguments) - _ARGUMENTS)
    if unexpected:
        expected = f"; expected {ACTIONS[action].signature}" if action in ACTIONS else ""
        raise ActionError(f"unexpected argument(s) {', '.join(unexpected)}: an action's params go inside "
                          f"params{expected}")
    return action, arguments.get("params")


def success(result: ActionResult) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=result.message)],
                                structured_content=result.data)


def failure(message: str, kind: str) -> types.CallToolResult:
    """A tool error: the message a person (or a model) acts on, and the kind of error beside it; a
    message too long for a model is cut there, and logged whole."""
    shown, view = error_view(message, kind)
    if shown != message:
        log.info("%s (whole message of a cut error): %s", kind, message)
    return types.CallToolResult(content=[types.TextContent(type="text", text=shown)],
                                structured_content=view, is_error=True)


async def _cancel_once(work: Coroutine[Any, Any, T], worker: Worker) -> T:
    """Run `work` in its own task. When the call is cancelled, the work is cancelled once and given
    `CANCEL_GRACE_S` to wind down (the core marks the iteration cancelled) before the cancel goes on.
    Work the shutdown cancelled (past its deadline) is a `ShuttingDown` error: the call is answered."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if task.cancelled() and current is not None and not current.cancelling():
            raise ShuttingDown(f"Brainloop stopped ({worker.stop_reason or 'shutting down'}) before this call "
                               "finished, and cancelled it") from None
        task.cancel()
        with anyio.CancelScope(shield=True):
            await asyncio.wait([task], timeout=CANCEL_GRACE_S)
        task.add_done_callback(lambda done: done.cancelled() or done.exception())  # nobody awaits it any more
        raise


class BrainloopTool:
    """The tool, serving the actions of one open workbench."""

    def __init__(self, workbench: Workbench) -> None:
        self.workbench = workbench

    @classmethod
    async def open(cls, workspace: Path, settings: Settings) -> BrainloopTool:
        return cls(await Workbench.open(workspace, settings, face="mcp"))

    async def call(self, arguments: dict[str, Any] | None, report: SendProgress | None = None,
                   ) -> types.CallToolResult:
        """One `tools/call`. Never raises for a bad call: the result says what is wrong. With `report`,
        the generation's progress goes there while the call runs."""
        action = TOOL_NAME
        try:
            action, params = split_arguments(arguments)
            if report is None:
                result = await _cancel_once(self.workbench.run_action(action, params), self.workbench.worker)
            else:
                async with CallProgress(self.workbench.events, report):
                    result = await _cancel_once(self.workbench.run_action(action, params), self.workbench.worker)
        except asyncio.CancelledError:
            log.info("%s: the call was cancelled", action)
            raise
        except BrainloopError as exc:
            return failure(str(exc), exc.kind)
        except Exception as exc:  # a bug: the log gets the traceback, the client a sentence
            log.exception("%s failed", action)
            return failure(f"{action} failed on an internal error ({type(exc).__name__}); "
                           "the server log has the details", "InternalError")
        return success(result)
