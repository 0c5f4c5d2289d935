"""The commit confirmation: for each block, the diff between the file on disk and what will replace it."""

from __future__ import annotations

from pydantic import BaseModel
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Checkbox, Static
from brainloop_tui.tui.widgets.diff import StableDiffView

from brainloop_tui.tui import keys
from brainloop_tui.tui.screens.dialog import Dialog


class CommitItem(BaseModel):
    """One block as audited just before the confirmation."""

    path: str
    iteration: int
    code: str
    disk: str | None  # None: the file does not exist (or a SQL block)
    kind: str
    target_db: str | None = None
    errors: list[str] = []


class CommitChoice(BaseModel):
    finalize: bool = False
    force: bool = False


def _what(item: CommitItem) -> str:
    if item.kind == "sql":
        return f"{item.path}: iteration {item.iteration} runs against {item.target_db} in one transaction (after a backup)"
    verb = "creates" if item.disk is None else "replaces"
    return f"{item.path}: iteration {item.iteration} {verb} the file"


class CommitScreen(Dialog[CommitChoice | None]):
    BINDINGS = keys.bindings([keys.find("confirm"), keys.find("finalize"), keys.find("force")])

    def __init__(self, items: list[CommitItem], *, split: bool) -> None:
        super().__init__()
        self.items = items
        self.split = split

    def compose(self) -> ComposeResult:
        count = len(self.items)
        with Vertical(classes="dialog", id="commit-dialog"):
            yield Static(f"Commit {count} block{'s' * (count != 1)}?", classes="dialog-title")
            with VerticalScroll(id="commit-diffs"):
                for item in self.items:
                    yield Static(Content.styled(_what(item), "bold"), classes="commit-what")
                    for error in item.errors:
                        yield Static(Content.styled(f"✖ {error}", "$text-error"), classes="commit-error")
                    if item.kind == "sql":
                        yield StableDiffView(item.path, item.path, "", item.code, split=False)
                    elif item.disk == item.code:
                        yield Static("The file on disk already holds this code.", classes="note")
                    else:
                        # A new file has no left side worth half the width: show it unified.
                        yield StableDiffView(item.path, item.path, item.disk or "", item.code,
                                       split=self.split and item.disk is not None)
            with Vertical(classes="dialog-options"):
                yield Checkbox("Finalize first: one more low-temperature pass (f)", id="commit-finalize")
                yield Checkbox("Force: despite errors, or a file changed since the audit (F)", id="commit-force")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Commit (y)", variant="success", id="commit-confirm")
                yield Button("Cancel (esc)", id="commit-cancel")

    def on_mount(self) -> None:
        self.query_one("#commit-confirm", Button).focus()

    def action_toggle_finalize(self) -> None:
        self.query_one("#commit-finalize", Checkbox).toggle()

    def action_toggle_force(self) -> None:
        self.query_one("#commit-force", Checkbox).toggle()

    def action_confirm(self) -> None:
        self.dismiss(CommitChoice(finalize=self.query_one("#commit-finalize", Checkbox).value,
                                  force=self.query_one("#commit-force", Checkbox).value))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "commit-confirm":
            self.action_confirm()
        else:
            self.dismiss(None)
