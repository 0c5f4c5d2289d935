"""Code reader: Python through ast, the other languages through pygments tokens, line counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from reader_fixtures import written_digest

from brainloop_tui.core.readers import CodeStructure, build_digest

PYTHON = '''\
"""Billing helpers.

Second paragraph is not kept."""

from __future__ import annotations

import os.path
from .models import Invoice
from . import settings

__all__ = ["total", "Ledger"]
__all__ += ["fetch"]


def total(items: list[int], *, tax: float = 0.2) -> float:
    # sum then tax
    return sum(items) * (1 + tax)


async def fetch(url):
    def helper():
        return url
    return helper()


@dataclass(frozen=True)
class Ledger(Base, metaclass=Meta):
    """A ledger."""

    @property
    def size(self) -> int:
        return 0

    async def sync(self) -> None:
        class Local:
            pass

    if TYPE_CHECKING:
        def typed(self) -> None: ...
'''


def code_of(workspace: Path, name: str, text: str) -> CodeStructure:
    structure = written_digest(workspace, name, text).structure
    assert isinstance(structure, CodeStructure)
    return structure


def test_python_module_through_ast(workspace: Path) -> None:
    (workspace / "billing").mkdir()
    code = code_of(workspace, "billing/core.py", PYTHON)
    assert (code.language, code.method, code.module) == ("python", "ast", "billing.core")
    assert code.docstring == "Billing helpers."
    assert code.imports == ["__future__", "os.path", ".models", ".settings"]
    assert code.exports == ["total", "Ledger", "fetch"]
    assert [(f.name, f.line, f.is_async) for f in code.functions] == [("total", 15, False), ("fetch", 20, True)]
    assert code.functions[0].signature == "def total(items: list[int], *, tax: float=0.2) -> float"
    ledger, local = code.types
    assert (ledger.name, ledger.bases, ledger.decorators) == ("Ledger", ["Base", "metaclass=Meta"], ["dataclass(frozen=True)"])
    assert [(m.name, m.is_async, m.decorators) for m in ledger.methods] == [
        ("size", False, ["property"]),
        ("sync", True, []),
        ("typed", False, []),
    ]
    assert local.name == "Ledger.sync.Local"
    assert (code.function_count, code.class_count) == (6, 2)


def test_python_line_counts_treat_docstrings_as_comments(workspace: Path) -> None:
    lines = code_of(workspace, "m.py", PYTHON).lines
    # 3 module docstring lines + 1 comment + 1 class docstring; 12 blank lines.
    assert (lines.total, lines.comment, lines.blank) == (39, 5, 12)
    assert lines.code == lines.total - lines.comment - lines.blank


def test_python_that_does_not_parse_is_read_from_tokens_with_a_warning(workspace: Path) -> None:
    path = workspace / "broken.py"
    path.write_text("import os\n\ndef ok(a):\n    return a\n\nclass K:\n    def m(self):\n        pass\n\ndef bad(:\n", encoding="utf-8")
    digest = build_digest(path, "broken.py")
    code = digest.structure
    assert code.method == "tokens" and code.language == "python"
    assert any("does not parse (line 10)" in w for w in digest.warnings)
    assert code.imports == ["os"]
    assert [f.name for f in code.functions] == ["ok", "bad"]
    assert [(t.name, [m.name for m in t.methods]) for t in code.types] == [("K", ["m"])]


GO = """\
package server

import (
\t"context"
\tlog "github.com/sirupsen/logrus"
)
import "os"

// Server serves requests.
type Server struct {
\tName string
}

type (
\tHandler interface{ Serve() error }
\tID int
)

func (s *Server) Handle(ctx context.Context) error {
\treturn nil
}

func New() *Server { return &Server{} }

func (c *Client) Do() {}

func (s *Stack[T]) Push(v T) {}

type Stack[T any] struct{ items []T }
"""


def test_go_through_tokens(workspace: Path) -> None:
    code = code_of(workspace, "server.go", GO)
    assert (code.language, code.method, code.module) == ("go", "tokens", "server")
    assert code.imports == ["context", "github.com/sirupsen/logrus", "os"]
    assert [(t.name, t.kind) for t in code.types] == [
        ("Server", "struct"), ("Handler", "interface"), ("ID", "type"), ("Stack", "struct")
    ]
    assert [m.name for m in code.types[3].methods] == ["Push"]
    assert [m.name for m in code.types[0].methods] == ["Handle"]
    assert code.types[0].methods[0].signature == "func (s *Server) Handle(ctx context.Context) error"
    assert [f.name for f in code.functions] == ["New", "Client.Do"]
    assert code.functions[0].signature == "func New() *Server"  # the body on the same line is left out
    assert (code.function_count, code.class_count) == (4, 4)
    assert (code.lines.total, code.lines.comment, code.lines.blank) == (29, 1, 8)


TYPESCRIPT = """\
import { foo } from "./foo";
import * as path from 'node:path';
import "./side-effect";
const fs = require("fs");

export interface Shape { area(): number }
export type Alias = string | number;
enum Color { Red }

export class Box<T> extends Base implements Shape {
  constructor(private size: number) { super(); }
  area(): number { return this.size * helper(2); }
  async load() { if (x) { return 1; } }
}

