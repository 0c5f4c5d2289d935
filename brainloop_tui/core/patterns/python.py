"""Python conventions, read with `ast` (and the formatter settings from pyproject.toml / ruff.toml)."""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from brainloop_tui.core.patterns.model import (
    MAX_EVIDENCE_FILES,
    Evidence,
    Pattern,
    SourceText,
    Tally,
    Usage,
    confidence,
    naming_style,
)

TOP_IMPORTS = 10
CONFIG_FILES = frozenset({"pyproject.toml", "ruff.toml", ".ruff.toml"})
# ruff and black format to 88 columns unless told otherwise.
FORMATTER_DEFAULT_LINE_LENGTH = 88
STANDARD_LINE_LENGTHS = (79, 88, 100, 120)
# A line-length limit is inferred from code when this share of files keeps to it.
INFERRED_LINE_LENGTH_SHARE = 0.9
LOGGERS = ("logging", "structlog", "loguru")
ASYNC_LIBRARIES = ("asyncio", "anyio", "trio")
TEST_CASE_BASES = frozenset({"TestCase", "IsolatedAsyncioTestCase", "AsyncTestCase"})
UNNAMED = frozenset({"self", "cls", "_"})
_TEST_FILE = re.compile(r"(^|/)(test_[^/]*|[^/]*_test|conftest)\.py$")


def is_config_file(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in CONFIG_FILES


@dataclass
class PythonFile:
    """What one Python module shows."""

    names: list[str] = field(default_factory=list)  # functions, arguments, assigned variables
    classes: list[str] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)  # top-level modules of absolute imports
    annotations: list[str] = field(default_factory=list)  # per function: fully / partly annotated, unannotated
    async_uses: int = 0
    prints: int = 0
    unittest_cases: int = 0
    test_functions: int = 0
    longest_line: int = 0


