"""The new-proposal dialog: a prompt, one or more target paths (completed from the workspace), a language."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Static

from brainloop_tui.core.workspace import PathError, resolve_in_workspace
from brainloop_tui.tui import keys
from brainloop_tui.tui.completion import PathSuggester, split_paths
from brainloop_tui.tui.screens.dialog import Dialog

LANGUAGES = ("bash", "c", "cpp", "css", "go", "html", "java", "javascript", "json", "kotlin", "markdown", "python",
             "ruby", "rust", "sql", "toml", "typescript", "yaml")


class ProposeRequest(BaseModel):
    prompt: str
    paths: list[str]
    language: str | None = None


def check_request(workspace: Path, prompt: str, paths_text: str, language: str) -> ProposeRequest:
    """The request, or a `ValueError` saying what to fix (the dialog stays open, nothing is lost)."""
    if not prompt.strip():
        raise ValueError("Say what the code should do.")
    paths = split_paths(paths_text)
    if not paths:
        raise ValueError("Name at least one target path, e.g. src/app.py.")
    if len(set(paths)) != len(paths):
        raise ValueError("The same path is named twice.")
    for path in paths:
        try:
            resolve_in_workspace(workspace, path, for_write=True)
        except PathError as exc:
            raise ValueError(str(exc)) from None
        if path.endswith("/"):
            raise ValueError(f"{path} is a folder: name a file in it.")
    return ProposeRequest(prompt=prompt.strip(), paths=paths, language=language.strip().lower() or None)


class ProposeScreen(Dialog[ProposeRequest | None]):
    BINDINGS = keys.bindings([keys.find("submit")])

    def __init__(self, workspace: Path) -> None:
        super().__init__()
        self.workspace = workspace

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="propose-dialog"):
            yield Static("New proposal", classes="dialog-title")
            yield Label("What should the code do?")
            yield Input(id="propose-prompt", placeholder="e.g. a function that parses ISO-8601 dates")
            yield Label("Target path(s) in the workspace: several paths make several blocks (→ completes)")
            yield Input(id="propose-paths", placeholder="src/dates.py", suggester=PathSuggester(self.workspace))
            yield Label("Language (optional: the file ending usually says it)")
            yield Input(id="propose-language", placeholder="python", suggester=SuggestFromList(LANGUAGES))
            yield Static(id="propose-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Propose", variant="primary", id="propose-submit")
                yield Button("Cancel", id="propose-cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        paths = self.query_one("#propose-paths", Input)
        if event.input.id == "propose-prompt" and event.value.strip() and not paths.value.strip():
            paths.focus()  # Enter after the prompt moves on, as a form would
            return
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "propose-submit":
            self.action_submit()
        else:
            self.dismiss(None)

    def action_submit(self) -> None:
        values = {name: self.query_one(f"#propose-{name}", Input).value for name in ("prompt", "paths", "language")}
        try:
            request = check_request(self.workspace, values["prompt"], values["paths"], values["language"])
        except ValueError as exc:
            self.query_one("#propose-error", Static).update(Content(str(exc)))
            first_missing = "prompt" if not values["prompt"].strip() else "paths"
            self.query_one(f"#propose-{first_missing}", Input).focus()
            return
        self.dismiss(request)
