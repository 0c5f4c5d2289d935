"""Splitting a SQL script into statements, each with the line it starts on (for errors a person can find)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import NamedTuple


class Statement(NamedTuple):
    line: int  # 1-based line of the script where the statement starts
    sql: str


def split_statements(script: str) -> Iterator[Statement]:
    """Complete statements in order; SQLite itself decides where one ends (triggers, strings, comments).
    A statement made only of comments runs as a no-op."""
    buffer: list[str] = []
    start = 1
    for number, line in enumerate(script.splitlines(keepends=True), start=1):
        if not buffer:
            if not line.strip():
                continue
            start = number
        buffer.append(line)
        text = "".join(buffer)
        if sqlite3.complete_statement(text):
            yield Statement(start, text.strip())
            buffer = []
    if "".join(buffer).strip():
        yield Statement(start, "".join(buffer).strip())  # unterminated: SQLite reports it when run


_TRANSACTION_KEYWORDS = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK"})


def leading_keyword(sql: str) -> str:
    """The statement's first keyword, after any leading comments."""
    text = sql.lstrip()
    while text.startswith(("--", "/*")):
        text = (text.partition("\n")[2] if text.startswith("--") else text.partition("*/")[2]).lstrip()
    words = text.split(None, 1)
    return words[0].rstrip(";").upper() if words else ""


def controls_transaction(statement: Statement) -> bool:
    """BEGIN/COMMIT/END/ROLLBACK: a script must not manage the transaction Brainloop runs it in."""
    return leading_keyword(statement.sql) in _TRANSACTION_KEYWORDS
