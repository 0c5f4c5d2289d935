"""The command palette (Ctrl+P): every workbench command by its key's help text (the Digests tab's once
it has been shown), and the eleven core actions (the MCP tool's), each opening a dialog that runs it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.actions import parse
from textual.command import DiscoveryHit, Hit, Hits, Provider

from brainloop_tui.core.actions import ACTIONS, Action
from brainloop_tui.tui import keys
from brainloop_tui.tui.screens.action import ActionScreen
from brainloop_tui.tui.screens.main import MainScreen
from brainloop_tui.tui.widgets.digests import DigestsPane

# Keys whose commands make sense from the palette (cancel and the dialog keys act on what is on screen).
PALETTE_KEYS = tuple(k for k in keys.APP_KEYS + keys.MAIN_KEYS + keys.DIGEST_KEYS if k.id != "cancel")


class BrainloopCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        main = next((s for s in self.app.screen_stack if isinstance(s, MainScreen)), None)
        panes = main.query(DigestsPane) if main is not None else []
        digests = next((pane for pane in panes if pane.markdown is not None), None)  # once its tab was shown
        for key in PALETTE_KEYS:
            namespace = self.app if key in keys.APP_KEYS else digests if key in keys.DIGEST_KEYS else main
            _, name, parameters = parse(key.action)
            if namespace is not None and namespace.check_action(name, parameters) is not False:  # as the footer
                yield (f"{key.label}: {key.help}", f"key {key.keys} · id {key.id}",
                       partial(self.app.run_action, key.action, namespace))
        for action in ACTIONS.values():
            yield (f"Action {action.name}", f"{action.summary} — {action.signature}",
                   partial(self._open, action))

    def _open(self, action: Action) -> None:
        self.app.push_screen(ActionScreen(action))

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            if (score := matcher.match(name)) > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
