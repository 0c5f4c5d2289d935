"""Examples as checks: the input/output pairs a prompt gives (``f(x) == y``, ``f(x) -> y``, ``f(x) returns y``,
``f(x) => y``, doctests) and the doctests in the generated code's docstrings, run against the candidate in the
sandbox. Each example that fails is an `error` diagnostic, so auto-refine feeds it back to the model."""

from __future__ import annotations

import ast
import builtins
import doctest
import itertools
import json
import re
import secrets
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from brainloop_tui.core.loop.sandbox import run_sandboxed
from brainloop_tui.core.loop.validators import Diagnostic

MAX_EXAMPLES = 50
MAX_EXAMPLE_CHARS = 1_000  # how far a prompt's example may reach from its call's name to its expected value's end
MAX_CALLS_READ = 500  # calls of the candidate's names a prompt is read for; a prompt rarely has dozens
MESSAGE_REPR_LIMIT = 200  # characters of a value, a call or an output shown in a diagnostic
HARNESS_OUTPUT_LIMIT = 256_000  # one result line per example, each cut to about a kilobyte
DOCTEST_FLAGS = doctest.NORMALIZE_WHITESPACE

ExampleKind = Literal["value", "doctest"]  # value: `call == expected` compared; doctest: printed output compared
ExampleOrigin = Literal["prompt", "docstring"]


@dataclass(frozen=True, slots=True)
class Example:
    call: str  # the expression (doctest: the source) run against the candidate
    expected: str  # value: a Python expression; doctest: the expected output text
    kind: ExampleKind
    origin: ExampleOrigin
    line: int  # where it was found: the prompt's line, or the candidate's line of the `>>>`
    function: str | None = None  # what it calls in the candidate ("f", "Cls.m"), for the line of its `def`
    setup: tuple[str, ...] = ()  # the doctest lines before it in the same text, run first (they share names)
    doctest_flags: int = DOCTEST_FLAGS


