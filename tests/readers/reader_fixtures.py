"""What the reader tests build themselves: SQLite databases, Markdown, configs with planted secrets."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

from brainloop_tui.core.readers import Digest, build_digest

USERS = 100_000
TEAMS = 50

SHOP_SCHEMA = """
CREATE TABLE teams (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE users (
    id      INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    email   TEXT NOT NULL UNIQUE,
    bio     TEXT,
    avatar  BLOB,
    created REAL NOT NULL DEFAULT (julianday('now')),
    UNIQUE (team_id, bio)
);
CREATE INDEX idx_users_team ON users (team_id);
CREATE VIEW big_teams AS SELECT team_id, count(*) AS members FROM users GROUP BY team_id;
CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN SELECT 1; END;
"""


def make_shop_db(path: Path, *, users: int = USERS, journal: str = "wal") -> Path:
    """Foreign keys, indexes, a view, a trigger and `users` rows, in one transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA journal_mode={journal}")
    conn.executescript(SHOP_SCHEMA)
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO teams (id, name) VALUES (?, ?)", ((i, f"team {i}") for i in range(1, TEAMS + 1)))
    conn.executemany(
        "INSERT INTO users (id, team_id, email, bio, avatar) VALUES (?, ?, ?, ?, ?)",
        (
            (i, i % TEAMS + 1, f"user{i}@example.com", "a long biography " * 20 if i == 1 else None, b"\x89PNG" * 256 if i == 1 else None)
            for i in range(1, users + 1)
        ),
    )
    conn.execute("COMMIT")
    conn.close()
    return path


def write_uncheckpointed_wal(path: Path, statements: str) -> None:
    """A WAL database whose last changes are only in its -wal: the writer process dies without
    closing (no checkpoint), as after a crash or while an application keeps it open."""
    code = (
        "import os, sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('PRAGMA journal_mode=WAL')\n"
        "conn.execute('PRAGMA wal_autocheckpoint=0')\n"
        "conn.executescript(sys.argv[2])\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path), statements], check=True)


def file_hashes(*paths: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


MARKDOWN = """\
# Brainloop guide

Read [the spec](./SPEC.md), the [install notes](#install) and [upstream](https://example.com/x).
A [broken anchor](#nowhere) and a [missing file](docs/missing.md).

## Install

```bash
pip install brainloop
```

### From source

    git clone somewhere

- step one
  - detail a
  - detail b
    1. deeper
- step two

## Usage

| key | action | scope |
| --- | ------ | ----- |
| p   | propose | block |
| r   | refine  | block |

![diagram](img/loop.png)

```python
def main():
    return 0
```

```
no language
```

## Usage

Second usage section, anchor usage-1.
"""


PLANTED = {
    "aws": "AKIAQWERTYUIOPASDFGH",
    "openai": "sk-proj-Zx8vQ2mN5bR7tY1uI3oP6aS9dF4gH0jK",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJicmFpbmxvb3AifQ.kT3ZsYbQmW1xV9rN2pL5cE8aR0uJ7hG4",
    "password": "correct-horse-battery-staple",
    "entropy": "q8Zr3VxT9mK2pW7nB4cY6hJ1fL5sD0gA",
    "url_password": "p4ssw0rdInUrl",
}

PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0"

CONFIG_WITH_SECRETS = f"""\
server:
  host: 0.0.0.0
  port: 8443
  debug: true
  base_url: https://api.example.com/v1
database:
  url: postgres://app:{PLANTED["url_password"]}@db.internal:5432/app
  password: {PLANTED["password"]}
  data_dir: /var/lib/app
cloud:
  aws_access_key_id: {PLANTED["aws"]}
  openai: {PLANTED["openai"]}
  session: {PLANTED["jwt"]}
  signing_blob: {PLANTED["entropy"]}
  tls_key: |
    -----BEGIN RSA PRIVATE KEY-----
    {PEM_BODY}
    -----END RSA PRIVATE KEY-----
home: ${{HOME}}/app
token_from_env: ${{API_TOKEN}}
---
second: document
"""


def written_digest(folder: Path, name: str, text: str) -> Digest:
    """`text` written to `folder/name`, then digested."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return build_digest(path, name)
