"""What every dialog shares: a centred frame, Escape closes it with nothing done."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

from brainloop_tui.tui import keys

T = TypeVar("T")


class Dialog(ModalScreen[T]):
    BINDINGS = keys.bindings([keys.find("dismiss")])

    def action_dismiss_modal(self) -> None:
        self.dismiss(None)
