"""One function of the project, shown whole in the prompt as the model's model of the house style.

Small models follow an example far better than a list of instructions: shown a function with its
docstring, annotations, logger and the project's own exception (and the imports and module-level names
it needs), they write the next one the same way. The function is taken from the files the prompt is
grounded in, most relevant first; the best one shows the most conventions within a few lines. Python
only: other languages get the instructions alone."""

from __future__ import annotations

import ast
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from brainloop_tui.core.loop.testfiles import is_test_file
from brainloop_tui.core.readers.render import token_estimate
from brainloop_tui.core.workspace import PathError, resolve_in_workspace

MAX_FILE_BYTES = 200_000  # bigger files are not parsed for an exemplar
MIN_LINES, MAX_LINES = 4, 30  # a one-liner shows no style; a long function costs the context its place
LOGGER_NAMES = frozenset({"log", "logger", "logging", "_log", "_logger"})


@dataclass(frozen=True)
class Exemplar:
    path: str  # the file it comes from, relative to the workspace
    name: str  # the function
    code: str  # the imports and module-level names it uses, then the function

    @property
    def label(self) -> str:
        return f"{self.path}: {self.name}"


def python_exemplar(workspace: Path, target: str, shown: Sequence[str], max_tokens: int) -> Exemplar | None:
    """The exemplar among the public functions of `shown` (tests for a test target, other modules
    otherwise) that shows the most conventions, the shortest of those, within `max_tokens`; None when
    none fits."""
    best: tuple[tuple[int, int], Exemplar] | None = None
    for relative in shown:
        if not relative.endswith(".py") or relative == target or is_test_file(relative) != is_test_file(target):
            continue
        tree, source = _parsed(workspace, relative)
        if tree is None:
            continue
        for function in tree.body:
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) or function.name.startswith("_"):
                continue
            lines = (function.end_lineno or function.lineno) - function.lineno + 1
            if not MIN_LINES <= lines <= MAX_LINES:
                continue
            code = _with_what_it_needs(tree, source, function)
            rank = (_conventions_shown(function), -token_estimate(code))
            if -rank[1] <= max_tokens and (best is None or rank > best[0]):
                best = (rank, Exemplar(relative, function.name, code))
    return best[1] if best else None


def _parsed(workspace: Path, relative: str) -> tuple[ast.Module | None, str]:
    try:
        file = resolve_in_workspace(workspace, relative)
        if os.path.getsize(file) > MAX_FILE_BYTES:
            return None, ""
        source = file.read_text(encoding="utf-8")
        return ast.parse(source, filename=relative), source
    except (PathError, OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
        return None, ""


def _conventions_shown(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """How much of a project's style the function shows: a docstring, annotations, raising, logging."""
    arguments = [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]
    typed = function.returns is not None and all(a.annotation is not None for a in arguments if a.arg != "self")
    raises = any(isinstance(node, ast.Raise) for node in ast.walk(function))
    logs = any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
               and isinstance(node.func.value, ast.Name) and node.func.value.id in LOGGER_NAMES
               for node in ast.walk(function))
    return 2 * (ast.get_docstring(function) is not None) + 2 * typed + raises + logs


def _names_read(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _with_what_it_needs(tree: ast.Module, source: str, function: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """The function, after the module's imports and top-level assignments it uses (and theirs)."""
    needed = _names_read(function)
    assignments = []
    for node in reversed(tree.body[:tree.body.index(function)]):  # a name's last assignment before it
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound = {t.id for t in targets if isinstance(t, ast.Name)}
            if bound & needed:
                assignments.insert(0, ast.get_source_segment(source, node) or "")
                needed = (needed - bound) | _names_read(node)
    imports = [text for node in tree.body if (text := _import_of(node, needed))]
    head = "\n".join(imports) + ("\n\n" if imports and assignments else "") + "\n".join(assignments)
    body = ast.get_source_segment(source, function, padded=True) or ""
    decorators = "".join(f"@{ast.get_source_segment(source, d)}\n" for d in function.decorator_list)
    return (f"{head}\n\n\n" if head else "") + decorators + body


def _import_of(node: ast.stmt, needed: set[str]) -> str:
    """The import statement `node` narrowed to the names in `needed` ("" when it binds none of them)."""
    if isinstance(node, ast.ImportFrom):
        if node.module == "__future__":
            return f"from __future__ import {', '.join(a.name for a in node.names)}"
        kept = [a for a in node.names if (a.asname or a.name) in needed]
        names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in kept)
        return f"from {'.' * node.level}{node.module or ''} import {names}" if kept else ""
    if isinstance(node, ast.Import):
        kept = [a for a in node.names if (a.asname or a.name.partition(".")[0]) in needed]
        return "\n".join(f"import {a.name}" + (f" as {a.asname}" if a.asname else "") for a in kept)
    return ""
