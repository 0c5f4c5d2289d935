"""The eleven actions as the core exposes them to both faces: names, signatures, params and refusals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from loopback_llm import Answer, LoopbackLLM

from brainloop_tui.core.actions import ACTION_NAMES, ACTIONS, ActionContext, ActionError, run_action
from brainloop_tui.core.config import Settings
from brainloop_tui.core.db import Store
from brainloop_tui.core.llm import select_provider
from brainloop_tui.core.loop.engine import Loop

CONTRACT = {
    "generate_file": "generate_file {path, prompt, language?, overwrite?=false}",
    "generate_sql": "generate_sql {prompt, target_db?, apply?=false}",
    "explore": 'explore {path?=".", max_depth?, max_files?, max_tokens?=4000, detail?="compact"}',
    "loop": 'loop {step: "propose"|"audit"|"refine"|"commit"|"list", session_id?, block_id?, prompt?, path?, '
            'language?, feedback?, finalize?=false, code?, page?=1, wait?=true, detail?="compact"}',
    "read_sqlite": 'read_sqlite {path, refresh?=false, detail?="compact", summarize?=false}',
    "read_markdown": 'read_markdown {path, refresh?=false, detail?="compact", summarize?=false}',
    "read_code": 'read_code {path, refresh?=false, detail?="compact", summarize?=false}',
    "read_config": 'read_config {path, refresh?=false, detail?="compact", summarize?=false}',
    "list_actions": "list_actions {}",
    "get_schema": "get_schema {action}",
    "get_stats": "get_stats {}",
}


@pytest.fixture
async def ctx(store: Store, loopback_llm: LoopbackLLM) -> ActionContext:
    settings = Settings(base_url=loopback_llm.base_url, model=loopback_llm.model, api_key="k", provider="http",
                        candidates=1)

    async def provider():
        return await select_provider(settings, store)

    return ActionContext(store=store, settings=settings, loop=Loop(store, settings, provider, origin="mcp"))


def test_the_eleven_actions_and_their_signatures_match_the_contract() -> None:
    assert tuple(ACTIONS) == ACTION_NAMES
    assert {name: action.signature for name, action in ACTIONS.items()} == CONTRACT


async def test_unknown_action_lists_the_actions(ctx: ActionContext) -> None:
    with pytest.raises(ActionError, match="unknown action 'write_file'; the actions are: generate_file, generate_sql"):
        await run_action(ctx, "write_file", {})


@pytest.mark.parametrize(
    ("action", "params", "expected"),
    [
        ("read_code", {}, r'bad params for read_code: path: Field required; expected read_code \{path, refresh\?=false, detail\?="compact", summarize\?=false\}'),
        ("read_code", {"path": "a.py", "fresh": True}, r"fresh: Extra inputs are not permitted"),
        ("loop", {"step": "jump"}, r"step: Input should be 'propose', 'audit', 'refine', 'commit' or 'list'"),
        ("explore", {"max_files": 0}, r"max_files: Input should be greater than or equal to 1"),
        ("get_schema", {"action": "nope"}, r"action: Input should be 'generate_file'"),
        ("read_code", ["a.py"], r"params must be an object; expected read_code"),
        ("loop", {"step": "refine", "session_id": "s-1"}, r"loop step 'refine' needs feedback"),
        ("loop", {"step": "audit"}, r"loop step 'audit' needs session_id"),
        ("generate_sql", {"prompt": "x", "apply": True}, r"apply=true needs target_db"),
    ],
)
async def test_bad_params_name_the_field_and_show_the_signature(ctx: ActionContext, action: str, params: object,
                                                                expected: str) -> None:
    with pytest.raises(ActionError, match=expected):
        await run_action(ctx, action, params)


async def test_list_actions_and_get_schema(ctx: ActionContext) -> None:
    listed = await run_action(ctx, "list_actions", None)
    assert [row["signature"] for row in listed.data["actions"]] == list(CONTRACT.values())
    schema = await run_action(ctx, "get_schema", {"action": "generate_file"})
    assert schema.data["schema"]["required"] == ["path", "prompt"]
    assert schema.data["schema"]["properties"]["overwrite"]["default"] is False


async def test_generate_file_writes_and_refuses_to_overwrite(ctx: ActionContext, loopback_llm: LoopbackLLM,
                                                             workspace: Path) -> None:
    loopback_llm.enqueue(Answer("```python\nprint('hi')\n```"))
    result = await run_action(ctx, "generate_file", {"path": "hello.py", "prompt": "say hi"})
    assert (workspace / "hello.py").read_text() == "print('hi')\n"
    assert result.data["status"] == "committed" and result.message == "hello.py: created with iteration 1"
    with pytest.raises(ActionError, match="hello.py exists; pass overwrite=true"):
        await run_action(ctx, "generate_file", {"path": "hello.py", "prompt": "again"})
    assert len(loopback_llm.chat_requests()) == 1


async def test_generate_file_does_not_write_code_that_still_fails(ctx: ActionContext, loopback_llm: LoopbackLLM,
                                                                  workspace: Path) -> None:
    loopback_llm.default = Answer("```python\ndef broken(:\n```")
    with pytest.raises(ActionError, match=r"still has errors after auto-refine .*nothing was written"):
        await run_action(ctx, "generate_file", {"path": "bad.py", "prompt": "x"})
    assert not (workspace / "bad.py").exists()


async def test_generate_sql_validates_then_applies(ctx: ActionContext, loopback_llm: LoopbackLLM,
                                                   workspace: Path) -> None:
    conn = sqlite3.connect(workspace / "app.db")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    conn.close()
    insert = Answer("```sql\nINSERT INTO notes (body) VALUES ('hello');\n```")
    loopback_llm.enqueue(insert, insert)
    checked = await run_action(ctx, "generate_sql", {"prompt": "add a note", "target_db": "app.db"})
    assert checked.data["applied"] is False and "not applied" in checked.message
    applied = await run_action(ctx, "generate_sql", {"prompt": "add a note", "target_db": "app.db", "apply": True})
    assert applied.data["applied"] is True
    conn = sqlite3.connect(workspace / "app.db")
    assert conn.execute("SELECT body FROM notes").fetchall() == [("hello",)]
    conn.close()


async def test_readers_explore_and_stats(ctx: ActionContext, workspace: Path) -> None:
    (workspace / "README.md").write_text("# Demo\n\n## Usage\nRun it.\n")
    digest = await run_action(ctx, "read_markdown", {"path": "README.md"})
    assert digest.data["kind"] == "markdown" and digest.message.startswith("README.md: ")
    mapped = await run_action(ctx, "explore", {})
    assert "README.md" in mapped.data["text"]
    stats = await run_action(ctx, "get_stats", {})
    assert stats.data["digests_generated"] >= 1


async def test_the_loop_action_drives_a_session(ctx: ActionContext, loopback_llm: LoopbackLLM,
                                                workspace: Path) -> None:
    loopback_llm.enqueue(Answer("```python\nx = 1\n```"), Answer("```python\nx = 2\n```"))
    proposed = await run_action(ctx, "loop", {"step": "propose", "prompt": "x", "path": "x.py"})
    session_id = proposed.data["session_id"]
    await run_action(ctx, "loop", {"step": "refine", "session_id": session_id, "feedback": "two"})
    audit = await run_action(ctx, "loop", {"step": "audit", "session_id": session_id})
    assert audit.data["code"] == "x = 2\n"
    await run_action(ctx, "loop", {"step": "commit", "session_id": session_id})
    assert (workspace / "x.py").read_text() == "x = 2\n"
    listed = await run_action(ctx, "loop", {"step": "list"})
    assert listed.data["sessions"][0]["status"] == "committed"