export function add(a: number, b: number): number { return a + b; }
export async function main() {}
export const double = (n: number): number => n * 2;
const notAFunction = 3;
"""


def test_typescript_through_tokens(workspace: Path) -> None:
    code = code_of(workspace, "box.ts", TYPESCRIPT)
    assert code.language == "typescript"
    assert code.imports == ["./foo", "node:path", "./side-effect", "fs"]
    assert [(t.name, t.kind) for t in code.types] == [("Shape", "interface"), ("Alias", "type"), ("Color", "enum"), ("Box", "class")]
    box = code.types[3]
    assert [m.name for m in box.methods] == ["constructor", "area", "load"]
    assert [(f.name, f.is_async) for f in code.functions] == [("add", False), ("main", True), ("double", False)]


def test_javascript_through_tokens(workspace: Path) -> None:
    code = code_of(workspace, "app.js", "import x from 'x';\nfunction* gen() {}\nclass A { run() {} }\nconst f = async x => x;\n")
    assert code.language == "javascript"
    assert [(f.name, f.is_async) for f in code.functions] == [("gen", False), ("f", True)]
    assert [(t.name, [m.name for m in t.methods]) for t in code.types] == [("A", ["run"])]


SQL = """\
-- schema
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
create unique index idx_users_name on users(name);
CREATE VIEW main.active_users AS SELECT * FROM users;
CREATE OR REPLACE FUNCTION add_one(a int) RETURNS int AS 'select a + 1' LANGUAGE sql;
CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN SELECT 1; END;
"""


def test_sql_through_tokens(workspace: Path) -> None:
    code = code_of(workspace, "schema.sql", SQL)
    assert code.language == "sql"
    assert [(t.name, t.kind) for t in code.types] == [
        ("users", "table"),
        ("idx_users_name", "index"),
        ("main.active_users", "view"),
        ("users_audit", "trigger"),
    ]
    assert [f.name for f in code.functions] == ["add_one"]
    assert (code.lines.total, code.lines.comment) == (6, 1)


RUST = """\
use std::io;
use crate::x::{A, B};
mod util;

pub struct Point { x: i32 }
enum Kind { A }
trait Draw { fn draw(&self); }
impl<T> Draw for Wrapper<T> { fn draw(&self) {} }
impl Point {
    pub fn new() -> Self { fn inner() {} Point { x: 0 } }
}
pub async fn run(a: i32) -> i32 { a }
"""


def test_rust_through_tokens(workspace: Path) -> None:
    code = code_of(workspace, "lib.rs", RUST)
    assert code.language == "rust"
    assert code.imports == ["std::io", "crate::x::{A,B}", "mod util"]
    types = {t.name: t for t in code.types}
    assert [(t.name, t.kind) for t in code.types[:3]] == [("Point", "struct"), ("Kind", "enum"), ("Draw", "trait")]
    assert [m.name for m in types["Draw"].methods] == ["draw"]
    assert [m.name for m in types["Wrapper"].methods] == ["draw"]
    assert [m.name for m in types["Point"].methods] == ["new"]
    assert [(f.name, f.is_async) for f in code.functions] == [("run", True)]
    assert code.function_count == 5


JAVA = """\
package com.example.app;

import java.util.List;
import static org.junit.Assert.*;

/** An app. */
public class App extends Base implements Runnable {
    private int x;
    public static void main(String[] args) {}
    List<String> names(int a) throws IOException { return null; }
    enum Mode { A, B }
}
interface Greeter { void greet(); }
"""


def test_java_through_tokens(workspace: Path) -> None:
    code = code_of(workspace, "App.java", JAVA)
    assert (code.language, code.module) == ("java", "com.example.app")
    assert code.imports == ["java.util.List", "org.junit.Assert.*"]
    types = {t.name: t for t in code.types}
    assert [(t.name, t.kind) for t in code.types] == [("App", "class"), ("Mode", "enum"), ("Greeter", "interface")]
    assert [m.name for m in types["App"].methods] == ["main", "names"]
    assert [m.name for m in types["Greeter"].methods] == ["greet"]
    assert code.lines.comment == 1


def test_other_languages_use_pygments_names(workspace: Path) -> None:
    code = code_of(workspace, "util.c", '#include <stdio.h>\n\nstruct point { int x; };\n\nint add(int a, int b) {\n  return a + b;\n}\n')
    assert code.language == "c" and code.imports == ["stdio.h"]
    assert [f.name for f in code.functions] == ["add"]
    assert code.lines.code == 5


def test_language_comes_from_content_when_the_name_says_nothing(workspace: Path) -> None:
    code = code_of(workspace, "deploy", "#!/usr/bin/env python3\nimport sys\n\ndef main():\n    return 0\n")
    assert code.language == "python" and [f.name for f in code.functions] == ["main"]


@pytest.mark.parametrize("name", ["m.py", "m.go", "m.ts", "m.sql", "m.rs", "m.java"])
def test_an_empty_file_is_an_empty_digest(workspace: Path, name: str) -> None:
    code = code_of(workspace, name, "")
    assert (code.lines.total, code.functions, code.types) == (0, [], [])


def test_digest_text_lists_the_api(workspace: Path) -> None:
    path = workspace / "billing.py"
    path.write_text(PYTHON, encoding="utf-8")
    digest = build_digest(path, "billing.py")
    assert digest.headline == "python billing: Billing helpers."
    assert digest.symbols == ["total", "Ledger", "fetch"]
    assert "def total(items: list[int], *, tax: float=0.2) -> float  L15" in digest.text
    assert "@dataclass(frozen=True) class Ledger(Base, metaclass=Meta)  L27" in digest.text
    assert "  async def sync(self) -> None  L34" in digest.text