def _annotation_level(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    arguments = function.args
    params = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
    params = [param for param in params if param is not None and param.arg not in UNNAMED]
    annotated = sum(param.annotation is not None for param in params)
    # __init__ may leave out `-> None` when its parameters are annotated (PEP 484).
    returns = function.returns is not None or (function.name == "__init__" and annotated > 0)
    if returns and annotated == len(params):
        return "fully annotated"
    if returns or annotated:
        return "partly annotated"
    return "unannotated"


def _base_name(base: ast.expr) -> str:
    if isinstance(base, ast.Attribute):
        return base.attr
    return base.id if isinstance(base, ast.Name) else ""


def read_python_file(text: str) -> PythonFile | None:
    """None when the text is not valid Python."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None
    facts = PythonFile(longest_line=max((len(line) for line in text.splitlines()), default=0))
    facts.test_functions = sum(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test") for node in tree.body
    )
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            facts.names.append(node.name)
            facts.annotations.append(_annotation_level(node))
            facts.async_uses += isinstance(node, ast.AsyncFunctionDef)
        elif isinstance(node, ast.arg):
            facts.names.append(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            facts.names.append(node.id)
        elif isinstance(node, ast.ClassDef):
            facts.classes.append(node.name)
            facts.unittest_cases += any(_base_name(base) in TEST_CASE_BASES for base in node.bases)
        elif isinstance(node, ast.Import):
            facts.imports.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            facts.imports.add(node.module.split(".")[0])
        elif isinstance(node, ast.Await | ast.AsyncFor | ast.AsyncWith):
            facts.async_uses += 1
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            facts.prints += 1
    facts.imports.discard("__future__")
    facts.names = [name for name in facts.names if name not in UNNAMED]
    return facts


def class_style(name: str) -> str:
    core = name.strip("_")
    if core[:1].isupper() and "_" not in core:
        return "PascalCase"
    return naming_style(name) or "lowercase"


def _test_framework(path: str, facts: PythonFile) -> str | None:
    if not _TEST_FILE.search(path):
        return None
    if facts.unittest_cases:
        return "unittest"
    if "pytest" in facts.imports or facts.test_functions or path.endswith("conftest.py"):
        return "pytest"
    return None


@dataclass
class FormatterConfig:
    """Tools configured in one config file, and the line length it asks for (None: not said)."""

    tools: list[str]
    line_length: int | None


def read_formatter_config(path: str, text: str) -> FormatterConfig | None:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    sections: dict[str, Any] = (
        document.get("tool", {}) if path.endswith("pyproject.toml") else {"ruff": document}
    )
    tools = [tool for tool in ("ruff", "black", "isort") if isinstance(sections.get(tool), dict)]
    if not tools:
        return None
    lengths = [sections[tool].get(key) for tool, key in (("ruff", "line-length"), ("black", "line-length"),
                                                          ("isort", "line_length")) if tool in tools]
    declared = next((length for length in lengths if isinstance(length, int)), None)
    if declared is None and ("ruff" in tools or "black" in tools):
        declared = FORMATTER_DEFAULT_LINE_LENGTH
    return FormatterConfig(tools, declared)


class _LineLengths:
    def __init__(self) -> None:
        self.longest: list[tuple[str, int]] = []

    def fitting(self, limit: int) -> list[str]:
        return [path for path, longest in self.longest if longest <= limit]

    def inferred(self) -> int | None:
        for limit in STANDARD_LINE_LENGTHS:
            if len(self.fitting(limit)) >= INFERRED_LINE_LENGTH_SHARE * len(self.longest):
                return limit
        return None


def _formatter_patterns(configs: list[tuple[str, FormatterConfig]], lines: _LineLengths) -> list[Pattern]:
    """The configured tools and the line length, trusted as far as the code keeps to it."""
    files = len(lines.longest)
    declared = Tally()
    tools = Tally()
    for path, config in configs:
        for tool in config.tools:
            tools.add(tool, path)
        if config.line_length is not None:
            declared.add(str(config.line_length), path)
    limit = int(declared.ranked()[0][0]) if declared.counts else lines.inferred()
    if limit is None:
        fits: list[str] = lines.fitting(STANDARD_LINE_LENGTHS[-1])
        value = f"over {STANDARD_LINE_LENGTHS[-1]}"
    else:
        fits, value = lines.fitting(limit), str(limit)
    counts = {"files": files, "files within": len(fits), **{f"declared {k}": v for k, v in declared.counts.items()}}
    trust = confidence(len(fits), files)
    found = [Pattern(language="python", name="line_length", value=value, confidence=trust,
                     evidence=Evidence(counts=counts, files=fits[:MAX_EVIDENCE_FILES]))]
    if tools.counts:
        config_files = [path for path, _ in configs][:MAX_EVIDENCE_FILES]
        found.append(Pattern(language="python", name="formatter", value=" + ".join(tool for tool, _ in tools.ranked()),
                             confidence=trust, evidence=Evidence(counts=dict(tools.counts), files=config_files)))
    return found


def extract_python(files: Iterable[SourceText]) -> list[Pattern]:
    naming, classes, imports, typing, logging, tests = Tally(), Tally(), Tally(), Tally(), Tally(), Tally()
    async_use = Usage()
    async_libraries: dict[str, int] = {}
    configs: list[tuple[str, FormatterConfig]] = []
    lines = _LineLengths()
    for path, text in files:
        if is_config_file(path):
            if config := read_formatter_config(path, text):
                configs.append((path, config))
            continue
        facts = read_python_file(text)
        if facts is None:
            continue  # not Python 3 (or not Python): it says nothing about the conventions
        lines.longest.append((path, facts.longest_line))
        for name in facts.names:
            if style := naming_style(name):
                naming.add(style, path)
        for name in facts.classes:
            classes.add(class_style(name), path)
        for module in facts.imports:
            imports.add(module, path)
        for level in facts.annotations:
            typing.add(level, path)
        loggers = [logger for logger in LOGGERS if logger in facts.imports]
        for logger in loggers:
            logging.add(logger, path)
        framework = _test_framework(path, facts)
        if framework:
            tests.add(framework, path)
        elif not loggers and facts.prints:
            logging.add("print", path)
        async_use.observe(path, facts.async_uses)
        for library in facts.imports.intersection(ASYNC_LIBRARIES):
            async_libraries[library] = async_libraries.get(library, 0) + 1
    if not lines.longest:
        return []
    found = [
        naming.majority("python", "naming"),
        classes.majority("python", "class_naming"),
        imports.top("python", "imports", limit=TOP_IMPORTS, seen=len(lines.longest)),
        typing.majority("python", "typing"),
        logging.majority("python", "logging"),
        tests.majority("python", "test_framework"),
        async_use.pattern("python", "async", async_libraries),
        *_formatter_patterns(configs, lines),
    ]
    return [pattern for pattern in found if pattern is not None]
