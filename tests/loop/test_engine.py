"""The loop against the loopback LLM server: phases, prompts, iterations, commits and every refusal."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from pathlib import Path

import pytest
from loopback_llm import Answer, LoopbackLLM

from brainloop_tui.core.config import Settings
from brainloop_tui.core.db import Store
from brainloop_tui.core.errors import BrainloopError
from brainloop_tui.core.events import LoopEvent
from brainloop_tui.core.llm import LLMError, select_provider
from brainloop_tui.core.loop.engine import Loop, LoopError, StaleFileError
from brainloop_tui.core.workspace import PathError

GOOD = "```python\ndef add(a, b):\n    return a + b\n```"
BETTER = "Sure! Here it is:\n```python\ndef add(a: int, b: int) -> int:\n    return a + b\n```\nEnjoy."


@pytest.fixture
async def loop(store: Store, loopback_llm: LoopbackLLM) -> Loop:
    settings = Settings(base_url=loopback_llm.base_url, model=loopback_llm.model, api_key="sk-loop-test",
                        provider="http", candidates=1)  # one answer per call: the scripts below count on it

    async def provider():
        return await select_provider(settings, store)

    return Loop(store, settings, provider, origin="tui")


def request_body(server: LoopbackLLM, index: int = -1) -> dict:
    return server.chat_requests()[index].body


async def test_propose_refine_commit(loop: Loop, loopback_llm: LoopbackLLM, workspace: Path) -> None:
    events: list[LoopEvent] = []
    loop.events.subscribe(events.append)
    loopback_llm.enqueue(Answer(GOOD), Answer(BETTER))
    state = await loop.propose("an add function", ["calc.py"])
    (block,) = state.blocks
    assert (state.session.status, block.block.status, block.block.current_iteration) == ("active", "proposed", 1)
    assert block.current.code == "def add(a, b):\n    return a + b\n"  # fence stripped
    assert block.current.phase == "propose" and block.current.diagnostics == []
    assert request_body(loopback_llm)["temperature"] == 0.6
    assert any(e.kind == "delta" and e.text for e in events)

    refined = await loop.refine(state.session.id, None, "add type hints")
    assert (refined.block.current_iteration, refined.block.status) == (2, "refined")
    body = request_body(loopback_llm)
    assert body["temperature"] == 0.3
    assert "add type hints" in body["messages"][-1]["content"]
    assert "def add(a, b)" in body["messages"][-2]["content"]  # the previous iteration

    audit = await loop.audit(state.session.id)
    assert "-def add(a, b):" in audit.diff_previous and "+def add(a: int, b: int) -> int:" in audit.diff_previous
    assert audit.disk_exists is False and "+def add(a: int" in audit.diff_disk

    (outcome,) = await loop.commit(state.session.id)
    assert outcome.status == "committed"
    assert (workspace / "calc.py").read_text() == "def add(a: int, b: int) -> int:\n    return a + b\n"
    assert (await loop.session(state.session.id)).status == "committed"
    mtime = (workspace / "calc.py").stat().st_mtime_ns
    (again,) = await loop.commit(state.session.id)
    assert again.status == "already_committed" and "nothing changed" in again.message
    assert (workspace / "calc.py").stat().st_mtime_ns == mtime
    refinements = await loop.store.lifecycle.fetchall("SELECT feedback, origin FROM block_refinements")
    assert [tuple(r) for r in refinements] == [("add type hints", "user")]
    iterations = await loop.iterations(block.block.id)  # each iteration says what feedback produced it
    assert [(i.feedback, i.feedback_origin) for i in iterations] == [(None, None), ("add type hints", "user")]
    assert (await loop.store.lifecycle.fetchone("SELECT count(*) FROM usage"))[0] == 2


async def test_finalize_runs_at_low_temperature_before_writing(loop: Loop, loopback_llm: LoopbackLLM,
                                                               workspace: Path) -> None:
    loopback_llm.enqueue(Answer(GOOD), Answer(BETTER))
    state = await loop.propose("an add function", ["calc.py"])
    (outcome,) = await loop.commit(state.session.id, finalize=True)
    assert request_body(loopback_llm)["temperature"] == 0.1
    assert outcome.iteration == 2
    phases = [i.phase for i in await loop.iterations(state.blocks[0].block.id)]
    assert phases == ["propose", "finalize"]
    assert "a: int" in (workspace / "calc.py").read_text()


async def test_patterns_and_context_files_ground_the_prompt(loop: Loop, loopback_llm: LoopbackLLM,
                                                            workspace: Path) -> None:
    for name in ("users.py", "orders.py", "billing.py"):
        (workspace / name).write_text("def load_all_rows(db):\n    return db.rows()\n\ndef save_one_row(db, row):\n"
                                      "    db.save(row)\n")
    (workspace / "NOTES.md").write_text("# Notes\n\n## Billing rules\nInvoices are monthly.\n")
    loopback_llm.enqueue(Answer(GOOD))
    await loop.propose("write a helper, see NOTES.md", ["helpers.py"])
    system, task = (m["content"] for m in request_body(loopback_llm)["messages"])
    assert "Name functions, arguments and variables in snake_case." in task  # extracted by the loop itself
    assert "NOTES.md" in system and "Billing rules" in system
    assert "exactly one fenced code block" in system


async def test_auto_refine_feeds_errors_back(loop: Loop, loopback_llm: LoopbackLLM) -> None:
    loopback_llm.enqueue(Answer("```python\ndef broken(:\n    pass\n```"), Answer(GOOD))
    state = await loop.propose("an add function", ["calc.py"])
    block = state.blocks[0]
    assert [i.phase for i in block.iterations] == ["propose", "refine"]
    assert block.iterations[0].diagnostics[0].source == "python"
    assert block.current.diagnostics == []
    feedback = request_body(loopback_llm)["messages"][-1]["content"]
    assert "Fix these problems" in feedback and "line 1" in feedback
    origins = await loop.store.lifecycle.fetchall("SELECT origin FROM block_refinements")
    assert [r[0] for r in origins] == ["auto"]
    assert block.iterations[1].feedback_origin == "auto" and "Fix these problems" in block.iterations[1].feedback


async def test_a_repeated_failing_answer_makes_the_next_refine_sample_wider(
        store: Store, loopback_llm: LoopbackLLM) -> None:
    settings = Settings(base_url=loopback_llm.base_url, model=loopback_llm.model, api_key="sk-loop-test",
                        provider="http", candidates=1, auto_refine=3)

    async def provider():
        return await select_provider(settings, store)

    loop = Loop(store, settings, provider, origin="mcp")
    undefined = "```python\ndef add(a, b):\n    return a + c\n```"
    loopback_llm.enqueue(Answer(undefined), Answer(undefined), Answer(undefined + "\n"), Answer(GOOD))
    state = await loop.propose("an add function", ["calc.py"])
    temperatures = [request_body(loopback_llm, i)["temperature"] for i in range(4)]
    assert temperatures == [0.6, 0.3, 0.7, 1.1]  # each repeat of the same code widens the next round
    assert "repeated code that already failed" not in request_body(loopback_llm, 1)["messages"][-1]["content"]
    assert "repeated code that already failed" in request_body(loopback_llm, 3)["messages"][-1]["content"]
    assert [i.temperature for i in state.blocks[0].iterations] == temperatures  # recorded as sent
    assert state.blocks[0].current.diagnostics == []


async def test_blocks_of_a_session_are_generated_concurrently(loop: Loop, loopback_llm: LoopbackLLM) -> None:
    in_flight_at_first_delta: list[int] = []

    def watch(event: LoopEvent) -> None:
        if event.kind == "delta" and not in_flight_at_first_delta:
            in_flight_at_first_delta.append(len(loopback_llm.chat_requests()))

    loop.events.subscribe(watch)
    loopback_llm.default = Answer(GOOD, chunks=4, delay=0.15)
    state = await loop.propose("three modules", ["a.py", "b.py", "c.py"])
    assert [b.block.status for b in state.blocks] == ["proposed"] * 3
    assert in_flight_at_first_delta == [3]  # every request was sent before any answer streamed


async def test_an_llm_failure_marks_only_that_iteration(loop: Loop, loopback_llm: LoopbackLLM) -> None:
    loopback_llm.enqueue(Answer(GOOD), Answer(BETTER, chunks=6, fault="drop", fault_after=2), Answer(BETTER))
    state = await loop.propose("an add function", ["calc.py"])
    with pytest.raises(LLMError):
        await loop.refine(state.session.id, None, "add type hints")
    iterations = await loop.iterations(state.blocks[0].block.id)
    assert [(i.number, i.status) for i in iterations] == [(1, "done"), (2, "failed")]
    assert iterations[0].code == "def add(a, b):\n    return a + b\n"
    block = await loop.block(state.session.id, None)
    assert (block.status, block.current_iteration) == ("proposed", 1)
    again = await loop.refine(state.session.id, None, "add type hints")  # the session is still usable
    assert again.block.current_iteration == 3


async def test_a_failed_first_iteration_is_reported_per_block(loop: Loop, loopback_llm: LoopbackLLM) -> None:
    loopback_llm.enqueue(Answer(GOOD, fault="drop", fault_after=1))
    state = await loop.propose("an add function", ["calc.py"])
    (block,) = state.blocks
    assert block.block.status == "failed" and block.error
    assert [i.status for i in block.iterations] == ["failed"]


async def test_cancelling_half_way_marks_the_iteration_cancelled(loop: Loop, loopback_llm: LoopbackLLM) -> None:
    loopback_llm.enqueue(Answer(GOOD), Answer(BETTER, chunks=20, delay=0.2))
    state = await loop.propose("an add function", ["calc.py"])
    first_delta = asyncio.Event()
    loop.events.subscribe(lambda e: first_delta.set() if e.kind == "delta" and e.iteration == 2 else None)
    task = asyncio.create_task(loop.refine(state.session.id, None, "more"))
    await asyncio.wait_for(first_delta.wait(), timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    iterations = await loop.iterations(state.blocks[0].block.id)
    assert [i.status for i in iterations] == ["done", "cancelled"]
    assert (await loop.block(state.session.id, None)).status == "proposed"


async def test_commit_refuses_a_file_changed_since_audit(loop: Loop, loopback_llm: LoopbackLLM,
                                                         workspace: Path) -> None:
    (workspace / "calc.py").write_text("# mine\n")
    loopback_llm.enqueue(Answer(GOOD))
    state = await loop.propose("an add function", ["calc.py"])
    await loop.audit(state.session.id)
    (workspace / "calc.py").write_text("# changed by someone else\n")
    with pytest.raises(StaleFileError, match="changed on disk since it was audited"):
        await loop.commit(state.session.id)
    assert (workspace / "calc.py").read_text() == "# changed by someone else\n"
    await loop.audit(state.session.id)  # seeing the new diff makes it committable
    (outcome,) = await loop.commit(state.session.id)
    assert outcome.status == "committed" and "-# changed by someone else" in outcome.diff


async def test_undo_restores_and_allows_a_new_commit(loop: Loop, loopback_llm: LoopbackLLM, workspace: Path) -> None:
    (workspace / "calc.py").write_text("# before\n")
    os.chmod(workspace / "calc.py", 0o640)
    loopback_llm.enqueue(Answer(GOOD))
    state = await loop.propose("an add function", ["calc.py"])
    await loop.commit(state.session.id)
    assert oct((workspace / "calc.py").stat().st_mode & 0o777) == "0o640"
    undone = await loop.undo(state.session.id)
    assert "restored" in undone.message
    assert (workspace / "calc.py").read_text() == "# before\n"
    assert (await loop.session(state.session.id)).status == "active"
    (outcome,) = await loop.commit(state.session.id)
    assert outcome.status == "committed"


async def test_undo_of_a_new_file_removes_it(loop: Loop, loopback_llm: LoopbackLLM, workspace: Path) -> None:
    loopback_llm.enqueue(Answer(GOOD))
    state = await loop.propose("an add function", ["pkg/calc.py"])
    await loop.commit(state.session.id)
    await loop.undo(state.session.id)
    assert not (workspace / "pkg" / "calc.py").exists()


async def test_sql_blocks_apply_in_one_transaction_after_a_backup(loop: Loop, loopback_llm: LoopbackLLM,
                                                                  workspace: Path) -> None:
    db = workspace / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    conn.close()
    loopback_llm.enqueue(Answer("```sql\nINSERT INTO users (name) VALUES ('ada');\n```"))
    state = await loop.propose("add ada", ["generated.sql"], language="sql", kind="sql", target_db="app.db")
    assert "CREATE TABLE users" in request_body(loopback_llm)["messages"][0]["content"]
    (outcome,) = await loop.commit(state.session.id)
    assert outcome.status == "applied" and Path(outcome.backup).exists()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT name FROM users").fetchall() == [("ada",)]
    conn.close()
    await loop.undo(state.session.id)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)
    conn.close()


@pytest.mark.parametrize("path", ["../escape.py", "/etc/passwd", "a/../../escape.py", ".brainloop/x.py", "a\x00.py"])
async def test_paths_that_escape_are_refused_before_any_call(loop: Loop, loopback_llm: LoopbackLLM,
                                                             path: str) -> None:
    with pytest.raises(PathError):
        await loop.propose("anything", [path])
    assert loopback_llm.chat_requests() == []
    assert (await loop.store.lifecycle.fetchone("SELECT count(*) FROM sessions"))[0] == 0


async def test_a_symlink_out_of_the_workspace_is_refused(loop: Loop, workspace: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (workspace / "out").symlink_to(outside)
    with pytest.raises(PathError, match="outside the workspace"):
        await loop.propose("anything", ["out/evil.py"])


async def test_bad_requests_are_clear_errors(loop: Loop, loopback_llm: LoopbackLLM) -> None:
    with pytest.raises(LoopError, match="prompt is empty"):
        await loop.propose("   ", ["a.py"])
    with pytest.raises(LoopError, match="no session 's-nope'"):
        await loop.audit("s-nope")
    loopback_llm.enqueue(Answer(GOOD), Answer(GOOD))
    state = await loop.propose("two", ["a.py", "b.py"])
    with pytest.raises(LoopError, match="has 2 blocks; name one with block_id"):
        await loop.refine(state.session.id, None, "x")
    with pytest.raises(LoopError, match="has no block 'b-nope'"):
        await loop.refine(state.session.id, "b-nope", "x")
    with pytest.raises(LoopError, match="feedback is empty"):
        await loop.refine(state.session.id, state.blocks[0].block.id, " ")
    await loop.commit(state.session.id, state.blocks[0].block.id)
    with pytest.raises(LoopError, match="is committed"):
        await loop.refine(state.session.id, state.blocks[0].block.id, "more")
    assert isinstance(LoopError("x"), BrainloopError)


async def test_listing_sessions(loop: Loop, loopback_llm: LoopbackLLM) -> None:
    loopback_llm.enqueue(Answer(GOOD), Answer(GOOD))
    await loop.propose("first", ["a.py"])
    second = await loop.propose("second", ["b.py", "c.py"])
    sessions = await loop.list_sessions()
    assert [s.title for s in sessions] == ["second", "first"]
    assert (sessions[0].id, sessions[0].blocks, sessions[0].iterations) == (second.session.id, 2, 2)
    telemetry = await loop.store.metadata.fetchall("SELECT event, payload FROM telemetry_events")
    assert [json.loads(p)["blocks"] for e, p in telemetry if e == "session_created"] == [1, 2]


async def test_refines_finishing_out_of_order_never_move_the_current_iteration_back(
        loop: Loop, loopback_llm: LoopbackLLM) -> None:
    loopback_llm.enqueue(Answer(GOOD))
    session = (await loop.propose("an add function", ["calc.py"])).session.id
    # the first refine's answer is slow; the second starts once the first has asked the model, and ends first
    loopback_llm.enqueue(Answer(BETTER, first_byte_delay=2), Answer(BETTER.replace("add", "plus")))
    slow = asyncio.create_task(loop.refine(session, None, "type it"))
    while len(loopback_llm.chat_requests()) < 2:
        await asyncio.sleep(0.01)
    fast = await loop.refine(session, None, "name it plus")
    assert fast.block.current_iteration == 3
    await slow
    block = (await loop.audit(session)).block
    assert block.current_iteration == 3 and block.status == "refined"


async def test_a_commit_whose_write_fails_records_no_result(loop: Loop, loopback_llm: LoopbackLLM,
                                                            workspace: Path) -> None:
    loopback_llm.enqueue(Answer(GOOD))
    session = (await loop.propose("an add function", ["pkg/calc.py"])).session.id
    await loop.audit(session)
    (workspace / "pkg").write_text("a file where the folder should be\n", encoding="utf-8")
    with pytest.raises(BrainloopError, match="cannot write"):
        await loop.commit(session)
    # the pre-image is recorded before the rename, and taken back when the write fails
    assert (await loop.store.output.fetchone("SELECT count(*) FROM results"))[0] == 0
    assert (await loop.audit(session)).block.status == "proposed"


async def test_an_edit_that_is_not_unicode_text_is_refused(loop: Loop, loopback_llm: LoopbackLLM) -> None:
    """Text read with `surrogateescape` (a file that is not UTF-8) holds lone surrogates: no file can."""
    loopback_llm.enqueue(Answer("```python\nx = 1\n```"))
    state = await loop.propose("x", ["x.py"])
    with pytest.raises(LoopError, match="lone surrogate"):
        await loop.edit(state.session.id, None, b"x = '\xff'\n".decode("utf-8", "surrogateescape"))
    assert [i.number for i in await loop.iterations(state.blocks[0].block.id)] == [1]
