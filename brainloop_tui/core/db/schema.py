"""Where the DDL lives, and how a database is brought to the current version.

Version 1 of a database is its schema file `sql/brainloop.<name>_schema.sql`; version N > 1 is the
migration `sql/migrations/<name>/NNNN_<what>.sql` (four digits, N). `PRAGMA user_version` says which
version a file is at. Migrations run forward only; a file newer than this code is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from brainloop_tui.core.errors import StoreError

_MIGRATION_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")


def default_sql_dir() -> Path:
    """The installed wheel carries `sql/` inside the package; a source checkout has it at the top."""
    packaged = Path(str(resources.files("brainloop_tui"))) / "sql"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "sql"


@dataclass(frozen=True)
class SchemaStep:
    version: int
    path: Path

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def schema_steps(sql_dir: Path, name: str) -> list[SchemaStep]:
    """Every step that builds database `name`, in order; step k brings the file to version k."""
    base = sql_dir / f"brainloop.{name}_schema.sql"
    if not base.is_file():
        raise StoreError(f"schema file {base} is missing: the installation is incomplete")
    steps = [SchemaStep(1, base)]
    migrations = sql_dir / "migrations" / name
    if migrations.is_dir():
        for path in sorted(migrations.iterdir()):
            match = _MIGRATION_NAME.match(path.name)
            if not match:
                continue
            version = int(match.group(1))
            if version != len(steps) + 1:
                raise StoreError(f"migration {path} should be number {len(steps) + 1:04d}: versions must not skip")
            steps.append(SchemaStep(version, path))
    return steps
