"""Every one of the eleven actions end to end: the SDK's client → the server subprocess → the core →
the loopback LLM server, and back. Then every way a call can be wrong, each answered with `isError`
and a message to act on, on a server that keeps serving."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from loopback_llm import Answer, LoopbackLLM, Status
from mcp.shared.exceptions import MCPError

from brainloop_tui.core.actions import ACTION_NAMES, ACTIONS

from .mcp_helpers import API_KEY, call, mcp_client, ok, refused, server_parameters

HELLO = "```python\ndef hello() -> str:\n    return 'hello'\n```"
ADD = "def add(a, b):\n    return a + b\n"
TYPED_ADD = "def add(a: int, b: int) -> int:\n    return a + b\n"
NOTES_SQL = "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n"


async def test_the_eleven_actions(project: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    done: set[str] = set()
    async with mcp_client(server_parameters(project, loopback_llm), tmp_path / "server.err") as client:

        async def run(action: str, params: dict | None = None) -> dict:
            done.add(action)
            return ok(await call(client, action, params))

        assert len((await run("list_actions"))["actions"]) == len(ACTION_NAMES)
        schema = (await run("get_schema", {"action": "generate_file"}))["schema"]
        assert schema["required"] == ["path", "prompt"] and schema["additionalProperties"] is False

        assert (await run("read_markdown", {"path": "README.md", "detail": "full"}))["structure"]["title"] == "Shop"
        code = await run("read_code", {"path": "src/app.py"})
        assert code["kind"] == "code" and "class Cart" in code["text"]
        config = await run("read_config", {"path": "config.yaml"})
        assert "hunter2-very-secret" not in str(config) and "DATABASE_URL" in str(config)
        assert "table items" in (await run("read_sqlite", {"path": "shop.db"}))["text"]

        loopback_llm.enqueue(Answer(HELLO))
        written = await run("generate_file", {"path": "hello.py", "prompt": "a hello function"})
        assert written["status"] == "committed"
        assert (project / "hello.py").read_text(encoding="utf-8") == "def hello() -> str:\n    return 'hello'\n"

        loopback_llm.enqueue(Answer(NOTES_SQL))
        applied = await run("generate_sql", {"prompt": "a notes table", "target_db": "shop.db", "apply": True})
        assert applied["applied"] is True
        with sqlite3.connect(project / "shop.db") as conn:
            assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'notes'").fetchone() == ("notes",)

        loopback_llm.enqueue(Answer(ADD), Answer(TYPED_ADD))
        proposed = await run("loop", {"step": "propose", "prompt": "an add function", "path": "calc.py"})
        session_id = proposed["session_id"]
        audit = await run("loop", {"step": "audit", "session_id": session_id})
        assert audit["code"].strip() == ADD.strip()
        refined = await run("loop", {"step": "refine", "session_id": session_id, "feedback": "add type hints"})
        assert refined["iteration"] == 2
        await run("loop", {"step": "audit", "session_id": session_id})
        (commit,) = (await run("loop", {"step": "commit", "session_id": session_id}))["commits"]
        assert commit["status"] == "committed"
        assert "a: int" in (project / "calc.py").read_text(encoding="utf-8")
        listed = (await run("loop", {"step": "list"}))["sessions"]
        assert {s["id"]: s["origin"] for s in listed}[session_id] == "mcp"

        stats = await run("get_stats")
        assert stats["llm_calls"] == len(loopback_llm.chat_requests()) == 4
        assert stats["sessions_total"] == 3 and [w["face"] for w in stats["workers"]] == ["mcp"]
        assert "src/\n  app.py" in (await run("explore", {}))["text"]
    assert done == set(ACTION_NAMES)
    assert all(r.headers["authorization"] == f"Bearer {API_KEY}" for r in loopback_llm.chat_requests())


async def test_every_wrong_call_is_a_tool_error(project: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    errlog = tmp_path / "server.err"
    async with mcp_client(server_parameters(project, loopback_llm), errlog) as client:
        message = refused(await call(client, "nonsense"))
        assert "unknown action 'nonsense'" in message and all(name in message for name in ACTION_NAMES)
        assert "list_actions" in refused(await client.call_tool("brainloop", {}))
        assert "list_actions" in refused(await client.call_tool("brainloop", {"action": 7}))

        message = refused(await call(client, "read_code", {"pth": "src/app.py"}))
        assert "path" in message and "pth" in message and ACTIONS["read_code"].signature in message
        message = refused(await call(client, "explore", {"max_depth": "deep"}))
        assert "max_depth" in message and ACTIONS["explore"].signature in message
        message = refused(await call(client, "read_code", ["src/app.py"]))  # type: ignore[arg-type]
        assert ACTIONS["read_code"].signature in message
        message = refused(await client.call_tool("brainloop", {"action": "read_code", "path": "src/app.py"}))
        assert "params" in message and ACTIONS["read_code"].signature in message
        message = refused(await call(client, "loop", {"step": "refine", "session_id": "s-nope"}))
        assert "feedback" in message

        assert "outside the workspace" in refused(await call(client, "read_code", {"path": "../escape.py"}))
        assert "missing.py" in refused(await call(client, "read_code", {"path": "missing.py"}))
        assert "s-nope" in refused(await call(client, "loop", {"step": "audit", "session_id": "s-nope"}))
        refused(await call(client, "generate_file", {"path": "README.md", "prompt": "overwrite it"}))
        assert (project / "README.md").read_text(encoding="utf-8").startswith("# Shop")

        loopback_llm.default = Status(401, {"message": "Wrong API Key", "type": "invalid_request_error",
                                            "param": "api_key", "code": "wrong_api_key"})
        message = refused(await call(client, "generate_file", {"path": "new.py", "prompt": "anything"}))
        assert API_KEY not in message and not (project / "new.py").exists()

        with pytest.raises(MCPError, match="one tool"):
            await client.call_tool("read_code", {"path": "src/app.py"})
        assert ok(await call(client, "read_code", {"path": "src/app.py"}))["path"] == "src/app.py"
    assert "Traceback" not in errlog.read_text(encoding="utf-8")
