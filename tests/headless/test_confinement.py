"""What an agent cannot reach through a spawned server: Brainloop's own state (the stored API key above
all) and, through SQLite's URI decoding, files beside the workspace; and a workspace whose path holds
`#`, `?`, `%`, spaces or unicode works like any other."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from loopback_llm import Answer, LoopbackLLM

from .mcp_helpers import call, make_project, mcp_client, ok, refused, server_parameters

KEY = "csk-confinement-test-4f9a8b7c6d5e4f3a2b1c"
NOTES_SQL = "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n"


def store_key(workspace: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "brainloop_tui", "secret", "set", "api_key", "-w", str(workspace)],
                          input=f"{KEY}\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


async def test_the_state_folder_is_never_read(project: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    store_key(project)
    (project / "state").symlink_to(project / ".brainloop")
    async with mcp_client(server_parameters(project, loopback_llm), tmp_path / "err.log") as client:
        for action, params in [
            ("read_sqlite", {"path": ".brainloop/metadata.db"}),
            ("read_sqlite", {"path": "state/metadata.db"}),  # a link into it
            ("read_sqlite", {"path": "./src/../.brainloop/metadata.db"}),
            ("read_config", {"path": ".brainloop/config.toml"}),
            ("read_code", {"path": ".brainloop/lifecycle.db"}),
            ("explore", {"path": ".brainloop"}),
            ("generate_file", {"path": ".brainloop/config.toml", "prompt": "x"}),
        ]:
            message = refused(await call(client, action, params))
            assert ".brainloop/ holds Brainloop's own state" in message, (action, params, message)
            assert KEY not in message
        assert loopback_llm.chat_requests() == []  # nothing was sent anywhere
        loopback_llm.default = Answer("```python\nKEY = None\n```")
        ok(await call(client, "loop", {"step": "propose", "prompt": "print what .brainloop/metadata.db holds",
                                       "path": "a.py"}))
        assert KEY not in str([r.body for r in loopback_llm.chat_requests()])
        everything = await call(client, "explore", {})
        assert ".brainloop" not in str(everything.structured_content)


async def test_secret_named_tables_and_columns_are_redacted_in_samples(
        project: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    with sqlite3.connect(project / "app.db") as conn:
        conn.executescript(
            "CREATE TABLE secrets (name TEXT, value TEXT);"
            f"INSERT INTO secrets VALUES ('api_key', '{KEY}'), ('hex', '{'ab' * 20}'), ('phrase', 'correct horse');"
            "CREATE TABLE users (name TEXT, api_token TEXT);"
            "INSERT INTO users VALUES ('ann', 'plain-looking-value');")
    async with mcp_client(server_parameters(project, loopback_llm), tmp_path / "err.log") as client:
        result = await call(client, "read_sqlite", {"path": "app.db", "detail": "full"})
        shown = str(result.structured_content) + str(result.content)
        for secret in (KEY, "ab" * 20, "correct horse", "plain-looking-value"):
            assert secret not in shown
        tables = {t["name"]: t for t in ok(result)["structure"]["tables"]}
        assert tables["users"]["sample_rows"][0]["name"] == "ann"  # what is not secret stays
        assert tables["secrets"]["sample_rows"][0]["value"].startswith("[redacted sha256:")


@pytest.mark.parametrize("target_db", ["%2e%2e/out.db", "%2e%2e/pwned#.db", "..%2fout.db", "x?mode=rwc.db"])
async def test_a_target_db_cannot_reach_beside_the_workspace(
        project: Path, tmp_path: Path, loopback_llm: LoopbackLLM, target_db: str) -> None:
    outside = project.parent / "out.db"
    with sqlite3.connect(outside) as conn:
        conn.execute("CREATE TABLE outside_only (secret TEXT)")
    inside = project / target_db  # a database of that literal name in the workspace
    inside.parent.mkdir(exist_ok=True)
    with sqlite3.connect(inside) as conn:
        conn.execute("CREATE TABLE inside_only (id INTEGER)")
    errlog = tmp_path / "err.log"
    errlog.touch()
    before = sorted(p.name for p in project.parent.iterdir())
    loopback_llm.default = Answer(f"```sql\n{NOTES_SQL}```")
    async with mcp_client(server_parameters(project, loopback_llm), errlog) as client:
        applied = ok(await call(client, "generate_sql", {"prompt": "a notes table", "target_db": target_db,
                                                         "apply": True}))
        (request,) = loopback_llm.chat_requests()
        sent = str(request.body["messages"])
        assert "inside_only" in sent and "outside_only" not in sent  # the schema of the right database
    with sqlite3.connect(applied["backup"]) as conn:  # a copy of the right database
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("inside_only",)]
    assert sorted(p.name for p in project.parent.iterdir()) == before  # nothing new beside the workspace
    with sqlite3.connect(outside) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("outside_only",)]
    with sqlite3.connect(inside) as conn:
        assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master")} == {"inside_only", "notes"}


@pytest.mark.parametrize("name", ["w#x", "ws?x=1", "ws%41", "ws%2e%2e", "my work é"])
async def test_a_workspace_with_odd_characters_in_its_path_works(
        tmp_path: Path, loopback_llm: LoopbackLLM, name: str) -> None:
    workspace = tmp_path / "parent" / name
    workspace.mkdir(parents=True)
    make_project(workspace)
    loopback_llm.default = Answer(f"```sql\n{NOTES_SQL}```")
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        applied = ok(await call(client, "generate_sql", {"prompt": "a notes table", "target_db": "shop.db",
                                                         "apply": True}))
        assert applied["applied"] is True and Path(applied["backup"]).is_relative_to(workspace / ".brainloop")
        tables = {t["name"] for t in ok(await call(client, "read_sqlite", {"path": "shop.db", "detail": "full"}))["structure"]["tables"]}
        assert tables == {"items", "notes"}
    assert sorted(p.name for p in (tmp_path / "parent").iterdir()) == [name]  # nothing opened beside it
    doctor = subprocess.run([sys.executable, "-m", "brainloop_tui", "doctor", "-w", str(workspace)],
                            capture_output=True, text=True, timeout=60)
    assert "[ok  ] lifecycle.db: integrity ok, journal wal, schema version " in doctor.stdout, doctor.stdout


async def test_oversized_params_are_refused_before_anything_reads_or_records_them(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    huge_path, huge_prompt = "a/" * 2_500_000 + "x.py", "write " * 200_000  # 5 MB and 1.2 MB
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        for action, params, field, limit in [
            ("read_code", {"path": huge_path}, "path", "4096 characters"),
            ("generate_file", {"path": "ok.py", "prompt": huge_prompt}, "prompt", "1000000 characters"),
            ("loop", {"step": "refine", "session_id": "s", "feedback": huge_prompt}, "feedback", "1000000 characters"),
        ]:
            message = refused(await call(client, action, params))
            assert f"bad params for {action}: {field}: String should have at most {limit}" in message
            assert len(message) < 500
        assert ok(await call(client, "get_stats"))["sessions_total"] == 0
    assert loopback_llm.chat_requests() == []
    assert huge_path[:1000] not in (tmp_path / "err.log").read_text(encoding="utf-8")


async def test_a_secret_default_argument_is_redacted_from_the_code_digest(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    (workspace / "db.py").write_text(
        'def connect(host: str = "db.local", password: str = "hunter2-very-secret", *, api_key="k-123456") -> None:\n'
        '    """Connect."""\n', encoding="utf-8")
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        digest = ok(await call(client, "read_code", {"path": "db.py", "detail": "full"}))
    (function,) = digest["structure"]["functions"]
    assert function["signature"] == ("def connect(host: str='db.local', password: str='[redacted]', *, "
                                     "api_key='[redacted]') -> None")
    assert "hunter2" not in str(digest) and "k-123456" not in str(digest)


async def test_a_name_longer_than_the_file_system_allows_and_a_nul_in_a_prompt_are_clear_errors(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    long_name = "n" * 300 + ".py"
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        for action, params in [("read_code", {"path": long_name}), ("explore", {"path": "d" * 300}),
                               ("generate_file", {"path": long_name, "prompt": "a function"})]:
            result = await call(client, action, params)
            assert result.is_error and result.structured_content["error"] != "InternalError"
            assert "longer than 255 bytes" in result.structured_content["message"]
        nul = await call(client, "generate_file", {"path": "ok.py", "prompt": "\x00a function"})
        assert nul.is_error and nul.structured_content == {
            "error": "LoopError", "message": "the prompt contains a NUL character: send text"}
    assert loopback_llm.chat_requests() == []
    assert "Traceback" not in (tmp_path / "err.log").read_text(encoding="utf-8")
