"""The Textual face: `brainloop` opens this app on a workspace.

    run_app(workspace, loaded_settings)   # what the CLI calls; returns the exit code

The app runs inside the core's worker runtime (heartbeat, poison pill, clean shutdown), calls only
core functions, and turns every core error into a notification (or, for a model that cannot be used,
a screen saying how to configure one).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from textual import work
from textual.app import App
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme

from brainloop_tui.core.config import LoadedSettings, Settings
from brainloop_tui.core.errors import BrainloopError
from brainloop_tui.core.llm import AuthenticationError, LocalModelError, ModelNotServedError, NoProviderError
from brainloop_tui.core.preferences import load_preferences, set_preference
from brainloop_tui.core.workbench import Workbench
from brainloop_tui.tui import keys
from brainloop_tui.tui.commands import BrainloopCommands
from brainloop_tui.tui.screens.main import MainScreen
from brainloop_tui.tui.screens.simple import HelpScreen, ProviderScreen
from brainloop_tui.tui.worker_errors import ReportsWorkerErrors

log = logging.getLogger(__name__)
T = TypeVar("T")

# Errors that mean "no usable model is configured": the fix is configuration, shown on a screen.
PROVIDER_ERRORS = (NoProviderError, LocalModelError, AuthenticationError, ModelNotServedError)
DEFAULT_THEME = "textual-dark"


class BrainloopApp(ReportsWorkerErrors, App[None]):
    CSS_PATH = "brainloop.tcss"
    TITLE = "Brainloop"
    COMMANDS = App.COMMANDS | {BrainloopCommands}
    BINDINGS = keys.bindings(keys.APP_KEYS)

    def __init__(self, workbench: Workbench, *, preferences: dict[str, str] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.wb = workbench
        self.clock = clock
        self.preferences = dict(preferences or {})
        self.sub_title = workbench.store.workspace.name
        self.set_keymap(workbench.settings.keymap)
        remembered = self.preferences.get("theme")
        self.theme = remembered if remembered in self.available_themes else DEFAULT_THEME

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(self.preferences)

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        if unknown := keys.unknown_ids(self.wb.settings.keymap):
            known = ", ".join(sorted(keys.KEY_IDS))
            self.notify(f"[keymap] names no binding {', '.join(map(repr, unknown))}; the ids are: {known}",
                        title="config", severity="warning", timeout=15)
        remembered = self.preferences.get("theme")
        if remembered and remembered not in self.available_themes:
            self.notify(f"The remembered theme {remembered!r} is not available; using {DEFAULT_THEME}.",
                        severity="warning")
        self.exit_when_stopped()
        self.call_after_refresh(self.check_provider)  # after the first frame: it imports the HTTP client
        self.call_after_refresh(self.wb.start_background)  # the conventions' extraction, after the first frame

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        # Notices carry paths, code and the core's messages ("[redacted …]", pydantic's "[type=…]", a
        # "[keymap]" section): always shown as written, never parsed as markup (a stray "[/x]" would raise).
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    async def call_core(self, what: str, work: Awaitable[T], *,
                        on_error: Callable[[str], object] | None = None) -> T | None:
        """Run core work tracked by the worker runtime (shutdown waits for it). An error becomes a
        notification (or `on_error(message)`), and None is returned; cancelling the caller cancels it."""
        try:
            return await self.wb.worker.submit(work, name=what)
        except PROVIDER_ERRORS as exc:
            self.push_screen(ProviderScreen(str(exc)))
        except BrainloopError as exc:
            if on_error is not None:
                on_error(str(exc))
            else:
                self.notify(str(exc), title=what, severity="error", timeout=10)
        except Exception as exc:  # a bug must show as a notice, never take the workbench down
            log.exception("%s failed", what)
            self.notify(f"unexpected error: {exc!r} (details in the log, .brainloop/brainloop.log)", title=what,
                        severity="error", timeout=15)
        return None

    @work(group="provider", exit_on_error=False)
    async def check_provider(self) -> None:
        """Say at once when no model can be used, rather than at the first proposal."""
        await self.call_core("model", self.wb.loop.provider())

    @work(group="stop", exit_on_error=False)
    async def exit_when_stopped(self) -> None:
        """A poison pill (`brainloop stop`) or SIGTERM stops the worker runtime: the app follows."""
        await self.wb.worker.stop_requested.wait()
        self.exit()

    def _theme_changed(self, theme: Theme) -> None:
        self.remember_theme(theme.name)

    @work(exclusive=True, group="theme", exit_on_error=False)
    async def remember_theme(self, name: str) -> None:
        await self.call_core("theme", set_preference(self.wb.store, "theme", name))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.wb.settings.keymap))


async def open_app(workspace: Path, settings: Settings, *, clock: Callable[[], float] = time.time) -> BrainloopApp:
    """Open the workspace and make the app (not started: `app.wb.worker.run(app.run_async())`)."""
    workbench = await Workbench.open(workspace, settings, "tui")
    try:
        preferences = await load_preferences(workbench.store)
    except BaseException:
        await workbench.store.close(checkpoint=False)
        raise
    return BrainloopApp(workbench, preferences=preferences, clock=clock)


async def serve(workspace: Path, settings: Settings) -> int:
    app = await open_app(workspace, settings)
    app.wb.worker.install_signal_handlers()
    await app.wb.worker.run(app.run_async())
    return app.return_code or 0


def run_app(workspace: Path, loaded: LoadedSettings) -> int:
    """Run the workbench on `workspace` until it is quit or stopped; the exit code. The terminal is the
    app's: the caller sends log lines to a file (the CLI uses `.brainloop/brainloop.log`)."""
    return asyncio.run(serve(workspace, loaded.settings))
