"""The patterns as instructions a model can follow ("Name functions in snake_case", "Log with zap"), within
a token budget. Only conventions the project keeps to clearly enough are said: a weak one would only
pull the model off what the prompt asks."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from brainloop_tui.core.patterns.model import NOT_USED, USED_MOSTLY, Language, Pattern
from brainloop_tui.core.patterns.store import PatternError, check_language
from brainloop_tui.core.readers.render import MIN_SECTION_TOKENS, token_budget

PATTERNS_MAX_TOKENS = 400
# supporting / (total + 2): three files out of three agree, or about two thirds of a large project.
MIN_CONFIDENCE = 0.5

LOGGING = {
    ("python", "logging"): "Log with the standard logging module (`log = logging.getLogger(__name__)`); never print().",
    ("python", "structlog"): "Log with structlog (`structlog.get_logger()`); never print().",
    ("python", "loguru"): "Log with loguru (`from loguru import logger`); never print().",
    ("python", "print"): "Report with print(): the project uses no logging library.",
    ("go", "zap"): "Log with zap (go.uber.org/zap), not the standard log package.",
    ("go", "logrus"): "Log with logrus (github.com/sirupsen/logrus), not the standard log package.",
    ("go", "zerolog"): "Log with zerolog (github.com/rs/zerolog), not the standard log package.",
    ("go", "slog"): "Log with log/slog (structured key-value pairs).",
    ("go", "log"): "Log with the standard log package.",
}
DOCSTRING_STYLES = {
    "google": "Write Google-style docstrings: a summary line, then Args:, Returns: and Raises: sections.",
    "numpy": "Write NumPy-style docstrings: Parameters and Returns sections underlined with dashes.",
    "rest": "Write reST docstrings (:param name:, :returns:, :raises:).",
}
TEST_FRAMEWORKS = {
    "pytest": "Write tests as plain pytest functions with assert.",
    "unittest": "Write tests as unittest.TestCase classes.",
    "testify": "Write tests with testify (assert / require).",
    "ginkgo": "Write tests with ginkgo and gomega.",
    "testing": "Write tests with the standard testing package (table-driven where it fits).",
}
INDEX_NAMES = {"idx_ prefix": "idx_<table>_<column>", "ix_ prefix": "ix_<table>_<column>",
               "_idx suffix": "<table>_<column>_idx"}


def _python(name: str, value: str) -> str | None:
    match name, value:
        case "naming", _:
            return f"Name functions, arguments and variables in {value}."
        case "class_naming", _:
            return f"Name classes in {value}."
        case "typing", "fully annotated":
            return "Annotate every parameter and every return type."
        case "typing", "unannotated":
            return "Do not add type annotations: the project has none."
        case "docstrings", "documented":
            return "Give every public function and class a docstring."
        case "docstring_style", _:
            return DOCSTRING_STYLES.get(value)
        case "error_handling", _ if value.startswith("own exceptions: "):
            return f"Raise the project's own exceptions ({value.removeprefix('own exceptions: ')}), not built-in ones."
        case "async", _ if value == USED_MOSTLY:
            return "Write I/O as async functions."
        case "async", _ if value == NOT_USED:
            return "Write synchronous code: the project does not use async."
        case "line_length", _ if value.isdigit():
            return f"Keep lines within {value} characters."
        case "imports", _:
            return f"The project already imports: {value}; prefer these to new dependencies."
    return None


def _go(name: str, value: str) -> str | None:
    match name, value:
        case "naming", "camelCase":
            return "Use Go's MixedCaps names (camelCase unexported, PascalCase exported), never snake_case."
        case "naming", _:
            return f"Name things in {value}, as the project does."
        case "error_handling", "returned errors":
            return ('Return errors to the caller, wrapped with context (`fmt.Errorf("load item: %w", err)`); '
                    "do not panic or log.Fatal.")
        case "context", _ if value == USED_MOSTLY:
            return "Take a context.Context as the first parameter of functions that do I/O or may block."
        case "imports", _:
            return f"The project already imports: {value}; prefer these to new dependencies."
    return None


def _sql(name: str, value: str) -> str | None:
    match name, value:
        case "table_case", _:
            return f"Name tables and columns in {value}."
        case "table_number", _:
            return f"Name tables in the {value} (e.g. {'users' if value == 'plural' else 'user'})."
        case "create_table_style", "IF NOT EXISTS":
            return "Write CREATE TABLE IF NOT EXISTS and CREATE INDEX IF NOT EXISTS."
        case "constraints", _:
            return f"Declare constraints as the project does: {value}."
        case "index_naming", _ if value in INDEX_NAMES:
            return f"Name indexes {INDEX_NAMES[value]}."
        case "pragma_foreign_keys", "ON":
            return "Foreign keys are enforced: keep every reference valid."
    return None


RULES: dict[str, Callable[[str, str], str | None]] = {"python": _python, "go": _go, "sql": _sql}


def instruction(pattern: Pattern) -> str | None:
    """The pattern as one instruction, or None when it asks nothing of new code (an observation such as
    "channels used in some files")."""
    if pattern.name == "logging":
        return LOGGING.get((pattern.language, pattern.value))
    if pattern.name == "test_framework":
        return TEST_FRAMEWORKS.get(pattern.value)
    rule = RULES.get(pattern.language)
    return rule(pattern.name, pattern.value) if rule else None


def render_patterns(
    patterns: Iterable[Pattern], language: Language | None = None, max_tokens: int = PATTERNS_MAX_TOKENS,
    *, min_confidence: float = MIN_CONFIDENCE,
) -> str:
    """One instruction per line, most confident first, within `max_tokens`; empty when nothing clears
    `min_confidence`."""
    check_language(language)
    if max_tokens < MIN_SECTION_TOKENS:
        raise PatternError(f"max_tokens {max_tokens} is too small for a patterns section (at least {MIN_SECTION_TOKENS})")
    chosen = chosen_patterns(patterns, language, min_confidence)
    if not chosen:
        return ""
    budget = token_budget(max_tokens)
    for pattern in chosen:
        budget.add(f"- {instruction(pattern)}")
    return budget.render()


def chosen_patterns(patterns: Iterable[Pattern], language: Language | None,
                    min_confidence: float = MIN_CONFIDENCE) -> list[Pattern]:
    """The patterns worth saying for `language`, most confident first."""
    chosen = [p for p in patterns if (language is None or p.language == language) and p.confidence >= min_confidence
              and instruction(p) is not None]
    return sorted(chosen, key=lambda p: (-p.confidence, p.language, p.name))