_OPERATOR = re.compile(r"[ \t`]*(==|->|=>|→|returns\b|should\s+return\b|raises\b|should\s+raise\b)[ \t]*`?[ \t]*")
_CALL_START = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*\(")
_DEFINITION_BEFORE = re.compile(r"\b(?:def|class)\s+$")  # `def f(x) -> int:` is no example
_FENCE = re.compile(r"^\s*(```|~~~)")
_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_CHAINED_NAME = re.compile(r"\.[A-Za-z_]\w*")
# Where the sentence goes on after an expected value: `f(1) == 2 and f(2) == 3`, `f("") returns None if empty`.
_PROSE_AFTER_VALUE = re.compile(r"\s+(?:and|or|but|if|else|when|where|unless|while|because|since|for|then)\b")


@dataclass(frozen=True, slots=True)
class _CodeNames:
    callable_lines: dict[str, int]  # top-level functions and classes, and "Class.method", to their `def` line
    known: frozenset[str]  # every name an example may use: what the code defines or imports, and builtins


def _code_names(tree: ast.Module) -> _CodeNames:
    lines: dict[str, int] = {}
    known: set[str] = set(dir(builtins))
    statements = list(tree.body)
    while statements:  # top level, including the bodies of top-level if/try blocks
        node = statements.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            lines[node.name] = node.lineno
            if isinstance(node, ast.ClassDef):
                for member in node.body:
                    if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                        lines[f"{node.name}.{member.name}"] = member.lineno
        elif isinstance(node, ast.Import | ast.ImportFrom):
            known.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            known.update(name.id for target in targets for name in ast.walk(target) if isinstance(name, ast.Name))
        elif isinstance(node, ast.If | ast.Try):
            statements.extend([*node.body, *node.orelse, *getattr(node, "finalbody", [])])
    known.update(name for name in lines if "." not in name)
    return _CodeNames(lines, frozenset(known))


def _skip_string(text: str, index: int) -> int:
    """The index just past the string literal that starts at `index`, or len(text) if it never closes."""
    quote = text[index]
    if text.startswith(quote * 3, index):
        end = text.find(quote * 3, index + 3)
        return len(text) if end < 0 else end + 3
    index += 1
    while index < len(text) and text[index] not in (quote, "\n"):
        index += 2 if text[index] == "\\" else 1
    return index + 1


def _matching_close(text: str, index: int) -> int | None:
    """The index just past the bracket that closes the one at `index`, strings respected."""
    stack = [_CLOSERS[text[index]]]
    index += 1
    while index < len(text):
        char = text[index]
        if char in "'\"":
            index = _skip_string(text, index)
            continue
        if char in _CLOSERS:
            stack.append(_CLOSERS[char])
        elif char in ")]}":
            if char != stack.pop():
                return None
            if not stack:
                return index + 1
        elif char == "`":
            return None  # a backtick closes the inline code the call stood in
        index += 1
    return None


def _call_end(text: str, open_paren: int) -> int | None:
    """The end of a call expression whose argument list opens at `open_paren`, with what is chained to it:
    `.attr`, `.method(…)` and `[…]`, so that `Cls(…).m(…)` is one expression."""
    end = _matching_close(text, open_paren)
    while end is not None:
        chained = _CHAINED_NAME.match(text, end)
        if chained:
            end = chained.end()
            if end < len(text) and text[end] == "(":
                end = _matching_close(text, end)
        elif end < len(text) and text[end] == "[":
            end = _matching_close(text, end)
        else:
            return end
    return None


def _expected_segment(text: str, start: int) -> str:
    """From `start` to the first backtick, newline, ';', ',' or word of prose outside brackets and strings."""
    index, depth = start, 0
    while index < len(text):
        char = text[index]
        if char in "'\"":
            index = _skip_string(text, index)
            continue
        if char in _CLOSERS:
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                break  # the bracket the whole example stood in: `(f(1) == 2)`
        elif char in "`\n" or (depth == 0 and (char in ";," or _PROSE_AFTER_VALUE.match(text, index))):
            break
        index += 1
    return text[start:index]


def _parses(expression: str) -> ast.expr | None:
    try:
        return ast.parse(expression.strip(), mode="eval").body
    except (SyntaxError, ValueError):  # ValueError: a NUL byte
        return None


def _longest_expression(segment: str) -> str | None:
    """The longest run of words from the start of `segment` that is a Python expression: a sentence goes
    on after the value (`returns 5400 seconds.`)."""
    words = segment.split()
    for count in range(len(words), 0, -1):
        candidate = " ".join(words[:count]).rstrip(".:!?")
        if candidate and _parses(candidate) is not None:
            return candidate
    return None


def _uses_only(expression: ast.AST, known: frozenset[str]) -> bool:
    """Whether every name the expression reads is one the module defines or a builtin: `f(s) returns the
    seconds` is prose about a placeholder, not an example."""
    return all(node.id in known for node in ast.walk(expression) if isinstance(node, ast.Name))


def _called_function(expression: ast.AST, names: _CodeNames) -> str | None:
    """The candidate's function an expression calls last: `f` for `f(x)`, `Cls.m` for `Cls(…).m(…)`."""
    node = expression
    while isinstance(node, ast.Subscript | ast.Attribute):
        node = node.value
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Name):
        return func.id if func.id in names.callable_lines else None
    if isinstance(func, ast.Attribute):
        owner = func.value
        while isinstance(owner, ast.Call | ast.Attribute | ast.Subscript):
            owner = owner.func if isinstance(owner, ast.Call) else owner.value
        if isinstance(owner, ast.Name):
            qualified = f"{owner.id}.{func.attr}"
            return qualified if qualified in names.callable_lines else (
                owner.id if owner.id in names.callable_lines else None)
    return None


def _prompt_value_examples(prompt: str, names: _CodeNames) -> Iterable[Example]:
    calls = (found for found in _CALL_START.finditer(prompt) if found.group(1) in names.callable_lines)
    for found in itertools.islice(calls, MAX_CALLS_READ):
        if _DEFINITION_BEFORE.search(prompt[max(found.start() - 16, 0):found.start()]):
            continue
        window = prompt[found.start():found.start() + MAX_EXAMPLE_CHARS]  # an unclosed '(' reads no further
        end = _call_end(window, found.end() - 1 - found.start())
        operator = _OPERATOR.match(window, end) if end is not None else None
        if end is None or operator is None:
            continue
        call = window[:end]
        expected = _longest_expression(_expected_segment(window, operator.end()))
        call_tree = _parses(call)
        if expected is None or call_tree is None:
            continue
        expected_tree = _parses(expected)
        if expected_tree is None or not _uses_only(call_tree, names.known) or not _uses_only(expected_tree,
                                                                                             names.known):
            continue
        yield Example(call=call, expected=expected, kind="value", origin="prompt",
                      line=prompt.count("\n", 0, found.start()) + 1, function=_called_function(call_tree, names))


