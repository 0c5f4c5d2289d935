"""`brainloop doctor`: checks a person can read, each with what to do when it fails."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from brainloop_tui.core.config import Settings
from brainloop_tui.core.db import Store
from brainloop_tui.core.db.schema import default_sql_dir, schema_steps
from brainloop_tui.core.db.store import DATABASES, PRIVATE_DATABASES, PRIVATE_MODE, state_dir
from brainloop_tui.core.db.uri import connect_read_only
from brainloop_tui.core.llm import HttpProvider, LLMError, select_provider
from brainloop_tui.core.llm.local import llama_installed
from brainloop_tui.core.llm.model_files import INSTALL_HINT, default_model_path, is_assembled, parts_installed

Verdict = Literal["ok", "warn", "fail"]


class Check(BaseModel):
    name: str
    verdict: Verdict
    detail: str


def check_database(path: Path, name: str, latest: int) -> Check:
    """integrity_check, journal mode, schema version and (for metadata.db) file mode, without writing."""
    label = f"{name}.db"
    if not path.exists():
        return Check(name=label, verdict="warn", detail="not created yet: run `brainloop init`")
    try:
        conn = connect_read_only(path)
        try:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return Check(name=label, verdict="fail", detail=f"{path} is not a usable SQLite database ({exc}); "
                     "move it aside and run `brainloop init` to start a fresh one")
    problems = []
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    if journal != "wal":
        problems.append(f"journal mode is {journal}, expected wal")
    if version > latest:
        problems.append(f"schema version {version} is newer than this Brainloop ({latest}): upgrade Brainloop")
    elif version < latest:
        problems.append(f"schema version {version}, current is {latest}: any command migrates it")
    if name in PRIVATE_DATABASES and stat.S_IMODE(path.stat().st_mode) != PRIVATE_MODE:
        problems.append(f"file mode is {oct(stat.S_IMODE(path.stat().st_mode))}, expected 0o600")
    if problems:
        return Check(name=label, verdict="fail" if integrity != "ok" or version > latest else "warn",
                     detail="; ".join(problems))
    return Check(name=label, verdict="ok", detail=f"integrity ok, journal wal, schema version {version}")


def database_checks(workspace: Path) -> list[Check]:
    sql_dir = default_sql_dir()
    folder = state_dir(workspace)
    return [check_database(folder / f"{name}.db", name, schema_steps(sql_dir, name)[-1].version) for name in DATABASES]


async def provider_check(settings: Settings, store: Store) -> Check:
    """Which provider a generation would use, and for an endpoint whether it answers and serves the model."""
    try:
        provider = await select_provider(settings, store)
        if isinstance(provider, HttpProvider):
            served = await provider.check_model()
            return Check(name="provider", verdict="ok",
                         detail=f"{settings.base_url} answers and serves {settings.model} ({len(served)} model(s))")
    except LLMError as exc:
        return Check(name="provider", verdict="fail", detail=str(exc))
    return Check(name="provider", verdict="ok", detail=f"embedded model ({provider.model})")


PYTEST_MARKERS = ("pytest.ini", "conftest.py", "tests/conftest.py")
PYTEST_COMMAND = "python -m pytest -q -x {tests}"
GO_COMMAND = "go test ./{package}"


def _uses_pytest(workspace: Path) -> bool:
    if any((workspace / marker).is_file() for marker in PYTEST_MARKERS):
        return True
    for config in ("pyproject.toml", "setup.cfg", "tox.ini"):
        try:
            text = (workspace / config).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "pytest" in text:
            return True
    return False


def check_command_check(settings: Settings, workspace: Path) -> Check:
    """The project's own check: what is configured, or what to configure when the project shows one."""
    if settings.check_command:
        return Check(name="check_command", verdict="ok", detail=f"{settings.check_command!r} runs on every answer")
    suggestions = ([PYTEST_COMMAND] if _uses_pytest(workspace) else []) + (
        [GO_COMMAND] if (workspace / "go.mod").is_file() else [])
    if not suggestions:
        return Check(name="check_command", verdict="ok", detail="not set (no pytest or go.mod seen)")
    quoted = " or ".join(f"check_command = {s!r}" for s in suggestions)
    return Check(name="check_command", verdict="warn",
                 detail=f"not set: put {quoted} in .brainloop/config.toml to run the project's tests on every answer")


def embedded_model_check(settings: Settings) -> Check:
    if settings.local_model is not None:
        found = settings.local_model.is_file()
        return Check(name="embedded model", verdict="ok" if found else "fail",
                     detail=f"{settings.local_model} " + ("is there" if found else "does not exist"))
    if not llama_installed() or not parts_installed():
        return Check(name="embedded model", verdict="warn", detail=f"not installed (optional): {INSTALL_HINT}")
    if is_assembled(default_model_path()):
        return Check(name="embedded model", verdict="ok", detail=f"ready at {default_model_path()}")
    return Check(name="embedded model", verdict="ok",
                 detail=f"installed; assembled into {default_model_path()} on first use (about 1.1 GB)")
