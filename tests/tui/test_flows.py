"""Every flow of the workbench, driven by keys through Textual's pilot, against the loopback LLM server
and a real workspace (four SQLite files under tmp_path)."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from files import write
from loopback_llm import Answer, Status
from textual.widgets import DataTable, Input, Markdown, Static, TabbedContent, TextArea, Tree
from textual_diff_view import DiffView

from brainloop_tui.core.demo import make_demo_workspace
from brainloop_tui.core.preferences import get_preference
from brainloop_tui.core.runtime import send_poison_pill
from brainloop_tui.core.workbench import Workbench
from brainloop_tui.tui import keys
from brainloop_tui.tui.commands import BrainloopCommands
from brainloop_tui.tui.gc_pause import NEVER
from brainloop_tui.tui.screens.action import ActionScreen
from brainloop_tui.tui.screens.commit import CommitScreen
from brainloop_tui.tui.screens.main import MainScreen
from brainloop_tui.tui.screens.propose import ProposeScreen
from brainloop_tui.tui.screens.refine import RefineScreen
from brainloop_tui.tui.screens.simple import ConfirmScreen, HelpScreen, ProviderScreen
from brainloop_tui.tui.widgets.block_viewer import BlockPane
from brainloop_tui.tui.widgets.code_view import CodeView

from .conftest import SIZE, TEST_KEY, idle, notices, press, settle, wait_for

ONE = "def answer():\n    return 1\n"
TWO = "def answer():\n    return 2\n"


async def propose(pilot, prompt: str, paths: str) -> None:
    """n, then the dialog filled in (typing every character through the pilot costs ~70 ms a key)."""
    await press(pilot, "n")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ProposeScreen), "the propose dialog")
    dialog = pilot.app.screen
    dialog.query_one("#propose-prompt", Input).value = prompt
    dialog.query_one("#propose-paths", Input).value = paths
    await press(pilot, "ctrl+s")


async def proposed(pilot, prompt: str = "the answer", paths: str = "answer.py") -> MainScreen:
    await propose(pilot, prompt, paths)
    main = pilot.app.screen
    await wait_for(pilot, lambda: isinstance(main, MainScreen) and main.viewer.current is not None
                   and main.viewer.current.shown is not None and main.viewer.current.shown.status == "done",
                   "the first iteration")
    await settle(pilot)
    return main


async def commit_confirmed(pilot, written: Path) -> None:
    """c, then y in the commit dialog; until the file is on disk and the app has caught up."""
    await press(pilot, "c")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CommitScreen), "the commit dialog")
    await press(pilot, "y")
    await wait_for(pilot, written.exists, "the commit")
    await settle(pilot)


def shown_code(main: MainScreen) -> str:
    return main.viewer.current.shown.code


async def test_propose_streams_live_then_shows_the_code(make_app, loopback_llm) -> None:
    loopback_llm.enqueue(Answer(ONE, chunks=12, delay=0.1))  # 1.2 s: long enough to look at while it streams
    full_threshold = gc.get_threshold()[2]
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await propose(pilot, "the answer", "answer.py")
        main = app.screen
        await wait_for(pilot, lambda: main.query(BlockPane) and main.query_one(BlockPane).has_class("-streaming"),
                       "the stream to show")
        pane = main.query_one(BlockPane)
        await wait_for(pilot, lambda: "tok/s" in str(pane.query_one(".stream-meter", Static).render()),
                       "tokens/s on the stream line")
        assert gc.get_threshold()[2] == NEVER  # no full collection stalls the stream
        meter = str(pane.query_one(".stream-meter", Static).render())
        assert "first token" in meter and "esc cancels" in meter
        await wait_for(pilot, lambda: not pane.has_class("-streaming"), "the stream to end")
        await settle(pilot)
        assert gc.get_threshold()[2] == full_threshold
        assert shown_code(main) == ONE
        assert main.query_one(CodeView)
        assert "no problems" in str(pane.query_one(".block-header", Static).render())
        assert not pane.query_one(".diagnostics").display  # no diagnostics, nothing the prompt carried to list
        assert "grounded in conventions 0" in str(pane.query_one(".grounding", Static).render())
        table = main.query_one("#session-table", DataTable)
        assert table.row_count == 1 and "the answer" in str(table.get_row_at(0))
        assert any("proposed" in n for n in notices(app))
        # The stream showed the answer as it arrived.
        assert "return 1" in str(pane.query_one(".stream", Static).render())


GO_STORE = """package store