def _doctest_text(prompt: str) -> str:
    """The prompt with what Markdown wraps doctests in taken off, line for line: fence lines blanked, inline
    backticks around a whole `>>>` line or its output removed."""
    lines = []
    for line in prompt.splitlines():
        if _FENCE.match(line):
            lines.append("")
            continue
        stripped = line.strip()
        if len(stripped) > 1 and stripped.startswith("`") and stripped.endswith("`"):
            line = line.replace(stripped, stripped.strip("`"))
        lines.append(line)
    return "\n".join(lines)


def _doctests(text: str, first_line: int, origin: ExampleOrigin, names: _CodeNames | None) -> Iterable[Example]:
    """The doctest examples of `text` (its line 1 is `first_line` of where it came from), parsed paragraph by
    paragraph so that one badly indented paragraph loses only its own. Each example carries the lines before
    it in the same text as its setup, as doctest runs them in one namespace. `names` given (a prompt): only
    examples that expect output and use the candidate's names, and no name unknown, count."""
    setup: list[str] = []
    paragraph_start = 0
    for paragraph in re.split(r"(\n[ \t]*\n)", text):
        if ">>>" in paragraph:
            try:
                parsed = doctest.DocTestParser().get_examples(paragraph)
            except ValueError:
                parsed = []
            line = first_line + text.count("\n", 0, paragraph_start)
            for example in parsed:
                found = _doctest_example(example, line, origin, names, setup)
                if found is not None:
                    yield found
        paragraph_start += len(paragraph)


def _bound_names(sources: Iterable[str]) -> set[str]:
    """The names doctest lines assign or import, which the lines after them may use."""
    bound = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                bound.add(node.id)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return bound


def _doctest_example(example: doctest.Example, first_line: int, origin: ExampleOrigin, names: _CodeNames | None,
                     setup: list[str]) -> Example | None:
    """One parsed doctest example as an Example, or None when it is not one to run; a line that parses is
    appended to `setup` for the examples after it."""
    source = example.source.rstrip("\n")
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None  # dropped, and not run as setup either: it would fail every example after it
    flags = DOCTEST_FLAGS
    for flag, on in example.options.items():
        flags = flags | flag if on else flags & ~flag
    earlier = tuple(setup)
    setup.append(source)
    if not example.want or flags & doctest.SKIP:
        return None
    function = None
    if names is not None:
        read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
        if not read & set(names.callable_lines) or not read <= names.known | _bound_names(earlier):
            return None
        function = next((_called_function(node.value, names) for node in tree.body if isinstance(node, ast.Expr)),
                        None)
    return Example(call=source, expected=example.want, kind="doctest", origin=origin, line=first_line + example.lineno,
                   function=function, setup=earlier, doctest_flags=flags)


def _docstring_doctests(tree: ast.Module) -> Iterable[Example]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) or not node.body:
            continue
        first = node.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value,
                                                                                                   str):
            yield from _doctests(first.value.value, first.lineno, "docstring", None)


