"""The workbench's pure parts: formatting, the export, the key table, the stream buffer, the GC pause, the block
view's navigation, the propose dialog's checks, path completion and the action dialog's params."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from brainloop_tui.core.actions import ACTIONS
from brainloop_tui.core.events import LoopEvent
from brainloop_tui.core.loop.models import Block, BlockState, Iteration, Session, SessionState
from brainloop_tui.core.loop.validators import Diagnostic
from brainloop_tui.core.readers import build_digest
from brainloop_tui.tui import keys
from brainloop_tui.tui.completion import complete_path, split_paths
from brainloop_tui.tui.export import export_path, session_markdown
from brainloop_tui.tui.format import age, ago, diagnostic_line, digest_markdown, event_details, fence_for
from brainloop_tui.tui.gc_pause import NEVER, pause_full_collections
from brainloop_tui.tui.messages import StreamBuffer, core_listener
from brainloop_tui.tui.screens.action import params_template, parse_params
from brainloop_tui.tui.screens.propose import check_request
from brainloop_tui.tui.widgets.block_viewer import BlockView, StreamState
from brainloop_tui.tui.widgets.sessions import matches


def iteration(number: int, code: str | None, status: str = "done", **extra) -> Iteration:
    return Iteration(id=number, block_id="b-1", number=number, phase="propose" if number == 1 else "refine",
                     status=status, temperature=0.6, prompt="p", raw_answer=code, code=code, sha256=None,
                     model="m", error=extra.get("error"), usage_id=None, created_at=0.0, finished_at=1.0,
                     diagnostics=extra.get("diagnostics", []), feedback=extra.get("feedback"),
                     feedback_origin=extra.get("feedback_origin"))


def block_state(*iterations: Iteration, current: int | None = None) -> BlockState:
    done = [i.number for i in iterations if i.status == "done"]
    block = Block(id="b-1", session_id="s-1", path="pkg/app.py", language="python", kind="file", target_db=None,
                  status="refined", current_iteration=current if current is not None else (done[-1] if done else 0),
                  disk_sha256=None, created_at=0.0, updated_at=0.0)
    return BlockState(block=block, iterations=list(iterations))


def test_ages_are_coarse_and_short() -> None:
    assert [age(s) for s in (-5, 0, 59, 60, 3599, 3600, 86399, 86400 * 3)] == \
        ["now", "now", "now", "1m", "59m", "1h", "23h", "3d"]
    assert ago(10) == "just now" and ago(7200) == "2h ago"


def test_event_details_leave_ids_out() -> None:
    assert event_details('{"session": "s-1", "origin": "mcp", "blocks": 2}') == "origin=mcp blocks=2"
    assert event_details("not json") == "not json"
    assert event_details("[1, 2]") == "[1, 2]"


def test_diagnostic_lines() -> None:
    assert diagnostic_line(Diagnostic(severity="error", source="python", message="bad", line=3, column=7)) == \
        "✖ 3:7 python: bad"
    assert diagnostic_line(Diagnostic(severity="warning", source="patterns", message="naming")) == \
        "▲ patterns: naming"


def test_fences_are_longer_than_any_backtick_run() -> None:
    assert fence_for("plain") == "```"
    assert fence_for("a ```` b") == "`````"


def test_a_digest_as_markdown(tmp_path: Path) -> None:
    source = tmp_path / "notes.md"
    source.write_text("# Title\n\n## Part\n\nText.\n")
    digest = build_digest(source, "notes.md")
    text = digest_markdown(digest)
    assert text.startswith("# notes.md\n\n**markdown**")
    assert f"> {digest.headline}" in text
    assert f"```text\n{digest.text.rstrip()}\n```\n" in text


def test_session_export_has_every_iteration() -> None:
    state = SessionState(
        session=Session(id="s-1", title="Dates", prompt="Parse dates\nstrictly", origin="tui", status="active",
                        context=["README.md"], created_at=0.0, updated_at=60.0),
        blocks=[block_state(iteration(1, "x = 1\n"), iteration(2, None, "failed", error="timed out"),
                            iteration(3, "x = 2\n", diagnostics=[Diagnostic(severity="warning", source="patterns",
                                                                            message="snake_case")],
                      feedback="two, not one\n\nplease", feedback_origin="user"))])
    text = session_markdown(state)
    assert text.startswith("# Dates\n\nSession `s-1` · active · proposed by tui · created 1970-01-01 00:00:00 UTC")
    assert "## Prompt\n\nParse dates\nstrictly" in text and "Context files: `README.md`" in text
    assert "### Iteration 2 · refine · failed · T 0.6 · m\n\nFailed: timed out" in text
    assert "### Iteration 3 · refine · done · T 0.6 · m\n\nFeedback from the reviewer:\n\n> two, not one\n>\n> please\n" \
        in text
    assert "- ▲ patterns: snake_case" in text and "```python\nx = 2\n```" in text
    assert export_path("s-1") == ".brainloop/exports/s-1.md"


def test_every_key_has_a_unique_id_and_the_keymap_is_checked() -> None:
    ids = [key.id for key in keys.ALL_KEYS]
    assert len(ids) == len(set(ids))
    assert keys.unknown_ids({"propose": "ctrl+n", "bogus": "x"}) == ["bogus"]
    bound = dict((key.id, value) for key, value in keys.effective_keys({"propose": "ctrl+n"}))
    assert bound["propose"] == "ctrl+n" and bound["refine"] == "r"
    assert all(binding.id for binding in keys.bindings(keys.MAIN_KEYS))


def test_deltas_are_coalesced_into_one_flush() -> None:
    posted: list[object] = []
    buffer = StreamBuffer()
    listen = core_listener(posted.append, buffer)
    for index, piece in enumerate(["de", "f ", "f():"]):
        listen(LoopEvent(kind="delta", session_id="s", block_id="b", iteration=1, text=piece,
                         completion_tokens=index + 1))
    listen(LoopEvent(kind="iteration", session_id="s", block_id="b", iteration=1, status="done"))
    assert [type(message).__name__ for message in posted] == ["StreamFlush", "LoopChanged"]
    chunk = buffer.drain()["b"]
    assert (chunk.text, chunk.deltas, chunk.iteration) == ("def f():", 3, 1)
    listen(LoopEvent(kind="delta", session_id="s", block_id="b", iteration=2, text="x", completion_tokens=1))
    assert [type(message).__name__ for message in posted][-1] == "StreamFlush"  # a new flush after draining
    assert buffer.drain()["b"].iteration == 2


def test_stream_state_measures_first_token_and_speed() -> None:
    stream = StreamState(iteration=2, started=10.0)
    assert stream.line(10.5) == "⟳ iteration 2 streaming · 0 tokens · esc cancels"
    from brainloop_tui.tui.messages import StreamChunk

    stream.add(StreamChunk(iteration=2, text="abc", deltas=1), at=10.25)
    stream.add(StreamChunk(iteration=2, text="def", deltas=101), at=11.25)
    assert stream.text == "abcdef"
    assert stream.line(11.25) == "⟳ iteration 2 streaming · 101 tokens · 101 tok/s · first token 250 ms · esc cancels"


def test_block_view_navigation_follows_the_latest_and_compares() -> None:
    view = BlockView(block_state(iteration(1, "a"), iteration(2, "b")), disk=None)
    assert view.viewed == 2 and view.compared.number == 1
    assert view.step(-1) and view.viewed == 1 and view.compared is None
    assert not view.step(-1)
    view.base = 1
    assert view.step(1) and view.compared.number == 1
    # A new iteration while showing the latest: follow it. After stepping back: stay.
    view.update(block_state(iteration(1, "a"), iteration(2, "b"), iteration(3, "c")), disk="a")
    assert view.viewed == 3
    view.step(-2)
    view.update(block_state(iteration(1, "a"), iteration(2, "b"), iteration(3, "c"), iteration(4, "d")), disk="a")
    assert view.viewed == 1
    # A failed latest iteration does not take the view: the current one stays shown.
    following = BlockView(block_state(iteration(1, "a")), disk=None)
    following.update(block_state(iteration(1, "a"), iteration(2, None, "failed")), disk=None)
    assert following.viewed == 1


def test_propose_request_checks(workspace: Path) -> None:
    request = check_request(workspace, " Parse dates ", "a.py, pkg/b.py  c.go", " Python ")
    assert request.prompt == "Parse dates" and request.paths == ["a.py", "pkg/b.py", "c.go"]
    assert request.language == "python"
    problems = {
        ("", "a.py"): "Say what the code should do",
        ("x", " , "): "Name at least one target path",
        ("x", "a.py a.py"): "named twice",
        ("x", "../a.py"): "outside the workspace",
        ("x", ".brainloop/x.db"): "Brainloop's own state",
        ("x", "pkg/"): "is a folder",
    }
    for (prompt, paths), message in problems.items():
        with pytest.raises(ValueError, match=message):
            check_request(workspace, prompt, paths, "")


def test_path_completion(workspace: Path) -> None:
    (workspace / "src" / "deep").mkdir(parents=True)
    (workspace / "src" / "main.py").write_text("")
    (workspace / ".hidden").write_text("")
    (workspace / "node_modules").mkdir()
    assert complete_path(workspace, "sr") == "src/"
    assert complete_path(workspace, "src/m") == "src/main.py"
    assert complete_path(workspace, "a.py, src/d") == "a.py, src/deep/"
    assert complete_path(workspace, "no") is None  # node_modules is never offered
    assert complete_path(workspace, ".h") == ".hidden"
    assert complete_path(workspace, "../") is None
    assert complete_path(workspace, "missing/x") is None
    assert split_paths(" a.py,b.py  c.py ") == ["a.py", "b.py", "c.py"]


def test_action_params() -> None:
    assert params_template(ACTIONS["read_code"]) == '{"path": ""}'
    assert params_template(ACTIONS["get_stats"]) == "{}"
    assert parse_params("") == {} and parse_params('{"path": "a"}') == {"path": "a"}
    with pytest.raises(ValueError, match="not JSON"):
        parse_params("{")
    with pytest.raises(ValueError, match="JSON object"):
        parse_params("[1]")


def test_session_filter_words() -> None:
    from brainloop_tui.core.loop.models import SessionSummary

    session = SessionSummary(id="s", title="Date parser", status="committed", origin="mcp", blocks=1, iterations=2,
                             created_at=0, updated_at=0)
    assert matches(session, ["date", "mcp"]) and matches(session, [])
    assert not matches(session, ["date", "tui"])


async def test_a_failing_worker_is_a_notice_not_a_crash() -> None:
    from textual import work
    from textual.app import App

    from brainloop_tui.tui.worker_errors import ReportsWorkerErrors

    class Failing(ReportsWorkerErrors, App[None]):
        @work(exit_on_error=False)
        async def broken(self) -> None:
            raise RuntimeError("a bug")

    app = Failing()
    async with app.run_test() as pilot:
        app.broken()
        for _ in range(100):
            await pilot.pause(0.01)
            if app._notifications:
                break
        assert app.is_running
        assert ["unexpected error in broken: RuntimeError('a bug')" in n.message for n in app._notifications] == [True]


def test_full_collections_pause_and_resume() -> None:
    before = gc.get_threshold()
    try:
        pause_full_collections(True)
        pause_full_collections(True)  # a second stream starting: still paused, the old value kept
        assert gc.get_threshold() == (before[0], before[1], NEVER)
        pause_full_collections(False)
        assert gc.get_threshold() == before
        pause_full_collections(False)  # nothing paused: nothing changes
        assert gc.get_threshold() == before
    finally:
        gc.set_threshold(*before)


def test_the_readme_key_map_matches_the_bindings() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    documented = {}
    for line in readme.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].strip("`") in keys.KEY_IDS:
            documented[cells[1].strip("`")] = cells[2]
    assert documented == {key.id: key.help for key in keys.ALL_KEYS}
