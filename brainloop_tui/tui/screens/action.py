"""Run one of the eleven core actions (the MCP face's tool) from the command palette: params as JSON
in, the action's message and structured result out — the same functions an agent calls."""

from __future__ import annotations

import json
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.highlight import highlight
from textual.widgets import Button, Input, Label, Static

from brainloop_tui.core.actions import Action, run_action
from brainloop_tui.tui import keys
from brainloop_tui.tui.screens.dialog import Dialog
from brainloop_tui.tui.worker_errors import ReportsWorkerErrors

MAX_RESULT_CHARS = 20_000


def params_template(action: Action) -> str:
    """The params object with each required field empty, ready to fill in."""
    return json.dumps({name: "" for name, info in action.params.model_fields.items() if info.is_required()})


def parse_params(text: str) -> dict[str, Any]:
    try:
        params = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError(f"params are not JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(params, dict):
        raise ValueError("params must be a JSON object, e.g. {\"path\": \"README.md\"}")
    return params


def result_content(message: str, data: dict[str, Any]) -> Content:
    shown = json.dumps(data, indent=2, ensure_ascii=False)
    if len(shown) > MAX_RESULT_CHARS:
        shown = shown[:MAX_RESULT_CHARS] + f"\n… ({len(shown) - MAX_RESULT_CHARS:,} more characters)"
    return Content.assemble((message, "bold"), "\n\n", highlight(shown, language="json"))


class ActionScreen(ReportsWorkerErrors, Dialog[None]):
    BINDINGS = keys.bindings([keys.find("submit")])

    def __init__(self, action: Action) -> None:
        super().__init__()
        self.action = action

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="action-dialog"):
            yield Static(f"Action {self.action.name}", classes="dialog-title")
            yield Static(f"{self.action.summary}\n{self.action.signature}", classes="dialog-hint")
            yield Label("params (JSON object); Enter runs")
            yield Input(params_template(self.action), id="action-params")
            yield Static(id="action-error", classes="dialog-error")
            with VerticalScroll(id="action-result-scroll"):
                yield Static(id="action-result")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Run", variant="primary", id="action-run")
                yield Button("Close (esc)", id="action-close")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "action-run":
            self.action_submit()
        else:
            self.dismiss(None)

    def action_submit(self) -> None:
        error = self.query_one("#action-error", Static)
        try:
            params = parse_params(self.query_one("#action-params", Input).value)
        except ValueError as exc:
            error.update(Content(str(exc)))
            return
        error.update("")
        self.run(params)

    @work(exclusive=True, group="action", exit_on_error=False)
    async def run(self, params: dict[str, Any]) -> None:
        result_view = self.query_one("#action-result", Static)
        result_view.update(Content.styled("running…", "$text-muted"))
        result = await self.app.call_core(self.action.name, run_action(self.app.wb.actions, self.action.name, params),
                                          on_error=lambda message: self.query_one("#action-error", Static).update(Content(message)))
        result_view.update(result_content(result.message, result.data) if result else "")