def find_examples(prompt: str, code: str) -> list[Example]:
    """The prompt's examples that call what the code defines at top level, and the doctests of the code's
    docstrings; what does not parse as Python is left out. None when the code itself does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    names = _code_names(tree)
    found: dict[tuple[str, str, tuple[str, ...]], Example] = {}
    for example in (*_prompt_value_examples(prompt, names),
                    *_doctests(_doctest_text(prompt), 1, "prompt", names),
                    *_docstring_doctests(tree)):
        found.setdefault((example.call, example.expected, example.setup), example)
    return list(found.values())[:MAX_EXAMPLES]


# The script the sandbox runs (with -I, so that nothing of the workspace shadows what it imports). It imports
# the candidate as a module of its package when it is inside one (so relative imports work), else by path, runs
# each example in a fresh copy of the module's namespace, and prints one result line per example as soon as it
# has one: a run cut short still tells which example hung.
HARNESS = r'''
import asyncio, contextlib, doctest, importlib, importlib.util, inspect, io, json, os, sys, traceback

REPR_LIMIT = 400


def short(text):
    return text if len(text) <= REPR_LIMIT else text[:REPR_LIMIT - 1] + "…"


def describe(exc):
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return short(text)


def line_in(exc, path):
    if isinstance(exc, SyntaxError) and exc.filename and os.path.abspath(exc.filename) == path:
        return exc.lineno
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if os.path.abspath(frame.filename) == path]
    return frames[-1].lineno if frames else None


def module_name(root, target):
    """Dotted name and the folder to import it from: up the folders as long as they are packages."""
    parts = target.split("/")
    parts[-1] = parts[-1][:-3] if parts[-1].endswith(".py") else parts[-1]
    if parts[-1] == "__init__":
        parts.pop()
    top = len(parts) - 1
    while top > 0 and os.path.exists(os.path.join(root, *parts[:top], "__init__.py")):
        top -= 1
    package_root = os.path.join(root, *parts[:top]) if top else root
    return ".".join(parts[top:]), package_root


def load(root, target):
    name, package_root = module_name(root, target)
    sys.path.insert(0, package_root)
    path = os.path.join(root, target)
    try:
        module = importlib.import_module(name)
        if os.path.abspath(getattr(module, "__file__", None) or "") == path:
            return module
    except ModuleNotFoundError as exc:  # the module itself not found: not a name to import (run-me.py)
        if exc.name is None or not (name == exc.name or name.startswith(exc.name + ".")):
            raise
    # Not importable by name, or the name is another module's (a json.py beside the standard library's).
    spec = importlib.util.spec_from_file_location(name.rpartition(".")[2], path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def evaluate(source, namespace):
    value = eval(compile(source, "<example>", "eval"), namespace)
    return asyncio.run(value) if inspect.iscoroutine(value) else value


def value_result(example, namespace):
    try:
        got = evaluate(example["call"], namespace)
        raised = None
    except BaseException as exc:
        raised = exc
    try:
        expected = evaluate(example["expected"], namespace)
    except BaseException as exc:
        return {"ok": False, "problem": "the expected value raised " + describe(exc)}
    if isinstance(expected, type) and issubclass(expected, BaseException):
        if raised is not None:
            return {"ok": isinstance(raised, expected), "raised": describe(raised)}
        return {"ok": False, "expected": expected.__name__ + " raised", "got": short(repr(got))}
    if raised is not None:
        return {"ok": False, "raised": describe(raised)}
    try:
        equal = bool(got == expected)
    except BaseException as exc:
        return {"ok": False, "problem": "comparing raised " + describe(exc), "got": short(repr(got))}
    return {"ok": equal, "expected": short(repr(expected)), "got": short(repr(got))}


def wanted_exception(want):
    """The exception line(s) of a doctest's expected traceback: what follows its indented stack."""
    lines = want.splitlines(True)[1:]
    while lines and (lines[0][:1].isspace() or lines[0].startswith("...")):
        lines.pop(0)
    return "".join(lines)


def doctest_result(example, namespace):
    checker, flags, want = doctest.OutputChecker(), example["flags"], example["expected"]
    output = io.StringIO()
    raised = None
    try:
        with contextlib.redirect_stdout(output):
            exec(compile(example["call"], "<doctest>", "single"), namespace)
    except BaseException as exc:
        raised = exc
    got = output.getvalue()
    if want.startswith(("Traceback (most recent call last):", "Traceback (innermost last):")):
        if raised is None:
            return {"ok": False, "expected": short(wanted_exception(want).strip()), "got": short(got)}
        got_exception = traceback.format_exception_only(type(raised), raised)[-1]
        ok = checker.check_output(wanted_exception(want), got_exception, flags)
        return {"ok": ok, "expected": short(wanted_exception(want).strip()), "got": short(got_exception.strip())}
    if raised is not None:
        return {"ok": False, "raised": describe(raised)}
    return {"ok": checker.check_output(want, got, flags), "expected": short(want), "got": short(got)}


def run(example, module):
    namespace = dict(vars(module))
    with contextlib.redirect_stdout(io.StringIO()):
        for statement in example["setup"]:
            try:
                exec(compile(statement, "<doctest>", "single"), namespace)
            except BaseException:
                pass  # as in doctest, where an example that raises (often on purpose) does not stop the next
    if example["kind"] == "value":
        return value_result(example, namespace)
    return doctest_result(example, namespace)


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        job = json.load(handle)
    # Results go to a copy of stdout; the candidate's own prints, of Python or of any process it starts,
    # go nowhere, so they can neither flood nor forge the results.
    results = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = io.StringIO()

    def report(record):
        results.write(job["marker"] + " " + json.dumps(record) + "\n")
        results.flush()

    root = os.getcwd()
    try:
        module = load(root, job["target"])
    except BaseException as exc:
        report({"import_error": describe(exc), "line": line_in(exc, os.path.join(root, job["target"]))})
        return
    for index, example in enumerate(job["examples"]):
        try:
            outcome = run(example, module)
        except BaseException as exc:
            outcome = {"ok": False, "raised": describe(exc)}
        report({"index": index, **outcome})
        sys.stdout = io.StringIO()
    report({"done": True})


