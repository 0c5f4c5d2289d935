"""The refine dialog: feedback for the block's next iteration, in a multi-line editor."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static, TextArea

from brainloop_tui.tui import keys
from brainloop_tui.tui.screens.dialog import Dialog


class RefineScreen(Dialog[str | None]):
    BINDINGS = keys.bindings([keys.find("submit")])

    def __init__(self, path: str, iteration: int) -> None:
        super().__init__()
        self.path = path
        self.iteration = iteration

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="refine-dialog"):
            yield Static(Content(f"Refine {self.path} (from iteration {self.iteration})"), classes="dialog-title")
            yield Static("What should change? Ctrl+S sends, Esc closes.", classes="dialog-hint")
            yield TextArea(id="refine-feedback", soft_wrap=True, show_line_numbers=False)
            yield Static(id="refine-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Refine", variant="primary", id="refine-submit")
                yield Button("Cancel", id="refine-cancel")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "refine-submit":
            self.action_submit()
        else:
            self.dismiss(None)

    def action_submit(self) -> None:
        feedback = self.query_one(TextArea).text.strip()
        if not feedback:
            self.query_one("#refine-error", Static).update("Write what should change first.")
            return
        self.dismiss(feedback)
