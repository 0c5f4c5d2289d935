"""Code reader: the language by pygments (file name, then content), Python through `ast`, the other
languages through tokens."""

from __future__ import annotations

from functools import lru_cache
from pathlib import PurePath

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename, guess_lexer
from pygments.util import ClassNotFound

from brainloop_tui.core.readers.models import ReaderOutput
from brainloop_tui.core.readers.python_code import read_python
from brainloop_tui.core.readers.render import TextBudget, one_line, plural
from brainloop_tui.core.readers.structures import CodeFunction, CodeStructure
from brainloop_tui.core.readers.token_code import read_tokens

# pygments' first alias -> the name Brainloop uses (the SQL dialects are one language for a digest).
_CANONICAL = {
    "py": "python",
    "python3": "python",
    "golang": "go",
    "js": "javascript",
    "jsx": "javascript",
    "ts": "typescript",
    "tsx": "typescript",
    "tsql": "sql",
    "mysql": "sql",
    "postgresql": "sql",
    "plpgsql": "sql",
    "sqlite3": "sql",
    "rs": "rust",
}
_LEXER_OPTIONS = {"stripnl": False, "ensurenl": False}  # keep line numbers exact
GUESS_SAMPLE_CHARS = 4096


def _lexer_key(name: str) -> str:
    """Lexers are chosen by suffix, or by the whole name for files without one (Makefile, Dockerfile)."""
    suffix = PurePath(name).suffix.lower()
    return "*" + suffix if suffix else name


@lru_cache(maxsize=2048)
def _lexer_for_key(key: str) -> Lexer | None:
    # pygments scans every lexer's patterns on each call (milliseconds): explore asks thousands of times.
    try:
        lexer = get_lexer_for_filename(key.replace("*", "x", 1) if key.startswith("*") else key, **_LEXER_OPTIONS)
    except ClassNotFound:
        return None
    return None if "text" in lexer.aliases else lexer


def lexer_for_name(name: str) -> Lexer | None:
    """The lexer for a file name, None when pygments knows no programming language by that name."""
    return _lexer_for_key(_lexer_key(name))


def language_of(lexer: Lexer) -> str:
    alias = lexer.aliases[0] if lexer.aliases else lexer.name.lower()
    return _CANONICAL.get(alias, alias)


def detect_lexer(name: str, text: str) -> Lexer:
    """By file name, then by content; plain text when neither says anything."""
    lexer = lexer_for_name(name)
    if lexer is None:
        try:
            lexer = guess_lexer(text[:GUESS_SAMPLE_CHARS], **_LEXER_OPTIONS)
        except ClassNotFound:
            lexer = get_lexer_by_name("text", **_LEXER_OPTIONS)
    return lexer


def read_code(text: str, rel_path: str) -> ReaderOutput:
    lexer = detect_lexer(PurePath(rel_path).name, text)
    language = language_of(lexer)
    warnings = []
    if language == "python":
        try:
            structure = read_python(text, rel_path)
        except (SyntaxError, ValueError, RecursionError) as exc:
            where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) and exc.lineno else ""
            warnings.append(f"Python does not parse{where}: {exc.__class__.__name__}; names found from tokens instead")
            structure = _from_tokens(lexer, language, text)
    else:
        structure = _from_tokens(lexer, language, text)
    return ReaderOutput(
        structure=structure,
        headline=_headline(structure, rel_path),
        symbols=_symbols(structure),
        text=render(structure),
        warnings=warnings,
    )


def _from_tokens(lexer: Lexer, language: str, text: str) -> CodeStructure:
    found, counts = read_tokens(lexer, language, text)
    return CodeStructure(
        language=language,
        method="tokens",
        module=found.module,
        docstring=None,
        imports=found.imports,
        exports=None,
        functions=found.functions,
        types=found.types,
        function_count=found.function_count,
        class_count=found.class_count,
        lines=counts,
    )


def _symbols(structure: CodeStructure) -> list[str]:
    if structure.exports:
        return structure.exports[:30]
    public = [t.name for t in structure.types if not t.name.startswith("_")]
    public += [f.name for f in structure.functions if not f.name.startswith("_")]
    return public[:30]


def _headline(structure: CodeStructure, rel_path: str) -> str:
    what = structure.docstring or (
        f"{plural(structure.class_count, 'type')}, {plural(structure.function_count, 'function')}"
    )
    return one_line(f"{structure.language} {structure.module or PurePath(rel_path).name}: {what}", 100)


def render(structure: CodeStructure) -> str:
    lines = structure.lines
    budget = TextBudget()
    budget.add(
        f"{structure.language} {structure.module or ''} ({structure.method}): {plural(lines.total, 'line')} "
        f"({lines.code:,} code, {lines.comment:,} comment, {lines.blank:,} blank); "
        f"{plural(structure.class_count, 'type')}, {plural(structure.function_count, 'function')}".replace("  ", " ")
    )
    if structure.docstring:
        budget.add(f'"""{structure.docstring}"""')
    if structure.imports:
        budget.add("imports: " + one_line(", ".join(structure.imports), 600))
    if structure.exports is not None:
        budget.add("exports: " + one_line(", ".join(structure.exports), 600))
    for function in structure.functions:
        budget.add(_function_line(function, ""))
    for declared in structure.types:
        bases = f"({', '.join(declared.bases)})" if declared.bases else ""
        decorators = "".join(f"@{d} " for d in declared.decorators)
        budget.add(f"{decorators}{declared.kind} {declared.name}{bases}  L{declared.line}")
        for method in declared.methods:
            budget.add(_function_line(method, "  "))
    return budget.render()


def _function_line(function: CodeFunction, indent: str) -> str:
    decorators = "".join(f"@{d} " for d in function.decorators)
    return f"{indent}{decorators}{function.signature}  L{function.line}"
