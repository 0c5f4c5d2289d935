"""Validators: each language's check, with severities and locations."""

from __future__ import annotations

import shutil

import pytest

from brainloop_tui.core.loop.validators import errors_of, language_of, validate
from brainloop_tui.core.patterns import Evidence, Pattern


def test_language_comes_from_the_user_then_the_file_ending() -> None:
    assert language_of("a/b.py") == "python"
    assert language_of("x.yml") == "yaml"
    assert language_of("x.txt") is None
    assert language_of("x.txt", "Go") == "go"


def test_valid_code_has_no_diagnostics() -> None:
    assert validate("def f(x):\n    return x\n", path="a.py", language=None) == []
    assert validate('{"a": [1, 2]}', path="a.json", language=None) == []
    assert validate("a = 1\n[t]\nb = 'x'\n", path="a.toml", language=None) == []
    assert validate("a: 1\n---\nb: [1, 2]\n", path="a.yaml", language=None) == []
    assert validate("CREATE TABLE t (id INTEGER PRIMARY KEY);\nINSERT INTO t VALUES (1);\n", path="a.sql",
                    language=None) == []


@pytest.mark.parametrize(
    ("path", "code", "line", "source"),
    [
        ("a.py", "def f(:\n    pass\n", 1, "python"),
        ("a.py", "x = 1\nif x\n", 2, "python"),
        ("a.json", '{\n  "a": 1,\n}\n', 3, "json"),
        ("a.toml", "a = 1\nb = \n", 2, "toml"),
        ("a.yaml", "a: 1\nb: [1, 2\n", 3, "yaml"),
        ("a.sql", "CREATE TABLE t (id INTEGER);\n\nINSERT INTO nowhere VALUES (1);\n", 3, "sql"),
        ("a.sql", "CREATE TABLE t (id INTEGER);\nBEGIN;\n", 2, "sql"),
    ],
)
def test_errors_carry_their_line(path: str, code: str, line: int, source: str) -> None:
    (diagnostic,) = errors_of(validate(code, path=path, language=None))
    assert (diagnostic.source, diagnostic.line) == (source, line)
    assert diagnostic.describe().startswith(f"error ({source}) line {line}")


def test_sql_is_checked_against_the_target_schema_and_changes_nothing() -> None:
    schema = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
    assert validate("INSERT INTO users (name) VALUES ('a');", path="x.sql", language="sql", sql_schema=schema) == []
    (error,) = validate("INSERT INTO users (nick) VALUES ('a');", path="x.sql", language="sql", sql_schema=schema)
    assert "nick" in error.message


def test_go_without_gofmt_is_reported_as_skipped() -> None:
    diagnostics = validate("package main\nfunc main() {\n", path="main.go", language=None)
    if shutil.which("gofmt"):
        assert errors_of(diagnostics)
    else:
        assert [(d.severity, d.message) for d in diagnostics] == [("info", "skipped: gofmt is not installed")]


def test_empty_answer_is_an_error() -> None:
    assert errors_of(validate("  \n", path="a.py", language=None))[0].source == "output"


def naming(language: str, value: str) -> Pattern:
    return Pattern(language=language, name="naming", value=value, confidence=0.9, evidence=Evidence())


def test_names_against_the_project_convention_are_warnings() -> None:
    code = "def loadUser():\n    pass\n\ndef save_user():\n    pass\n"
    (warning,) = validate(code, path="a.py", language=None, patterns=[naming("python", "snake_case")])
    assert (warning.severity, warning.source, warning.line) == ("warning", "patterns", 1)
    assert "loadUser" in warning.message


def test_go_exported_names_do_not_break_camel_case() -> None:
    code = "package x\n\nfunc LoadUser() {}\nfunc saveUser() {}\nfunc load_all() {}\n"
    diagnostics = validate(code, path="x.go", language=None, patterns=[naming("go", "camelCase")])
    assert [d.message.split("'")[1] for d in diagnostics if d.source == "patterns"] == ["load_all"]
