"""SQL conventions, read statement by statement from pygments tokens (comments and string
literals never count as code)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pygments.lexers.sql import SqlLexer

from brainloop_tui.core.patterns.model import Pattern, SourceText, Tally, Usage, naming_style
from brainloop_tui.core.patterns.tokens import Tok, code_tokens

CONSTRAINTS = ("PRIMARY KEY", "FOREIGN KEY", "UNIQUE", "NOT NULL", "CHECK")
SETTINGS = ("journal_mode", "synchronous", "foreign_keys")
SWITCH = {"1": "ON", "TRUE": "ON", "YES": "ON", "0": "OFF", "FALSE": "OFF", "NO": "OFF"}
SYNCHRONOUS_LEVELS = {"0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA"}
IRREGULAR_PLURALS = frozenset({"people", "children", "men", "women", "data", "media", "criteria", "indices"})
SINGULAR_ENDINGS = ("ss", "us", "is")
QUOTE_CLOSERS = {"`": "`", "[": "]"}
_WORD_BOUNDARY = re.compile(r"[_\s]+|(?<=[a-z0-9])(?=[A-Z])")


@dataclass
class SqlFile:
    """What one SQL file shows."""

    tables: list[tuple[str, bool, set[str]]] = field(default_factory=list)  # name, IF NOT EXISTS, constraints
    indexes: list[str] = field(default_factory=list)
    settings: list[tuple[str, str]] = field(default_factory=list)  # pragma, normalized value
    begins: list[str] = field(default_factory=list)  # the BEGIN mode: DEFERRED (default), IMMEDIATE, EXCLUSIVE


def _statements(tokens: list[Tok]) -> Iterable[list[Tok]]:
    statement: list[Tok] = []
    for tok in tokens:
        if tok.text == ";":
            if statement:
                yield statement
            statement = []
        else:
            statement.append(tok)
    if statement:
        yield statement


def _text(statement: list[Tok], index: int) -> str:
    return statement[index].text.upper() if index < len(statement) else ""


def _one_name(statement: list[Tok], index: int) -> tuple[str, int]:
    closer = QUOTE_CLOSERS.get(_text(statement, index))
    if closer:
        end = index + 1
        while end < len(statement) and statement[end].text != closer:
            end += 1
        return " ".join(tok.text for tok in statement[index + 1 : end]), end + 1
    return (statement[index].text.strip('"') if index < len(statement) else ""), index + 1


def _identifier(statement: list[Tok], index: int) -> tuple[str, int]:
    """A possibly quoted, possibly schema-qualified name starting at `index`; the schema is dropped."""
    name, index = _one_name(statement, index)
    if _text(statement, index) == ".":
        name, index = _one_name(statement, index + 1)
    return name, index


def _after_if_not_exists(statement: list[Tok], index: int) -> tuple[bool, int]:
    if [_text(statement, index + offset) for offset in range(3)] == ["IF", "NOT", "EXISTS"]:
        return True, index + 3
    return False, index


def _constraints(words: list[str]) -> set[str]:
    pairs = set(zip(words, words[1:]))
    found = {name for name in ("PRIMARY KEY", "FOREIGN KEY", "NOT NULL") if tuple(name.split()) in pairs}
    found |= {"UNIQUE", "CHECK"} & set(words)
    if "REFERENCES" in words:
        found.add("FOREIGN KEY")
    return found


def _setting(statement: list[Tok]) -> tuple[str, str] | None:
    """(pragma, value) for a PRAGMA that sets one of SETTINGS."""
    name, index = _identifier(statement, 1)
    name = name.lower()
    if name not in SETTINGS or _text(statement, index) not in ("=", "("):
        return None
    value = _text(statement, index + 1).strip("'\"")
    if name == "synchronous":
        value = SYNCHRONOUS_LEVELS.get(value, value)
    elif name == "foreign_keys":
        value = SWITCH.get(value, value)
    return name, value


def read_sql_file(text: str) -> SqlFile:
    facts = SqlFile()
    for statement in _statements(code_tokens(SqlLexer(), text)):
        words = [tok.text.upper() for tok in statement]
        first = words[0]
        if first == "PRAGMA" and (setting := _setting(statement)):
            facts.settings.append(setting)
        elif first == "BEGIN" or words[:2] == ["START", "TRANSACTION"]:
            mode = _text(statement, 1)
            facts.begins.append(mode if mode in ("IMMEDIATE", "EXCLUSIVE") else "DEFERRED")
        elif first == "CREATE" and "TABLE" in words[1:3]:
            guarded, index = _after_if_not_exists(statement, words.index("TABLE") + 1)
            name, _ = _identifier(statement, index)
            facts.tables.append((name, guarded, _constraints(words[index:])))
        elif first == "CREATE" and "INDEX" in words[1:3]:
            _, index = _after_if_not_exists(statement, words.index("INDEX") + 1)
            facts.indexes.append(_identifier(statement, index)[0])
    return facts


def table_case(name: str) -> str:
    if name.upper() == name:
        return "UPPER_CASE"
    if name.lower() == name:
        return "snake_case"
    return naming_style(name) or "PascalCase"  # a capitalized single word: Users


def table_number(name: str) -> str:
    last = _WORD_BOUNDARY.split(name.strip("_ "))[-1].lower()
    if last in IRREGULAR_PLURALS or (last.endswith("s") and not last.endswith(SINGULAR_ENDINGS)):
        return "plural"
    return "singular"


def index_naming(name: str) -> str:
    lowered = name.lower()
    if lowered.startswith("idx_"):
        return "idx_ prefix"
    if lowered.startswith("ix_"):
        return "ix_ prefix"
    if lowered.endswith(("_idx", "_index")):
        return "_idx suffix"
    return "other"


def sql_facts(path: str, text: str) -> dict[str, Any]:
    """What one SQL file says, as JSON-able facts (kept per file: a refresh re-reads only what changed)."""
    facts = read_sql_file(text)
    return {"tables": [[name, guarded, sorted(kinds)] for name, guarded, kinds in facts.tables],
            "indexes": facts.indexes, "settings": [list(setting) for setting in facts.settings], "begins": facts.begins}


def extract_sql(files: Iterable[SourceText]) -> list[Pattern]:
    return aggregate_sql((path, sql_facts(path, text)) for path, text in files)


def aggregate_sql(items: Iterable[tuple[str, dict[str, Any]]]) -> list[Pattern]:
    """The SQL conventions shown by the facts of many files (see `sql_facts`)."""
    settings = {name: Tally() for name in SETTINGS}
    case, number, guard, constraints, indexes = Tally(), Tally(), Tally(), Tally(), Tally()
    transactions = Usage()
    begin_modes: dict[str, int] = {}
    tables = 0
    for path, item in items:
        facts = SqlFile(tables=[(name, guarded, set(kinds)) for name, guarded, kinds in item["tables"]],
                        indexes=item["indexes"], settings=[(name, value) for name, value in item["settings"]],
                        begins=item["begins"])
        for name, value in facts.settings:
            settings[name].add(value, path)
        for name, guarded, kinds in facts.tables:
            tables += 1
            case.add(table_case(name), path)
            number.add(table_number(name), path)
            guard.add("IF NOT EXISTS" if guarded else "plain CREATE TABLE", path)
            for kind in kinds:
                constraints.add(kind, path)
        for name in facts.indexes:
            indexes.add(index_naming(name), path)
        transactions.observe(path, len(facts.begins))
        for mode in facts.begins:
            begin_modes[f"BEGIN {mode}"] = begin_modes.get(f"BEGIN {mode}", 0) + 1
    found = [settings[name].majority("sql", f"pragma_{name}") for name in SETTINGS]
    found += [
        case.majority("sql", "table_case"),
        number.majority("sql", "table_number"),
        guard.majority("sql", "create_table_style"),
        constraints.top("sql", "constraints", limit=len(CONSTRAINTS), seen=tables),
        indexes.majority("sql", "index_naming"),
        transactions.pattern("sql", "transactions", begin_modes),
    ]
    return [pattern for pattern in found if pattern is not None]
