"""SVG snapshots of every screen, at 120×40 with the fixed default theme, kept in the top-level
`snapshots/` folder (the README shows them). The data is made by the core itself, with fixed text and
numbers; what varies between runs (session ids, timings, clocks) never reaches the frame.

Update after a deliberate change of the UI: `.venv/bin/pytest tests/tui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from loopback_llm import Answer
from textual.command import CommandList
from textual.widgets import Input, TextArea, Tree

from brainloop_tui.core.actions import ACTIONS
from brainloop_tui.core.demo import make_demo_workspace
from brainloop_tui.core.llm import Completion, record_usage
from brainloop_tui.core.readers import read_digest
from brainloop_tui.core.telemetry import record_event
from brainloop_tui.tui.app import DEFAULT_THEME
from brainloop_tui.tui.screens.action import ActionScreen
from brainloop_tui.tui.screens.commit import CommitScreen
from brainloop_tui.tui.screens.propose import ProposeScreen
from brainloop_tui.tui.screens.refine import RefineScreen
from brainloop_tui.tui.screens.simple import ConfirmScreen, HelpScreen, ProviderScreen

from .conftest import SIZE, press, screenshot, settle, wait_for

PARSER_V1 = '''"""Parse ISO-8601 dates."""

from datetime import date


def parse_date(text: str) -> date:
    return date.fromisoformat(text)
'''
PARSER_V2 = '''"""Parse ISO-8601 dates, and say clearly when a text is not one."""

from datetime import date


class DateError(ValueError):
    """The text is not an ISO-8601 date."""


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise DateError(f"not an ISO-8601 date: {text!r}") from exc
'''
BROKEN = "def total(items):\n    return sum(item.price for item in items\n"
SQL = "CREATE TABLE IF NOT EXISTS notes (\n    id INTEGER PRIMARY KEY,\n    body TEXT NOT NULL\n);\n"

pytestmark = pytest.mark.usefixtures("fixed_theme")


@pytest.fixture
def fixed_theme() -> None:
    assert DEFAULT_THEME == "textual-dark"  # the snapshots are drawn in it


async def seed_sessions(app, loopback_llm) -> None:
    """Three sessions, oldest first: a two-block one, a refined parser, and the parser's second draft."""
    loop = app.wb.loop
    loopback_llm.enqueue(Answer("def add(a, b):\n    return a + b\n"), Answer(SQL))
    await loop.propose("Arithmetic helpers and a notes table", ["calc.py", "notes.sql"])
    loopback_llm.enqueue(Answer(PARSER_V1), Answer(PARSER_V2))
    state = await loop.propose("A date parser for the import job", ["dates.py"])
    await loop.refine(state.session.id, None, "Raise a clear error for text that is not a date")


async def test_empty_workspace(make_app, svg_snapshot) -> None:
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert await screenshot(pilot) == svg_snapshot


async def test_sessions_and_code(make_app, loopback_llm, svg_snapshot) -> None:
    app = await make_app()
    await seed_sessions(app, loopback_llm)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.viewer.current is not None, "the newest session")
        assert await screenshot(pilot) == svg_snapshot


async def test_block_tabs(make_app, loopback_llm, svg_snapshot) -> None:
    app = await make_app()
    await seed_sessions(app, loopback_llm)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.viewer.current is not None, "the newest session")
        await press(pilot, "down")
        await wait_for(pilot, lambda: len(app.screen.viewer.views) == 2, "the two-block session")
        await settle(pilot)
        await press(pilot, "b")
        assert await screenshot(pilot) == svg_snapshot


async def test_diff_between_iterations_split(make_app, loopback_llm, svg_snapshot) -> None:
    app = await make_app()
    await seed_sessions(app, loopback_llm)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.viewer.current is not None, "the newest session")
        await press(pilot, "d")
        assert await screenshot(pilot) == svg_snapshot


async def test_diff_between_iterations_unified(make_app, loopback_llm, svg_snapshot) -> None:
    app = await make_app()
    await seed_sessions(app, loopback_llm)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.viewer.current is not None, "the newest session")
        await press(pilot, "d", "s")
        assert await screenshot(pilot) == svg_snapshot


async def test_diff_against_disk(make_app, loopback_llm, workspace: Path, svg_snapshot) -> None:
    (workspace / "dates.py").write_text(PARSER_V1.replace("fromisoformat(text)", "fromisoformat(text[:10])"))
    app = await make_app()
    await seed_sessions(app, loopback_llm)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.viewer.current is not None, "the newest session")
        await press(pilot, "d", "d")
        assert await screenshot(pilot) == svg_snapshot


async def test_diagnostics_beside_the_code(make_app, loopback_llm, svg_snapshot) -> None:
    app = await make_app()
    loopback_llm.enqueue(Answer(BROKEN))
    await app.wb.loop.propose("Sum the prices of an order", ["orders/total.py"])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.viewer.current is not None, "the session")
        assert await screenshot(pilot) == svg_snapshot


async def test_propose_dialog(make_app, workspace: Path, svg_snapshot) -> None:
    (workspace / "src").mkdir()
    (workspace / "src" / "importer.py").write_text("")
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n")
        await wait_for(pilot, lambda: isinstance(app.screen, ProposeScreen), "the dialog")
        app.screen.query_one("#propose-prompt", Input).value = "Parse ISO-8601 dates for the importer"
        await press(pilot, "tab", "s", "r", "c", "slash", "i")  # completion suggests src/importer.py
        assert await screenshot(pilot) == svg_snapshot


