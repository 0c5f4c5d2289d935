"""Python conventions, read with `ast` (and the formatter settings from pyproject.toml / ruff.toml)."""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from brainloop_tui.core.loop.related import module_name
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
    documented: int = 0  # public functions and classes with a docstring
    undocumented: int = 0
    docstring_styles: list[str] = field(default_factory=list)  # per documented function: google, numpy, rest
    raised: list[str] = field(default_factory=list)  # names of the exceptions raised (`raise X(...)`)
    exception_classes: list[str] = field(default_factory=list)  # classes defined here that are exceptions


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


def docstring_style(docstring: str) -> str | None:
    """google ("Args:"), numpy ("Parameters" over dashes) or rest (":param x:"); None when it has no sections."""
    if re.search(r"^\s*(Args|Arguments|Returns|Raises|Yields):\s*$", docstring, re.MULTILINE):
        return "google"
    if re.search(r"^\s*(Parameters|Returns|Raises)\s*\n\s*-{3,}", docstring, re.MULTILINE):
        return "numpy"
    if re.search(r"^\s*:(param|returns?|raises?|type)\b", docstring, re.MULTILINE):
        return "rest"
    return None


def _raised_name(node: ast.Raise) -> str | None:
    raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    if raised is None:
        return None  # a bare `raise` re-raises: it says nothing about which exceptions the code uses
    return _base_name(raised) or None


def _is_exception_class(node: ast.ClassDef) -> bool:
    return any(_base_name(base).endswith(("Error", "Exception")) for base in node.bases)


def _observe_docstring(facts: PythonFile, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
    if node.name.startswith("_"):
        return  # private and dunder names: projects rarely document them, so they say nothing
    docstring = ast.get_docstring(node)
    if not docstring:
        facts.undocumented += 1
        return
    facts.documented += 1
    if not isinstance(node, ast.ClassDef) and (style := docstring_style(docstring)):
        facts.docstring_styles.append(style)


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
            _observe_docstring(facts, node)
        elif isinstance(node, ast.arg):
            facts.names.append(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            facts.names.append(node.id)
        elif isinstance(node, ast.ClassDef):
            facts.classes.append(node.name)
            facts.unittest_cases += any(_base_name(base) in TEST_CASE_BASES for base in node.bases)
            _observe_docstring(facts, node)
            if _is_exception_class(node):
                facts.exception_classes.append(node.name)
        elif isinstance(node, ast.Raise) and (name := _raised_name(node)):
            facts.raised.append(name)
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


def python_facts(path: str, text: str) -> dict[str, Any] | None:
    """What one file says, as JSON-able facts (kept per file so that a refresh re-reads only what
    changed); None when it says nothing (not Python, or a config file that configures no formatter)."""
    if is_config_file(path):
        config = read_formatter_config(path, text)
        return {"config": asdict(config)} if config else None
    facts = read_python_file(text)
    if facts is None:
        return None
    module = asdict(facts)
    module["imports"] = sorted(facts.imports)
    return {"module": module}


def _error_patterns(raised: Tally, own: dict[str, str]) -> Pattern | None:
    """Whether the code raises the project's own exception classes or the built-in ones."""
    if not raised.counts:
        return None
    kinds = Tally()
    for name, count in raised.counts.items():
        for path in raised.files(name)[:1]:
            kinds.add("own exceptions" if name in own else "built-in exceptions", path, count)
    pattern = kinds.majority("python", "error_handling")
    if pattern is None or pattern.value != "own exceptions":
        return pattern
    leaders = [name for name, _ in raised.ranked() if name in own][:4]
    where = sorted({own[name] for name in leaders})
    pattern.value = f"own exceptions: {', '.join(leaders)} (from {', '.join(where)})"
    return pattern


def aggregate_python(items: Iterable[tuple[str, dict[str, Any]]]) -> list[Pattern]:
    """The Python conventions shown by the facts of many files (see `python_facts`)."""
    naming, classes, imports, typing, logging, tests = Tally(), Tally(), Tally(), Tally(), Tally(), Tally()
    documented, styles, raised = Tally(), Tally(), Tally()
    own_exceptions: dict[str, str] = {}  # exception class -> module defining it
    async_use = Usage()
    async_libraries: dict[str, int] = {}
    configs: list[tuple[str, FormatterConfig]] = []
    lines = _LineLengths()
    for path, item in items:
        if "config" in item:
            configs.append((path, FormatterConfig(**item["config"])))
            continue
        facts = PythonFile(**{**item["module"], "imports": set(item["module"]["imports"])})
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
        if not framework:  # tests are documented (or not) by their own rules
            documented.add("documented", path, facts.documented)
            documented.add("undocumented", path, facts.undocumented)
            for style in facts.docstring_styles:
                styles.add(style, path)
            for name in facts.raised:
                raised.add(name, path)
        for name in facts.exception_classes:
            own_exceptions.setdefault(name, module_name(path))
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
        documented.majority("python", "docstrings"),
        styles.majority("python", "docstring_style"),
        logging.majority("python", "logging"),
        _error_patterns(raised, own_exceptions),
        tests.majority("python", "test_framework"),
        async_use.pattern("python", "async", async_libraries),
        *_formatter_patterns(configs, lines),
    ]
    return [pattern for pattern in found if pattern is not None]


def extract_python(files: Iterable[SourceText]) -> list[Pattern]:
    return aggregate_python((path, facts) for path, text in files if (facts := python_facts(path, text)) is not None)
