"""`brainloop doctor`: checks a person can read, each with what to do when it fails."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from brainloop_tui.core.db.schema import default_sql_dir, schema_steps
from brainloop_tui.core.db.store import DATABASES, PRIVATE_DATABASES, PRIVATE_MODE, state_dir

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
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
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