async def test_propose_dialog_refuses_a_path_outside(make_app, svg_snapshot) -> None:
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n")
        await wait_for(pilot, lambda: isinstance(app.screen, ProposeScreen), "the dialog")
        app.screen.query_one("#propose-prompt", Input).value = "Write a shell profile"
        app.screen.query_one("#propose-paths", Input).value = "/etc/profile"
        await press(pilot, "ctrl+s")
        assert await screenshot(pilot) == svg_snapshot


async def test_refine_dialog(make_app, loopback_llm, svg_snapshot) -> None:
    app = await make_app()
    await seed_sessions(app, loopback_llm)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.viewer.current is not None, "the newest session")
        await settle(pilot)
        await press(pilot, "r")
        await wait_for(pilot, lambda: isinstance(app.screen, RefineScreen), "the dialog")
        app.screen.query_one(TextArea).text = "Accept a trailing 'Z' (UTC) as well."
        assert await screenshot(pilot) == svg_snapshot


async def test_commit_dialog(make_app, loopback_llm, workspace: Path, svg_snapshot) -> None:
    (workspace / "dates.py").write_text(PARSER_V1)
    app = await make_app()
    await seed_sessions(app, loopback_llm)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.viewer.current is not None, "the newest session")
        await settle(pilot)
        await press(pilot, "c")
        await wait_for(pilot, lambda: isinstance(app.screen, CommitScreen), "the dialog")
        assert await screenshot(pilot) == svg_snapshot


async def test_committed_session_and_undo_confirmation(make_app, loopback_llm, svg_snapshot) -> None:
    app = await make_app()
    await seed_sessions(app, loopback_llm)
    sessions = await app.wb.loop.list_sessions()
    await app.wb.loop.commit(sessions[0].id)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.viewer.current is not None, "the committed session")
        await settle(pilot)
        await press(pilot, "u")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        assert await screenshot(pilot) == svg_snapshot


async def test_filtered_sessions(make_app, loopback_llm, svg_snapshot) -> None:
    app = await make_app()
    await seed_sessions(app, loopback_llm)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.viewer.current is not None, "the newest session")
        await press(pilot, "slash", "n", "o", "t", "e", "s", "escape")
        assert await screenshot(pilot) == svg_snapshot


async def test_help(make_app, svg_snapshot) -> None:
    app = await make_app(keymap={"propose": "ctrl+n"})
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        assert await screenshot(pilot) == svg_snapshot


async def test_command_palette(make_app, svg_snapshot) -> None:
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "ctrl+p", "r", "e", "a", "d", "underscore")
        await wait_for(pilot, lambda: app.screen.query(CommandList) and app.screen.query_one(CommandList).option_count >= 4,
                       "the matching commands")
        assert await screenshot(pilot) == svg_snapshot


async def test_action_dialog(make_app, svg_snapshot) -> None:
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ActionScreen(ACTIONS["get_schema"]))
        await wait_for(pilot, lambda: app.screen.query("#action-params"), "the dialog")
        app.screen.query_one("#action-params", Input).value = '{"action": "read_code"}'
        await press(pilot, "enter")
        await wait_for(pilot, lambda: "read_code {path" in str(app.screen.query_one("#action-result").render()),
                       "the result")
        assert await screenshot(pilot) == svg_snapshot


async def test_digests(make_app, workspace: Path, svg_snapshot) -> None:
    make_demo_workspace(workspace)
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "2")
        tree = app.screen.query_one("#digest-tree", Tree)
        await wait_for(pilot, lambda: len(tree.root.children) >= 3, "the sources tree")
        tree.focus()
        await press(pilot, "down", "down", "down", "down", "down")  # Markdown (2 files), then Code: a Go file
        await wait_for(pilot, lambda: "## Digest" in app.screen.query_one("#digest-markdown").source, "a digest")
        assert await screenshot(pilot) == svg_snapshot


async def test_stats(make_app, workspace: Path, svg_snapshot) -> None:
    (workspace / "README.md").write_text("# Notes\n\nA file to read twice.\n")
    app = await make_app()
    store = app.wb.store
    for index, (speed, latency) in enumerate([(2100, 900), (2600, 700), (1800, 1300), (3100, 650), (2900, 720)]):
        await record_usage(store, Completion(text="x", finish_reason="stop", model="test-model",
                                             prompt_tokens=1200 + index * 100, completion_tokens=400 + index * 10,
                                             latency_ms=latency, ttft_ms=120 + index * 10, tokens_per_s=speed),
                           provider="http", phase="propose")
    await read_digest(store, "README.md")
    await read_digest(store, "README.md")  # from the cache: a hit rate of 50 %
    await record_event(store, "session_created", {"session": "s-any", "origin": "mcp", "blocks": 2})
    await record_event(store, "error", {"session": "s-any", "error": "the model answered nothing"})
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "3")
        await wait_for(pilot, lambda: app.screen.query_one("#stats-pane").stats is not None, "the stats")
        assert await screenshot(pilot) == svg_snapshot


async def test_no_model_screen(make_app, svg_snapshot) -> None:
    app = await make_app(provider="local", local_model=Path("models/missing.gguf"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ProviderScreen) and app.screen.query("#provider-problem"),
                       "the provider screen")
        assert await screenshot(pilot) == svg_snapshot