import (
	"context"
	"fmt"

	"go.uber.org/zap"
)

func LoadItem(ctx context.Context, log *zap.Logger, id string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("load item: %w", errEmpty)
	}
	log.Info("loaded")
	return id, nil
}
"""


async def test_a_proposal_carries_the_projects_conventions_and_shows_them(make_app, loopback_llm,
                                                                           workspace: Path) -> None:
    for name in ("items.go", "orders.go", "users.go"):
        write(workspace, f"store/{name}", GO_STORE.replace("LoadItem", "Load" + name.split(".")[0].title()))
    loopback_llm.default = Answer("```go\npackage store\n\nfunc count() int { return 1 }\n```")
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await proposed(pilot, "count the items", "store/count.go")
        system = "\n".join(m["content"] for m in loopback_llm.chat_requests()[-1].body["messages"])
        assert "Log with zap (go.uber.org/zap)" in system and "store/items.go (same package)" in system
        pane = main.query_one(BlockPane)
        line = str(pane.query_one(".grounding", Static).render())
        assert "(current)" in line and "3 context file(s)" in line
        aside = str(pane.query_one(".diagnostics-text", Static).render())
        assert "• Log with zap (go.uber.org/zap), not the standard log package." in aside
        assert "◦ store/items.go — same package" in aside


async def test_refine_diffs_commit_and_undo(make_app, loopback_llm, workspace: Path) -> None:
    loopback_llm.enqueue(Answer(ONE), Answer(TWO))
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await proposed(pilot)
        await press(pilot, "r")
        await wait_for(pilot, lambda: isinstance(app.screen, RefineScreen), "the refine dialog")
        app.screen.query_one(TextArea).text = "return two"
        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: main.viewer.current.shown.number == 2, "iteration 2")
        await settle(pilot)
        assert "return two" in str(loopback_llm.chat_requests()[-1].body)
        # d: the diff between iterations 1 and 2, split; s: unified.
        await press(pilot, "d")
        await settle(pilot)
        diff = main.query_one(DiffView)
        assert (diff.code_original, diff.code_modified, diff.split) == (ONE, TWO, True)
        await press(pilot, "s")
        await settle(pilot)
        assert main.query_one(DiffView).split is False
        # [ shows iteration 1, m marks it, ] back to 2: the diff is from the marked base.
        await press(pilot, "left_square_bracket")
        assert main.viewer.current.viewed == 1
        await press(pilot, "m", "right_square_bracket")
        await settle(pilot)
        assert main.viewer.current.compared.number == 1
        # d again: against the disk, where nothing is yet.
        await press(pilot, "d")
        await settle(pilot)
        assert main.query_one(DiffView).code_original == ""
        # c: the confirmation shows the diff against disk; y writes the file.
        await press(pilot, "c")
        await wait_for(pilot, lambda: isinstance(app.screen, CommitScreen), "the commit dialog")
        assert app.screen.query_one(DiffView).code_modified == TWO
        await press(pilot, "y")
        await wait_for(pilot, lambda: (workspace / "answer.py").exists(), "the file on disk")
        assert (workspace / "answer.py").read_text() == TWO
        await wait_for(pilot, lambda: main.viewer.current.block.status == "committed", "the committed block")
        # u: undo, after a confirmation, removes the file it created.
        await press(pilot, "u")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the undo confirmation")
        await press(pilot, "y")
        await wait_for(pilot, lambda: not (workspace / "answer.py").exists(), "the undo")
        await settle(pilot)
        assert any("restored" in n for n in notices(app))


async def test_several_paths_make_several_blocks(make_app, loopback_llm) -> None:
    loopback_llm.enqueue(Answer(ONE), Answer(TWO))
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await proposed(pilot, "two files", "a.py, b.py")
        await wait_for(pilot, lambda: len(main.viewer.views) == 2 and all(
            v.shown and v.shown.status == "done" for v in main.viewer.views.values()), "two blocks")
        first = main.viewer.current.block.path
        await press(pilot, "b")
        await settle(pilot)
        assert {first, main.viewer.current.block.path} == {"a.py", "b.py"}


async def test_escape_cancels_a_generation(make_app, loopback_llm) -> None:
    loopback_llm.enqueue(Answer(ONE, first_byte_delay=30))
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await propose(pilot, "slow", "slow.py")
        main = app.screen
        await wait_for(pilot, lambda: main.generating, "the generation to start")
        await wait_for(pilot, lambda: loopback_llm.chat_requests(), "the request to reach the server")
        await press(pilot, "escape")
        await wait_for(pilot, lambda: not main.generating, "the cancellation")
        await wait_for(pilot, lambda: loopback_llm.hangups == 1, "the client to hang up")
        sessions = await app.wb.loop.list_sessions()
        state = await app.wb.loop.state(sessions[0].id)
        assert [i.status for i in state.blocks[0].iterations] == ["cancelled"]
        assert "Generation cancelled." in notices(app)


async def test_bad_input_keeps_the_dialog_and_changes_nothing(make_app, loopback_llm) -> None:
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await propose(pilot, "escape the workspace", "../outside.py")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ProposeScreen)
        assert "outside the workspace" in str(dialog.query_one("#propose-error", Static).render())
        dialog.query_one("#propose-prompt", Input).value = ""
        dialog.query_one("#propose-paths", Input).value = "fine.py"
        await press(pilot, "ctrl+s")
        assert "Say what the code should do" in str(dialog.query_one("#propose-error", Static).render())
        await press(pilot, "escape")
        assert isinstance(app.screen, MainScreen)
        assert await app.wb.loop.list_sessions() == []
        assert loopback_llm.chat_requests() == []


async def test_empty_feedback_is_refused(make_app, loopback_llm) -> None:
    loopback_llm.enqueue(Answer(ONE))
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await proposed(pilot)
        await press(pilot, "r")
        await wait_for(pilot, lambda: isinstance(app.screen, RefineScreen), "the refine dialog")
        await press(pilot, "ctrl+s")
        assert "Write what should change" in str(app.screen.query_one("#refine-error", Static).render())
        await press(pilot, "escape")
        await settle(pilot)
        assert [i.number for i in main.viewer.current.state.iterations] == [1]


async def test_a_failing_model_is_a_notice_not_a_crash(make_app, loopback_llm) -> None:
    loopback_llm.enqueue(Status(400, {"message": "prompt is too long", "type": "invalid_request_error",
                                      "param": None, "code": "context_length_exceeded"}))
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await propose(pilot, "too long", "long.py")
        await wait_for(pilot, lambda: any("prompt is too long" in n for n in notices(app)), "the error notice")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and app.is_running


async def test_no_usable_model_shows_how_to_configure_one(make_app, tmp_path: Path) -> None:
    app = await make_app(provider="local", local_model=tmp_path / "missing.gguf")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ProviderScreen) and app.screen.query("#provider-problem"),
                       "the provider screen")
        text = str(app.screen.query_one("#provider-problem", Static).render())
        assert "missing.gguf" in text
        assert "brainloop secret set api_key" in str(app.screen.query_one("#provider-help", Static).render())
        await press(pilot, "escape")
        assert isinstance(app.screen, MainScreen)


async def test_a_refused_key_shows_the_provider_screen(make_app, loopback_llm) -> None:
    loopback_llm.enqueue(Answer(ONE), Status(401, {"message": "Wrong API Key", "type": "invalid_request_error",
                                                   "param": "api_key", "code": "wrong_api_key"}))
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await proposed(pilot)
        await press(pilot, "r")
        await wait_for(pilot, lambda: isinstance(app.screen, RefineScreen), "the refine dialog")
        app.screen.query_one(TextArea).text = "more"
        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ProviderScreen) and app.screen.query("#provider-problem"),
                       "the provider screen")
        problem = str(app.screen.query_one("#provider-problem", Static).render())
        assert "401" in problem or "key" in problem.lower()
        assert TEST_KEY not in problem


async def test_sessions_of_another_process_appear(make_app, loopback_llm, workspace: Path, settings) -> None:
    loopback_llm.enqueue(Answer(ONE))
    app = await make_app()
    other = await Workbench.open(workspace, settings, "mcp")  # its own connections, as another process has
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await other.loop.propose("from an agent", ["agent.py"])
            table = app.screen.query_one("#session-table", DataTable)
            await wait_for(pilot, lambda: table.row_count == 1, "the agent's session (polled every second)")
            await settle(pilot)
            assert "mcp" in str(table.get_row_at(0))
            await wait_for(pilot, lambda: app.screen.viewer.current is not None, "its block")
            assert app.screen.viewer.current.block.path == "agent.py"
    finally:
        await other.store.close(checkpoint=False)


async def test_filter_is_applied_and_remembered(make_app, loopback_llm, workspace: Path) -> None:
    loopback_llm.enqueue(Answer(ONE), Answer(TWO))
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await proposed(pilot, "alpha feature", "alpha.py")
        await proposed(pilot, "beta feature", "beta.py")
        table = app.screen.query_one("#session-table", DataTable)
        assert table.row_count == 2
        await press(pilot, "slash", "a", "l")
        app.screen.query_one("#session-filter", Input).insert_text_at_cursor("pha")
        await settle(pilot)
        assert table.row_count == 1 and "alpha feature" in str(table.get_row_at(0))
        await press(pilot, "escape")
        assert app.focused is table
        assert await get_preference(app.wb.store, "session_filter") == "alpha"
    await app.wb.worker.shutdown()  # closes its store, as quitting would
    again = await make_app()
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.screen.query_one("#session-filter", Input).value == "alpha"
        assert again.screen.query_one("#session-table", DataTable).row_count == 1


async def test_theme_is_remembered(make_app) -> None:
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "nord"
        await settle(pilot)
        assert await get_preference(app.wb.store, "theme") == "nord"
    await app.wb.worker.shutdown()
    again = await make_app()
    assert again.theme == "nord"


async def test_notices_show_brackets_as_written(make_app) -> None:
    app = await make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:  # toasts are drawn only when asked
        await settle(pilot)
        app.screen.notify("cannot read [/odd] [b]path[/b]: [redacted sha256:1234]")
        await wait_for(pilot, lambda: app.screen.query("Toast"), "the notice")
        await idle(pilot)
        shown = " ".join(str(toast.render()) for toast in app.screen.query("Toast"))
        assert "[/odd] [b]path[/b]: [redacted sha256:1234]" in shown


async def test_brackets_in_paths_and_prompts_are_text(make_app, loopback_llm, workspace: Path) -> None:
    # Next.js-style folders ("[slug]") and prompts quoting "[/b]" are ordinary text everywhere they show.
    loopback_llm.enqueue(Answer(ONE))
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await proposed(pilot, prompt="fix [/b] [x]", paths="web/[slug]/page.py")
        table = main.query_one("#session-table", DataTable)
        assert "fix [/b] [x]" in str(table.get_row_at(0)[1])
        assert "web/[slug]/page.py" in str(main.query_one(BlockPane).query_one(".block-header", Static).render())
        assert str(main.query_one("#block-tabs", TabbedContent).get_tab("block-0").label) == "web/[slug]/page.py"
        await press(pilot, "r")
        await wait_for(pilot, lambda: isinstance(app.screen, RefineScreen), "the refine dialog")
        assert "web/[slug]/page.py" in str(app.screen.query_one(".dialog-title", Static).render())
        await press(pilot, "escape")
        await commit_confirmed(pilot, workspace / "web/[slug]/page.py")
        await press(pilot, "u")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the undo question")
        assert "web/[slug]/page.py" in str(app.screen.query_one(".dialog-title", Static).render())
        await press(pilot, "escape")
        await press(pilot, "slash", *"[/x")
        await settle(pilot)
        assert "[/x" in str(main.query_one("#sessions-empty", Static).render())
        await press(pilot, "escape", "2")
        tree = app.screen.query_one("#digest-tree", Tree)
        await wait_for(pilot, lambda: tree.root.children and tree.root.children[0].children, "the sources tree")
        assert "web/[slug]/page.py" in [str(leaf.label) for group in tree.root.children for leaf in group.children]


async def test_keymap_overrides_keys_and_names_unknown_ids(make_app, loopback_llm) -> None:
    app = await make_app(keymap={"propose": "ctrl+o", "no_such_binding": "x"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("'no_such_binding'" in n for n in notices(app))
        await press(pilot, "n")
        assert isinstance(app.screen, MainScreen)
        await press(pilot, "ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, ProposeScreen), "propose on the new key")
        await press(pilot, "escape", "question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        table = app.screen.query_one(DataTable)
        assert table.row_count == len(keys.ALL_KEYS)
        rows = [table.get_row_at(index) for index in range(table.row_count)]
        assert ["^o", "propose"] == [str(cell) for cell in rows[[str(r[1]) for r in rows].index("propose")][:2]]
        await press(pilot, "question_mark")
        assert isinstance(app.screen, MainScreen)


async def test_palette_lists_every_action_and_runs_one(make_app) -> None:
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        provider = BrainloopCommands(app.screen)
        names = [name async for name in _names(provider)]
        assert sum(name.startswith("Action ") for name in names) == 11
        assert any(name.startswith("New:") for name in names) and any(name.startswith("Commit:") for name in names)
        assert not any(name.startswith("Summarize:") for name in names)  # the Digests tab is not built yet
        await press(pilot, "2")
        await settle(pilot)
        names = [name async for name in _names(provider)]
        assert {"Summarize", "Refresh"} <= {name.split(":")[0] for name in names}
        assert "Diff" not in {name.split(":")[0] for name in names}  # the block viewer's keys: on the Loop tab
        await press(pilot, "1")
        await press(pilot, "ctrl+p")
        await press(pilot, *"list_act")
        await settle(pilot)
        await press(pilot, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionScreen), "the action dialog")
        await press(pilot, "enter")
        await wait_for(pilot, lambda: "generate_file" in str(app.screen.query_one("#action-result", Static).render()),
                       "the action's result")
        app.screen.query_one("#action-params", Input).value = '{"nope": 1'
        await press(pilot, "enter")
        assert "not JSON" in str(app.screen.query_one("#action-error", Static).render())


async def _names(provider: BrainloopCommands):
    async for hit in provider.discover():
        yield hit.text


async def test_bad_action_params_are_shown_in_the_dialog(make_app) -> None:
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        from brainloop_tui.core.actions import ACTIONS

        app.push_screen(ActionScreen(ACTIONS["read_code"]))
        await settle(pilot)
        app.screen.query_one("#action-params", Input).value = '{"path": "../../etc/passwd"}'
        await press(pilot, "enter")
        error = app.screen.query_one("#action-error", Static)
        await wait_for(pilot, lambda: "outside the workspace" in str(error.render()), "the action's error")


async def test_copy_export_and_editor(make_app, loopback_llm, workspace: Path, monkeypatch) -> None:
    loopback_llm.enqueue(Answer(ONE))
    editor = workspace.parent / "editor.py"
    editor.write_text("import sys\nopen(sys.argv[1], 'a').write('# edited\\n')\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await proposed(pilot)
        await press(pilot, "y")
        assert app.clipboard == shown_code(main)
        await press(pilot, "x")
        await settle(pilot)
        session_id = main.session_id
        exported = (workspace / ".brainloop" / "exports" / f"{session_id}.md").read_text()
        assert exported.startswith("# the answer") and "### Iteration 1 · propose · done" in exported
        # Not committed yet: the editor gets a copy of the iteration, saved back as the next one.
        await press(pilot, "e")
        await settle(pilot)
        assert any("Your edit of answer.py is iteration 2" in n for n in notices(app))
        assert shown_code(main).endswith("# edited\n")
        assert len(loopback_llm.chat_requests()) == 1  # no model was called for it
        assert not (workspace / "answer.py").exists()
        await commit_confirmed(pilot, workspace / "answer.py")
        assert (workspace / "answer.py").read_text().endswith("# edited\n")
        # Committed: the file itself.
        await press(pilot, "e")
        await settle(pilot)
        assert (workspace / "answer.py").read_text().endswith("# edited\n# edited\n")


async def test_audit_shows_the_diff_against_disk(make_app, loopback_llm, workspace: Path) -> None:
    (workspace / "answer.py").write_text("def answer():\n    return 0\n")
    loopback_llm.enqueue(Answer(ONE))
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await proposed(pilot)
        await press(pilot, "a")
        await wait_for(pilot, lambda: any("differs from the file on disk" in n for n in notices(app)), "the audit")
        await settle(pilot)
        assert main.viewer.mode == "disk"
        assert main.query_one(DiffView).code_original == "def answer():\n    return 0\n"


async def test_digests_browser(make_app, workspace: Path) -> None:
    make_demo_workspace(workspace)
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "2")
        tree = app.screen.query_one("#digest-tree", Tree)
        await wait_for(pilot, lambda: len(tree.root.children) >= 3, "the sources tree")
        groups = [str(node.label).split(" (")[0] for node in tree.root.children]
        assert groups == ["Markdown", "Code", "Config"]  # the readers' order; the database is not registered
        tree.focus()
        await press(pilot, "down", "down")  # the first group, then its first file
        markdown = app.screen.query_one("#digest-markdown", Markdown)
        await wait_for(pilot, lambda: "## Digest" in markdown.source, "a digest")
        path = tree.cursor_node.data.path
        assert markdown.source.startswith(f"# {path}")
        await press(pilot, "f5")
        await settle(pilot)
        assert markdown.source.startswith(f"# {path}")


async def test_digests_browser_summarizes_with_the_llm(make_app, loopback_llm, workspace: Path) -> None:
    make_demo_workspace(workspace)
    loopback_llm.enqueue(Status(400, {"message": "prompt rejected", "type": "invalid_request_error",
                                      "param": None, "code": None}),
                         Answer("The demo's  overview:\nwhat the\nshop does."))
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "2")
        tree = app.screen.query_one("#digest-tree", Tree)
        await wait_for(pilot, lambda: tree.root.children, "the sources tree")
        tree.focus()
        await press(pilot, "s")
        assert any("Pick a file first" in n for n in notices(app))
        await press(pilot, "down", "down")
        markdown = app.screen.query_one("#digest-markdown", Markdown)
        await wait_for(pilot, lambda: "## Digest" in markdown.source, "a digest")
        path = tree.cursor_node.data.path
        await press(pilot, "s")  # the model refuses: a notice, and the digest stays as it was
        await wait_for(pilot, lambda: any("prompt rejected" in n for n in notices(app)), "the refusal")
        await settle(pilot)
        assert "## Summary" not in markdown.source
        loopback_llm.script[0].delay = 0.1  # a slow model: the pane says it is at work meanwhile
        await press(pilot, "s")
        pane = app.screen.query_one("#digests-pane")
        await wait_for(pilot, lambda: pane.has_class("-summarizing"), "the summarizing line")
        assert path in str(pane.query_one("#digest-status", Static).render())
        await wait_for(pilot, lambda: "## Summary" in markdown.source, "the summary")
        assert not pane.has_class("-summarizing")
        # Esc stops a summary being written: nothing is kept, and s starts it again.
        calls = len(loopback_llm.chat_requests())
        await press(pilot, "down")
        await wait_for(pilot, lambda: not markdown.source.startswith(f"# {path}"), "another digest")
        loopback_llm.enqueue(Answer("never finished", chunks=50, delay=0.2))
        await press(pilot, "s")
        await wait_for(pilot, lambda: len(loopback_llm.chat_requests()) > calls, "the summary request")
        await press(pilot, "escape")
        await wait_for(pilot, lambda: not pane.has_class("-summarizing"), "the summary to stop")
        assert "## Summary" not in markdown.source and any("Summary cancelled" in n for n in notices(app))
        await press(pilot, "up")
        assert "The demo's overview: what the shop does." in markdown.source  # one paragraph
        (request,) = [r for r in loopback_llm.chat_requests()[-1:]]
        assert path in request.body["messages"][-1]["content"]
        # Kept with the digest: shown again when the file is picked again, with no other call.
        calls = len(loopback_llm.chat_requests())
        await press(pilot, "down")
        await wait_for(pilot, lambda: not markdown.source.startswith(f"# {path}"), "another digest")
        await press(pilot, "up")
        await wait_for(pilot, lambda: "## Summary" in markdown.source, "the kept summary")
        assert len(loopback_llm.chat_requests()) == calls


async def test_stats_dashboard(make_app, loopback_llm) -> None:
    loopback_llm.enqueue(Answer(ONE))
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await proposed(pilot)
        await press(pilot, "3")
        pane = app.screen.query_one("#stats-pane")
        await wait_for(pilot, lambda: pane.stats is not None and pane.stats.llm_calls == 1, "the stats")
        await settle(pilot)
        assert "calls" in str(app.screen.query_one("#stats-llm", Static).render())
        events = app.screen.query_one("#stats-events", DataTable)
        assert "session_created" in [str(events.get_row_at(i)[1]) for i in range(events.row_count)]


async def test_a_poison_pill_stops_the_app(make_app) -> None:
    app = await make_app(poison_pill_interval=0.05)
    await app.wb.worker.start()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send_poison_pill(app.wb.store, reason="test")
        await wait_for(pilot, lambda: app._exit_renderables is not None and not app.is_running or app._exit,
                       "the app to exit")


async def test_editor_that_does_not_exist_is_a_notice(make_app, loopback_llm, monkeypatch) -> None:
    loopback_llm.enqueue(Answer(ONE))
    monkeypatch.setenv("EDITOR", "/no/such/editor")
    monkeypatch.delenv("VISUAL", raising=False)
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await proposed(pilot)
        await press(pilot, "e")
        await settle(pilot)
        assert any("Cannot run the editor" in n for n in notices(app))


async def test_refine_dialog_is_a_text_editor(make_app, loopback_llm) -> None:
    loopback_llm.enqueue(Answer(ONE))
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await proposed(pilot)
        await press(pilot, "r")
        await wait_for(pilot, lambda: isinstance(app.screen, RefineScreen), "the refine dialog")
        await press(pilot, "o", "n", "e", "enter", "t", "w", "o")
        assert app.screen.query_one(TextArea).text == "one\ntwo"


async def test_an_editor_closed_without_a_change_records_nothing(make_app, loopback_llm, monkeypatch) -> None:
    loopback_llm.enqueue(Answer(ONE))
    monkeypatch.setenv("EDITOR", "true")  # exits at once, the copy untouched
    monkeypatch.delenv("VISUAL", raising=False)
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await proposed(pilot)
        await press(pilot, "e")
        await settle(pilot)
        assert any("unchanged: nothing was recorded" in n for n in notices(app))
        assert main.viewer.current.block.current_iteration == 1
