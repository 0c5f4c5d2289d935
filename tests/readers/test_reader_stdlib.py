"""The Python standard library as a real corpus: every module digests, and its counts match `ast`."""

from __future__ import annotations

import ast
import multiprocessing
import os
import sysconfig
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from brainloop_tui.core.readers import CodeStructure, build_digest

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def stdlib_modules() -> list[Path]:
    return sorted(path for path in STDLIB.rglob("*.py") if "site-packages" not in path.relative_to(STDLIB).parts)


def check_module(path: Path) -> str | None:
    """None when the digest agrees with an independent walk of `ast`, else what differs."""
    rel_path = path.relative_to(STDLIB).as_posix()
    digest = build_digest(path, rel_path)
    code = digest.structure
    if not isinstance(code, CodeStructure) or code.language != "python":
        return f"{rel_path}: read as {digest.kind}"
    try:
        tree = ast.parse(path.read_bytes())  # bytes: ast honours the file's coding cookie by itself
    except (SyntaxError, ValueError):
        parsed_anyway = code.method == "ast"
        warned = any("does not parse" in warning for warning in digest.warnings)
        return None if parsed_anyway or warned else f"{rel_path}: does not parse, yet no warning"
    nodes = list(ast.walk(tree))
    functions = sum(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) for node in nodes)
    classes = sum(isinstance(node, ast.ClassDef) for node in nodes)
    top_level = [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    seen = (code.method, code.function_count, code.class_count, len(code.types))
    if seen != ("ast", functions, classes, classes):
        return f"{rel_path}: digest {seen}, ast ('ast', {functions}, {classes}, {classes})"
    listed = [function.name for function in code.functions]
    # Functions under `if`/`try` at module level are module-level too: the digest lists those as well.
    if not set(top_level) <= set(listed):
        return f"{rel_path}: top-level functions {listed[:5]}… differ from ast's {top_level[:5]}…"
    return None


def test_every_stdlib_module_digests_and_matches_ast() -> None:
    modules = stdlib_modules()
    assert len(modules) > 1000
    workers = min(os.cpu_count() or 1, 4)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        problems = [problem for problem in pool.map(check_module, modules, chunksize=16) if problem]
    assert problems == []
