"""Checks run on every iteration's code. Each finding is a `Diagnostic` with a severity and, where the
checker knows it, a line and column; `error` diagnostics are what auto-refine feeds back to the model."""

from __future__ import annotations

import ast
import json
import re
import shutil
import sqlite3
import subprocess
import tomllib
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath
from typing import Literal

from pydantic import BaseModel

from brainloop_tui.core.loop.sqlscript import controls_transaction, leading_keyword, split_statements
from brainloop_tui.core.patterns.model import Pattern, naming_style

Severity = Literal["error", "warning", "info"]

# File endings of the languages a validator exists for; anything else is validated only against patterns.
LANGUAGE_BY_SUFFIX = {
    ".py": "python", ".pyi": "python", ".sql": "sql", ".json": "json", ".toml": "toml",
    ".yaml": "yaml", ".yml": "yaml", ".go": "go",
}
GOFMT_TIMEOUT_S = 10


class Diagnostic(BaseModel):
    severity: Severity
    source: str  # which check or repair: python, sql, json, toml, yaml, go, patterns, imports, gofmt, ...
    message: str
    line: int | None = None
    column: int | None = None

    def describe(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "") + ": " if self.line else ""
        return f"{self.severity} ({self.source}) {where}{self.message}"


def language_of(path: str, given: str | None = None) -> str | None:
    """The block's language: what the user said, else what the file ending says."""
    if given:
        return given.strip().lower()
    return LANGUAGE_BY_SUFFIX.get(PurePosixPath(path).suffix.lower())


def check_python(code: str, path: str) -> list[Diagnostic]:
    try:
        compile(code, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return [Diagnostic(severity="error", source="python", message=exc.msg, line=exc.lineno, column=exc.offset)]
    return []


def check_sql(code: str, schema: str = "") -> list[Diagnostic]:
    """Run the script in an in-memory database inside a transaction that is always rolled back.
    `schema` (the DDL of the target database) is loaded first, so statements may use its tables."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        if schema:
            conn.executescript(schema)
        conn.execute("BEGIN")
        for statement in split_statements(code):
            if controls_transaction(statement):
                return [Diagnostic(severity="error", source="sql", line=statement.line,
                                   message=f"remove {leading_keyword(statement.sql)}: Brainloop runs the script "
                                           "in one transaction of its own")]
            try:
                conn.execute(statement.sql)
            except sqlite3.Error as exc:
                return [Diagnostic(severity="error", source="sql", message=str(exc), line=statement.line)]
        return []
    finally:
        conn.close()


def check_json(code: str) -> list[Diagnostic]:
    try:
        json.loads(code)
    except json.JSONDecodeError as exc:
        return [Diagnostic(severity="error", source="json", message=exc.msg, line=exc.lineno, column=exc.colno)]
    return []


def check_toml(code: str) -> list[Diagnostic]:
    try:
        tomllib.loads(code)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+), column (\d+)", str(exc))
        line, column = (int(found.group(1)), int(found.group(2))) if found else (None, None)
        return [Diagnostic(severity="error", source="toml", message=str(exc), line=line, column=column)]
    return []


def check_yaml(code: str) -> list[Diagnostic]:
    import yaml  # here, not at the top: PyYAML costs ~25 ms to import and few blocks are YAML

    try:
        for _ in yaml.safe_load_all(code):
            pass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        return [Diagnostic(severity="error", source="yaml", message=str(exc.problem or exc),
                           line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None)]
    except yaml.YAMLError as exc:
        return [Diagnostic(severity="error", source="yaml", message=str(exc))]
    return []


_GOFMT_ERROR = re.compile(r"^<standard input>:(\d+):(\d+): (.*)$")


def run_gofmt(code: str, *flags: str) -> subprocess.CompletedProcess[str] | None:
    """gofmt on `code` (its layout on stdout, its syntax errors on stderr); None when it is not installed."""
    gofmt = shutil.which("gofmt")
    if gofmt is None:
        return None
    return subprocess.run([gofmt, *flags], input=code, capture_output=True, text=True, timeout=GOFMT_TIMEOUT_S)


def check_go(code: str) -> list[Diagnostic]:
    result = run_gofmt(code, "-e")
    if result is None:
        return [Diagnostic(severity="info", source="go", message="skipped: gofmt is not installed")]
    diagnostics = []
    for line in result.stderr.splitlines():
        found = _GOFMT_ERROR.match(line)
        if found:
            diagnostics.append(Diagnostic(severity="error", source="go", message=found.group(3),
                                          line=int(found.group(1)), column=int(found.group(2))))
    return diagnostics


def _python_function_names(code: str) -> Iterable[tuple[str, int]]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [(node.name, node.lineno) for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("__")]


_GO_FUNC = re.compile(r"^func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)", re.MULTILINE)


def _go_function_names(code: str) -> Iterable[tuple[str, int]]:
    return [(m.group(1), code.count("\n", 0, m.start()) + 1) for m in _GO_FUNC.finditer(code)]


FUNCTION_NAMES: dict[str, Callable[[str], Iterable[tuple[str, int]]]] = {
    "python": _python_function_names,
    "go": _go_function_names,
}


def check_conformance(code: str, language: str, patterns: Iterable[Pattern]) -> list[Diagnostic]:
    """Function names that break the naming convention the workspace follows (pattern `naming`)."""
    expected = next((p.value for p in patterns if p.language == language and p.name == "naming"), None)
    names = FUNCTION_NAMES.get(language)
    if expected is None or names is None:
        return []
    return [
        Diagnostic(severity="warning", source="patterns", line=line,
                   message=f"function {name!r} is {style}; this project names its functions and variables in {expected}")
        for name, line in names(code)
        if (style := naming_style(name)) is not None and style != expected
        and not (language == "go" and {style, expected} == {"camelCase", "PascalCase"})  # Go: case is visibility
    ]


CHECKS: dict[str, Callable[[str], list[Diagnostic]]] = {
    "json": check_json, "toml": check_toml, "yaml": check_yaml, "go": check_go,
}


def validate(code: str, *, path: str, language: str | None, patterns: Iterable[Pattern] = (),
             sql_schema: str = "") -> list[Diagnostic]:
    """Every diagnostic for one iteration's code."""
    language = language_of(path, language)
    if not code.strip():
        return [Diagnostic(severity="error", source="output", message="the model returned no code")]
    if language == "python":
        found = check_python(code, path)
    elif language == "sql":
        found = check_sql(code, sql_schema)
    elif language in CHECKS:
        found = CHECKS[language](code)
    else:
        found = []
    return found + check_conformance(code, language or "", list(patterns))


def errors_of(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]
