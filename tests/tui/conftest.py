"""Fixtures of the TUI tests: the app on a real workspace, talking to the loopback LLM server.

Snapshots (SVG, 120×40, fixed theme) live in the top-level `snapshots/` folder: the extension below
moves syrupy's single-file SVG snapshots there (create or update them with `--snapshot-update`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_textual_snapshot import SVGImageExtension
from syrupy.location import PyTestLocation
from textual.pilot import Pilot

from brainloop_tui.core.config import Settings
from brainloop_tui.tui.app import BrainloopApp, open_app

SNAPSHOT_DIR = Path(__file__).resolve().parents[2] / "snapshots"
SIZE = (120, 40)
TEST_KEY = "test-key-not-real"


class TopLevelSVGExtension(SVGImageExtension):
    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        return str(SNAPSHOT_DIR / test_location.basename)  # syrupy relates snapshots to tests by the file name


@pytest.fixture
def svg_snapshot(snapshot):
    return snapshot.use_extension(TopLevelSVGExtension)


@pytest.fixture
def settings(loopback_llm) -> Settings:
    return Settings(base_url=loopback_llm.base_url, model=loopback_llm.model, api_key=TEST_KEY, provider="http",
                    auto_refine=0, candidates=1)


@pytest.fixture
async def make_app(workspace: Path, settings: Settings):
    """`await make_app(**settings_overrides)`: the app on the test's workspace (its worker not started,
    so no heartbeat row varies between runs); shut down after the test, which closes the store."""
    apps: list[BrainloopApp] = []

    async def make(**overrides: object) -> BrainloopApp:
        chosen = settings.model_copy(update=overrides) if overrides else settings
        app = await open_app(workspace, chosen)
        apps.append(app)
        return app

    yield make
    for app in apps:
        await app.wb.worker.shutdown()


# Keys go through Pilot.press, as a terminal sends them (driver -> app -> bindings, Input typing
# included), and idle() is Pilot.pause(): both end by waiting until every widget of the screen has run a
# callback queued behind its messages. With Textual 8.2.8 a widget replaced meanwhile (the block viewer
# replaces its diff whenever the block changes) does not stall that wait. App.simulate_key is no
# substitute: it types nothing for named keys such as "space", and does not wait.


async def press(pilot: Pilot, *keys: str) -> None:
    """The keys, one by one, as a terminal sends them; then until the screen has caught up."""
    await pilot.press(*keys)
    await idle(pilot)


async def idle(pilot: Pilot) -> None:
    """Until every widget of the screen has processed its pending messages and the process is idle."""
    await pilot.pause()


async def wait_for(pilot: Pilot, condition: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    """Let the app run until `condition()` holds (a generous bound, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def _busy(app) -> bool:
    """A worker of the app or of the screen shown is running (one behind a dialog waits for the dialog)."""
    return any(w.is_running and w.group not in ("stop", "poll") and getattr(w.node, "screen", app) in (app, app.screen)
               for w in app.workers)


async def settle(pilot: Pilot) -> None:
    """Until no worker is running (loads, generations) and the screen has caught up."""
    await wait_for(pilot, lambda: not _busy(pilot.app), "the app's workers to finish")
    await idle(pilot)


async def screenshot(pilot: Pilot) -> str:
    """The screen as SVG with nothing that varies between runs: no toasts, no blinking cursor."""
    app = pilot.app
    await settle(pilot)
    app.clear_notifications()
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.wait_for_scheduled_animations()
    await idle(pilot)
    await asyncio.sleep(0.05)  # one refresh of the screen after the last change
    return app.export_screenshot()


def notices(app: BrainloopApp) -> list[str]:
    return [notification.message for notification in app._notifications]