main()
'''


def _short(text: str) -> str:
    text = " ⏎ ".join(part.strip() for part in text.strip().splitlines()) if "\n" in text.strip() else text.strip()
    return text if len(text) <= MESSAGE_REPR_LIMIT else text[:MESSAGE_REPR_LIMIT - 1] + "…"


def _function_lines(code: str) -> dict[str, int]:
    try:
        return _code_names(ast.parse(code)).callable_lines
    except (SyntaxError, ValueError):
        return {}


def _line_of(example: Example, lines: dict[str, int]) -> int | None:
    if example.origin == "docstring":
        return example.line
    return lines.get(example.function or "")


def _failure(example: Example, outcome: dict[str, object]) -> str:
    label = f"example {_short(example.call)}"
    if "problem" in outcome:
        return f"{label}: {outcome['problem']}"
    if "raised" in outcome and "expected" not in outcome:
        return f"{label}: raised {outcome['raised']}"
    return f"{label}: expected {_short(str(outcome.get('expected', example.expected)))}, got " \
           f"{_short(str(outcome.get('got', outcome.get('raised', ''))))}"


def _results(stdout: str, marker: str) -> list[dict[str, object]]:
    found = []
    for line in stdout.splitlines():
        if line.startswith(marker + " "):
            try:
                found.append(json.loads(line[len(marker) + 1:]))
            except json.JSONDecodeError:
                continue  # the last line of an output cut at its limit
    return found


def check_examples(workspace: Path, target: str, code: str, examples: Sequence[Example], *,
                   timeout_s: float = 10) -> list[Diagnostic]:
    """Run every example against `code` in place of `target` (workspace-relative), in one sandboxed run;
    an `error` diagnostic (source "examples") for each that fails, for a candidate that cannot be imported,
    and for a run that did not finish."""
    if not examples:
        return []
    token = secrets.token_hex(8)
    harness, job = f".brainloop-examples-{token}.py", f".brainloop-examples-{token}.json"
    payload = {
        "marker": f"BRAINLOOP-EXAMPLE-{token}", "target": target,
        "examples": [{"call": example.call, "expected": example.expected, "kind": example.kind,
                      "setup": list(example.setup), "flags": example.doctest_flags} for example in examples],
    }
    result = run_sandboxed(workspace, {target: code, harness: HARNESS, job: json.dumps(payload)},
                           [sys.executable, "-I", "-B", harness, job], timeout_s=timeout_s,
                           output_limit=HARNESS_OUTPUT_LIMIT)
    if result.error:
        return [Diagnostic(severity="error", source="examples", message=f"the examples could not run: {result.error}")]
    lines = _function_lines(code)
    diagnostics: list[Diagnostic] = []
    finished: set[int] = set()
    done = False
    for record in _results(result.stdout, payload["marker"]):
        if "import_error" in record:
            line = record.get("line")
            return [Diagnostic(severity="error", source="examples", line=line if isinstance(line, int) else None,
                               message=f"the candidate cannot be imported: {record['import_error']}")]
        done = done or bool(record.get("done"))
        index = record.get("index")
        if not isinstance(index, int) or not 0 <= index < len(examples):
            continue
        finished.add(index)
        if not record.get("ok"):
            diagnostics.append(Diagnostic(severity="error", source="examples", line=_line_of(examples[index], lines),
                                          message=_failure(examples[index], record)))
    if not done:
        unfinished = next((example for index, example in enumerate(examples) if index not in finished), None)
        at = f", at example {_short(unfinished.call)}" if unfinished else ""
        if result.timed_out:
            message = f"examples did not finish within {timeout_s:g} s (an endless loop?){at}"
        else:
            last = _short(result.stderr.strip().splitlines()[-1]) if result.stderr.strip() else "no message"
            message = f"the examples' run ended early (exit code {result.returncode}){at}: {last}"
        diagnostics.append(Diagnostic(severity="error", source="examples", message=message,
                                      line=_line_of(unfinished, lines) if unfinished else None))
    return diagnostics
