"""Repairs made to an answer before it is checked, said in info diagnostics: for Go its imports and layout
(repair_go), for Python the imports it forgot. A small model that was
shown `ParseError` in the context writes `raise ParseError(...)` and no import; asked to fix the
"undefined name", it often returns the same code. The import is added here instead, and said so.

A name is imported only when exactly one place is known to provide it: a module the prompt showed (or
ranked just below the budget) that defines it, else a standard-library module of that name, else one
of a few standard-library modules that export it (typing, dataclasses, pathlib, ...). Anything else
is left to pyflakes, which reports it as an undefined name."""

from __future__ import annotations

import ast
import importlib
import os
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from pyflakes import checker as pyflakes_checker
from pyflakes import messages as pyflakes_messages

from brainloop_tui.core.loop.related import module_name
from brainloop_tui.core.loop.repair_go import repair_go
from brainloop_tui.core.loop.validators import Diagnostic
from brainloop_tui.core.workspace import PathError, resolve_in_workspace

MAX_MODULE_BYTES = 1_000_000  # a bigger workspace module is not parsed for what it defines
# Standard-library modules whose public names are commonly used without the module's prefix, in the
# order they win when two export one name (collections' `Counter` over typing's deprecated alias).
NAME_SOURCES = ("collections", "typing", "dataclasses", "pathlib", "functools", "itertools", "enum",
                "datetime", "decimal", "fractions", "abc", "contextlib")


def repair(code: str, *, language: str | None, path: str, workspace: Path,
           shown: Sequence[str]) -> tuple[str, list[Diagnostic]]:
    """`code` repaired for a file of `language`, with what was done; `shown` as for add_missing_imports."""
    if language == "python":
        return add_missing_imports(code, path, workspace, shown)
    if language == "go":
        return repair_go(code)
    return code, []


def add_missing_imports(code: str, path: str, workspace: Path, shown: Sequence[str]) -> tuple[str, list[Diagnostic]]:
    """`code` with an import added for each undefined name that one known place provides, and an info
    diagnostic per import; `shown` are the workspace files the prompt was grounded in, most relevant
    first. Code that does not parse, or lacks nothing, comes back unchanged."""
    try:
        tree = ast.parse(code, filename=path)
    except (SyntaxError, ValueError):
        return code, []
    missing = _undefined_names(tree, path)
    if not missing:
        return code, []
    defined_in = _workspace_definitions(workspace, path, shown)
    imports: dict[str, list[str]] = {}  # module -> names; "" names a plain `import module`
    for name in missing:
        source = _source_of(name, defined_in, _attributes_used(tree, name))
        if source is not None:
            imports.setdefault(source[0], []).append(source[1])
    if not imports:
        return code, []
    statements = [f"import {module}" if names == [""] else f"from {module} import {', '.join(sorted(names))}"
                  for module, names in sorted(imports.items())]
    lines = code.splitlines(keepends=True)
    at = _insertion_line(tree)
    gap = "\n" if at and at == _docstring_end(tree) else ""  # a blank line after the module's docstring
    added = gap + "".join(f"{statement}\n" for statement in statements)
    repaired = "".join(lines[:at]) + added + "".join(lines[at:])
    first = at + 1 + len(gap)
    return repaired, [
        Diagnostic(severity="info", source="imports", line=first + offset,
                   message=f"added `{statement}`: the code used {_used(statement)} without importing it")
        for offset, statement in enumerate(statements)
    ]


def _used(statement: str) -> str:
    names = statement.split(" import ", 1)[1] if statement.startswith("from ") else statement.removeprefix("import ")
    return ", ".join(f"`{n}`" for n in names.split(", "))


def _undefined_names(tree: ast.Module, path: str) -> list[str]:
    flakes = pyflakes_checker.Checker(tree, filename=path, withDoctest=False)
    found = [m.message_args[0] for m in flakes.messages if isinstance(m, pyflakes_messages.UndefinedName)]
    return list(dict.fromkeys(found))


def _attributes_used(tree: ast.Module, name: str) -> set[str]:
    """The attributes read off `name` (`datetime.now` → now): tell a module from a class of that name."""
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == name}


def _source_of(name: str, defined_in: dict[str, list[str]], attributes: set[str]) -> tuple[str, str] | None:
    """(module, name) to import `name` from, or (module, "") for `import module`; None when unknown or
    when the workspace defines it in more than one of the files shown."""
    workspace = defined_in.get(name, [])
    if len(workspace) == 1:
        return workspace[0], name
    if workspace:
        return None  # ambiguous: the model must say which one
    exporters = [module for module in NAME_SOURCES if name in _public_names(module)]
    if name in sys.stdlib_module_names and not name.startswith("_"):
        if not exporters or attributes <= _public_names(name):  # `datetime.now()` is the class, not the module
            return name, ""
    return (exporters[0], name) if exporters else None


@cache
def _public_names(module: str) -> frozenset[str]:
    """The names a standard-library module exports (its `__all__`, else its public attributes)."""
    try:
        imported = importlib.import_module(module)
    except ImportError:
        return frozenset()
    names = getattr(imported, "__all__", None) or [n for n in dir(imported) if not n.startswith("_")]
    return frozenset(names)


def _workspace_definitions(workspace: Path, target: str, shown: Iterable[str]) -> dict[str, list[str]]:
    """name -> the dotted modules among `shown` that define it at their top level (imports do not count:
    a package re-exporting a name is not where it lives)."""
    found: dict[str, list[str]] = {}
    for relative in shown:
        if not relative.endswith(".py") or relative == target:
            continue
        try:
            file = resolve_in_workspace(workspace, relative)
            if os.path.getsize(file) > MAX_MODULE_BYTES:
                continue
            tree = ast.parse(file.read_bytes(), filename=relative)
        except (PathError, OSError, SyntaxError, ValueError, RecursionError):
            continue
        module = module_name(relative)
        for name in _top_level_definitions(tree):
            if module not in found.setdefault(name, []):
                found[name].append(module)
    return found


def _top_level_definitions(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if not name.startswith("_")}


def _docstring_end(tree: ast.Module) -> int:
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first.end_lineno or 0
    return 0


def _insertion_line(tree: ast.Module) -> int:
    """The line after which imports go: the last of the module's leading imports, else after its
    docstring (and `from __future__` imports, which must come first)."""
    docstring_end = at = _docstring_end(tree)
    for node in tree.body[1 if docstring_end else 0:]:
        if not isinstance(node, ast.Import | ast.ImportFrom):
            break
        at = node.end_lineno or at
    return at
