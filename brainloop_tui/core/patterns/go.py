"""Go conventions, read from pygments tokens (comments and strings never count as code)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from pygments.lexers.go import GoLexer
from pygments.token import Keyword, Name, Operator, Punctuation

from brainloop_tui.core.patterns.model import Pattern, SourceText, Tally, Usage, naming_style
from brainloop_tui.core.patterns.tokens import NEWLINE, Tok, code_tokens

TOP_IMPORTS = 10
FATAL_CALLS = frozenset({"Fatal", "Fatalf", "Fatalln"})
TEST_FUNCTION_PREFIXES = ("Test", "Benchmark", "Example", "Fuzz")
# Import path prefixes that identify a library; the standard "log" and "log/slog" match exactly.
LOGGERS = {"log": "log", "log/slog": "slog"}
LOGGER_MODULES = {"github.com/sirupsen/logrus": "logrus", "go.uber.org/zap": "zap", "github.com/rs/zerolog": "zerolog"}
TEST_MODULES = {"github.com/onsi/ginkgo": "ginkgo", "github.com/stretchr/testify": "testify"}


def _library(path: str, modules: dict[str, str]) -> str | None:
    for module, library in modules.items():
        if path == module or path.startswith(module + "/"):
            return library
    return None


@dataclass
class GoFile:
    """What one Go file shows."""

    imports: list[str] = field(default_factory=list)
    declared: list[str] = field(default_factory=list)
    goroutines: int = 0
    channels: int = 0
    context_uses: int = 0
    returned_errors: int = 0
    error_checks: int = 0
    panics: int = 0
    fatals: int = 0


def _is(tokens: list[Tok], index: int, text: str) -> bool:
    return index < len(tokens) and tokens[index].text == text


def _is_name(tokens: list[Tok], index: int) -> bool:
    return index < len(tokens) and tokens[index].kind in Name and tokens[index].kind not in Name.Builtin


def _closing(tokens: list[Tok], index: int) -> int:
    """Index just after the bracket that closes the one at `index`."""
    depth = 0
    for position in range(index, len(tokens)):
        if tokens[position].kind in Punctuation:
            depth += {"(": 1, ")": -1}.get(tokens[position].text, 0)
            if depth == 0:
                return position + 1
    return len(tokens)


def _imports(tokens: list[Tok], index: int) -> tuple[int, list[str]]:
    """Import paths after an `import` keyword; returns where the declaration ends."""
    end = _closing(tokens, index) if _is(tokens, index, "(") else min(index + 2, len(tokens))
    paths = [tok.text.strip('"`') for tok in tokens[index:end] if tok.is_string()]
    return end, paths


def _function_name(tokens: list[Tok], index: int) -> str | None:
    """The name declared by the `func` whose next token is at `index` (None: a function literal)."""
    if _is_name(tokens, index):
        return tokens[index].text
    if _is(tokens, index, "("):  # a receiver, or the parameters of a literal
        after = _closing(tokens, index)
        if _is_name(tokens, after) and (_is(tokens, after + 1, "(") or _is(tokens, after + 1, "[")):
            return tokens[after].text
    return None


def _short_declared(tokens: list[Tok], index: int) -> list[str]:
    """Names on the left of the `:=` at `index`."""
    names, position = [], index - 1
    while position >= 0 and _is_name(tokens, position):
        names.append(tokens[position].text)
        if not _is(tokens, position - 1, ","):
            break
        position -= 2
    return [name for name in reversed(names) if name != "_"]


def _returns_error(tokens: list[Tok], index: int) -> bool:
    """Whether the `return` at `index` hands an error back (err, fmt.Errorf, errors.New/Wrap...)."""
    for position in range(index + 1, len(tokens)):
        tok = tokens[position]
        if tok is NEWLINE or tok.text == "}":
            return False
        if tok.text in ("err", "Errorf") or (tok.text == "errors" and _is(tokens, position + 1, ".")):
            return True
    return False


def read_go_file(text: str) -> GoFile:
    tokens = code_tokens(GoLexer(), text, keep_newlines=True)
    facts = GoFile()
    index = 0
    while index < len(tokens):
        tok = tokens[index]
        if tok.kind in Keyword:
            if tok.text == "import":
                index, paths = _imports(tokens, index + 1)
                facts.imports.extend(paths)
                continue
            if tok.text == "func" and (name := _function_name(tokens, index + 1)):
                facts.declared.append(name)
            elif tok.text in ("type", "var", "const") and _is_name(tokens, index + 1):
                facts.declared.append(tokens[index + 1].text)
            elif tok.text == "go":
                facts.goroutines += 1
            elif tok.text == "chan":
                facts.channels += 1
            elif tok.text == "return" and _returns_error(tokens, index):
                facts.returned_errors += 1
        elif tok.kind in Operator and tok.text == ":=":
            facts.declared.extend(_short_declared(tokens, index))
        elif tok.text == "panic" and _is(tokens, index + 1, "("):
            facts.panics += 1
        elif tok.text == "." and index + 2 < len(tokens):
            called = tokens[index + 1].text
            if called in FATAL_CALLS and _is(tokens, index + 2, "("):
                facts.fatals += 1
            elif called == "Context" and tokens[index - 1].text == "context":
                facts.context_uses += 1
        elif tok.text == "err" and _is(tokens, index + 1, "!=") and _is(tokens, index + 2, "nil"):
            facts.error_checks += 1
        index += 1
    return facts


def _go_naming(name: str) -> str | None:
    style = naming_style(name)
    # Go's MixedCaps: an exported name is PascalCase, an unexported one camelCase: both are camelCase here.
    return "camelCase" if style == "PascalCase" else style


def go_facts(path: str, text: str) -> dict[str, Any]:
    """What one Go file says, as JSON-able facts (kept per file: a refresh re-reads only what changed)."""
    return asdict(read_go_file(text))


def extract_go(files: Iterable[SourceText]) -> list[Pattern]:
    return aggregate_go((path, go_facts(path, text)) for path, text in files)


def aggregate_go(items: Iterable[tuple[str, dict[str, Any]]]) -> list[Pattern]:
    """The Go conventions shown by the facts of many files (see `go_facts`)."""
    naming, imports, errors, logging, tests = Tally(), Tally(), Tally(), Tally(), Tally()
    context, channels, goroutines = Usage(), Usage(), Usage()
    seen = error_checks = 0
    for path, item in items:
        facts = GoFile(**item)
        seen += 1
        is_test = path.endswith("_test.go")
        for name in facts.declared:
            if is_test and name.startswith(TEST_FUNCTION_PREFIXES):
                continue
            if style := _go_naming(name):
                naming.add(style, path)
        for imported in set(facts.imports):
            imports.add(imported, path)
            if library := LOGGERS.get(imported) or _library(imported, LOGGER_MODULES):
                logging.add(library, path)
        if is_test:
            frameworks = {_library(imported, TEST_MODULES) for imported in facts.imports} - {None}
            if frameworks or "testing" in facts.imports:
                tests.add("ginkgo" if "ginkgo" in frameworks else "testify" if frameworks else "testing", path)
        errors.add("returned errors", path, facts.returned_errors)
        errors.add("panic", path, facts.panics)
        if not is_test:  # t.Fatal in a test fails the test; it says nothing of how the code handles errors
            errors.add("log.Fatal", path, facts.fatals)
        error_checks += facts.error_checks
        context.observe(path, facts.context_uses + ("context" in facts.imports))
        channels.observe(path, facts.channels)
        goroutines.observe(path, facts.goroutines)
    found = [
        naming.majority("go", "naming"),
        imports.top("go", "imports", limit=TOP_IMPORTS, seen=seen),
        errors.majority("go", "error_handling", {"if err != nil": error_checks}),
        logging.majority("go", "logging"),
        tests.majority("go", "test_framework"),
        context.pattern("go", "context"),
        channels.pattern("go", "channels"),
        goroutines.pattern("go", "goroutines"),
    ]
    return [pattern for pattern in found if pattern is not None]
