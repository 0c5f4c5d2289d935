"""Examples as checks: found in the prompt and in the candidate's docstrings, run against real candidates
in the sandbox (wrong, right, endless, forking, allocating, writing outside)."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import pytest

from brainloop_tui.core.loop.examples import Example, check_examples, find_examples
from brainloop_tui.core.loop.sandbox import landlock_abi

PROMPT = """Write parse_duration(text) that turns a duration like "1h30m" into seconds.
For example `parse_duration("1h30m")` returns `5400` and parse_duration("45s") == 45.
"""

CORRECT = '''import re

UNITS = {"h": 3600, "m": 60, "s": 1}


def parse_duration(text):
    """Seconds in a duration.

    >>> parse_duration("2m")
    120
    """
    found = re.fullmatch(r"(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?", text)
    if not text or found is None:
        raise ValueError("bad unit")
    hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return hours * 3600 + minutes * 60 + seconds
'''

# Reads only the last number and unit: "1h30m" gives 30 * 60.
WRONG = '''import re


def parse_duration(text):
    value, unit = re.findall(r"(\\d+)([hms])", text)[-1]
    return int(value) * {"h": 3600, "m": 60, "s": 1}[unit]
'''


def calls(examples: list[Example]) -> list[str]:
    return [example.call for example in examples]


def test_prompt_examples_in_every_form_are_found() -> None:
    prompt = """Examples: f(1) == 2, f(2) -> 3, `f(3)` returns `4`, f(4) => 5 and f(5) → 6.
```python
assert f(6) == 7
>>> f(7)
8
```
>>> Box(2).double()
4

Box(1).double() returns 2.
"""
    code = "def f(x):\n    return x + 1\n\n\nclass Box:\n    def __init__(self, v):\n        self.v = v\n\n" \
           "    def double(self):\n        return self.v * 2\n"
    found = find_examples(prompt, code)
    assert calls(found) == ["f(1)", "f(2)", "f(3)", "f(4)", "f(5)", "f(6)", "Box(1).double()", "f(7)",
                            "Box(2).double()"]
    assert [example.expected for example in found] == ["2", "3", "4", "5", "6", "7", "2", "8\n", "4\n"]
    assert {example.kind for example in found[:7]} == {"value"} and {example.kind for example in found[7:]} == {
        "doctest"}
    box = found[6]
    assert box.function == "Box.double" and box.origin == "prompt" and box.line == 10


def test_what_does_not_parse_or_is_prose_is_dropped_without_a_crash() -> None:
    prompt = """parse_duration(((( returns 3, parse_duration("1h" == 3) and parse_duration("x") == [1, 2
def parse_duration(text) -> int: is the signature; parse_duration(s) returns the seconds.
parse_duration("1") == 1 if it likes; unknown("x") == 3; parse_duration("2") returns 2 seconds.
>>> parse_duration(
oops
>>> parse_duration("3")
3
"""
    found = find_examples(prompt, CORRECT)
    assert calls(found) == ['parse_duration("1")', 'parse_duration("2")', 'parse_duration("3")',
                            'parse_duration("2m")']
    assert find_examples(prompt, "def broken(:\n") == []
    assert find_examples("\x00 f(\x00) == 1 `` ```", "def f(x):\n    return x\n") == []
    started = time.monotonic()
    assert find_examples("f(" * 20_000 + " f('x) == 1 " * 2_000, "def f(x):\n    return x\n") == []
    assert time.monotonic() - started < 20  # each example is read within a bounded window


def test_docstring_doctests_carry_their_line_and_the_lines_before_them() -> None:
    code = 'class Counter:\n    """Counts.\n\n    >>> c = Counter()\n    >>> c.incr()\n    1\n\n' \
           '    >>> c.incr()\n    2\n    """\n\n    def __init__(self):\n        self.n = 0\n\n' \
           '    def incr(self):\n        self.n += 1\n        return self.n\n'
    found = find_examples("", code)
    assert [(example.call, example.line, example.setup) for example in found] == [
        ("c.incr()", 5, ("c = Counter()",)), ("c.incr()", 8, ("c = Counter()", "c.incr()"))]
    assert check_examples(Path("/nonexistent-workspace"), "counter.py", code, []) == []


async def test_a_wrong_candidate_fails_its_prompt_example_with_expected_and_got(workspace: Path) -> None:
    examples = find_examples(PROMPT, WRONG)
    diagnostics = check_examples(workspace, "timeparse/units.py", WRONG, examples)
    assert [(d.severity, d.source, d.line, d.message) for d in diagnostics] == [
        ("error", "examples", 4, 'example parse_duration("1h30m"): expected 5400, got 1800')]


async def test_a_correct_candidate_passes_and_the_workspace_is_untouched(workspace: Path) -> None:
    (workspace / "timeparse").mkdir()
    (workspace / "timeparse" / "units.py").write_text("ON_DISK = True\n")
    examples = find_examples(PROMPT, CORRECT)
    assert len(examples) == 3
    assert check_examples(workspace, "timeparse/units.py", CORRECT, examples) == []
    assert (workspace / "timeparse" / "units.py").read_text() == "ON_DISK = True\n"
    assert sorted(path.name for path in workspace.rglob("*")) == ["timeparse", "units.py"]


def test_exceptions_are_each_examples_own_result(workspace: Path) -> None:
    prompt = 'parse_duration("") == 0 and parse_duration("1h") == 3600 and parse_duration("5x") -> ValueError'
    diagnostics = check_examples(workspace, "units.py", CORRECT, find_examples(prompt, CORRECT))
    assert [d.message for d in diagnostics] == ['example parse_duration(""): raised ValueError: bad unit']


def test_doctest_output_and_expected_tracebacks_compare_like_doctest(workspace: Path) -> None:
    code = '''def words(text):
    """Words, one a line.

    >>> for word in words("a  b"):
    ...     print(word)
    a
    b
    >>> words("")
    Traceback (most recent call last):
      ...
    ValueError: empty
    >>> words("x y")   # wrong on purpose
    ['x',   'z']
    """
    if not text:
        raise ValueError("empty")
    return text.split()
'''
    diagnostics = check_examples(workspace, "words.py", code, find_examples("", code))
    assert [(d.line, d.message) for d in diagnostics] == [
        (12, "example words(\"x y\")   # wrong on purpose: expected ['x',   'z'], got ['x', 'y']")]


def test_relative_imports_work_inside_a_package(workspace: Path) -> None:
    (workspace / "src" / "app").mkdir(parents=True)
    (workspace / "src" / "app" / "__init__.py").write_text("")
    (workspace / "src" / "app" / "base.py").write_text("OFFSET = 10\n")
    code = "from .base import OFFSET\n\n\ndef shift(x):\n    return x + OFFSET\n"
    examples = find_examples("shift(1) == 11 and shift(2) == 13", code)
    diagnostics = check_examples(workspace, "src/app/shifting.py", code, examples)
    assert [d.message for d in diagnostics] == ["example shift(2): expected 13, got 12"]


def test_a_module_named_like_the_standard_librarys_is_the_candidate(workspace: Path) -> None:
    code = "def loads(text):\n    return 'mine'\n"
    assert check_examples(workspace, "json.py", code, find_examples("loads('x') == 'mine'", code)) == []


def test_a_candidate_that_cannot_be_imported_is_one_error_with_the_exception(workspace: Path) -> None:
    code = "import no_such_module_anywhere\n\n\ndef f(x):\n    return x\n"
    diagnostics = check_examples(workspace, "mod.py", code, find_examples("f(1) == 1 and f(2) == 2", code))
    assert len(diagnostics) == 1
    assert diagnostics[0].line == 1 and "ModuleNotFoundError" in diagnostics[0].message


def test_prints_of_the_candidate_neither_flood_nor_forge_results(workspace: Path) -> None:
    code = "import os\nprint('BRAINLOOP-EXAMPLE- {}')\n\n\ndef f(x):\n    os.write(1, b'x' * 3_000_000)\n" \
           "    print('y' * 1_000_000)\n    return x\n"
    diagnostics = check_examples(workspace, "mod.py", code, find_examples("f(1) == 1 and f(2) == 3", code))
    assert [d.message for d in diagnostics] == ["example f(2): expected 3, got 2"]


def test_an_endless_loop_is_bounded_and_names_the_example(workspace: Path) -> None:
    code = "def f(x):\n    if x == 2:\n        while True:\n            pass\n    return x\n"
    diagnostics = check_examples(workspace, "mod.py", code, find_examples("f(1) == 0, f(2) == 2", code),
                                 timeout_s=2)
    assert [d.message for d in diagnostics] == [
        "example f(1): expected 0, got 1",
        "examples did not finish within 2 s (an endless loop?), at example f(2)"]
    assert diagnostics[1].line == 1


def test_a_fork_bomb_in_an_example_is_bounded(workspace: Path) -> None:
    token = secrets.token_hex(6)
    code = f"import os\n\n\ndef f(x):\n    # {token}\n    while True:\n        try:\n            os.fork()\n" \
           "        except OSError:\n            pass\n"
    diagnostics = check_examples(workspace, "bomb.py", code, find_examples("f(1) == 1", code), timeout_s=2)
    assert len(diagnostics) == 1 and "did not finish within 2 s" in diagnostics[0].message


def test_unbounded_allocation_is_an_example_that_raised(workspace: Path) -> None:
    code = "def f(x):\n    chunks = []\n    while True:\n        chunks.append(bytearray(64 * 1024 * 1024))\n"
    diagnostics = check_examples(workspace, "hog.py", code, find_examples("f(1) == 1", code), timeout_s=10)
    assert [d.message for d in diagnostics] == ["example f(1): raised MemoryError"]


@pytest.mark.skipif(landlock_abi() == 0 and os.geteuid() != 0, reason="nothing confines writes on this machine")
def test_an_example_cannot_write_outside_and_the_workspace_is_untouched(workspace: Path) -> None:
    (workspace / "keep.py").write_text("KEEP = 1\n")
    beside = workspace.parent / "beside"
    beside.mkdir()
    code = f"def f(x):\n    open({str(workspace / 'keep.py')!r}, 'w').write('gone')\n    return x\n\n\n" \
           f"def g(x):\n    open({str(beside / 'new.txt')!r}, 'w').write('x')\n    return x\n"
    diagnostics = check_examples(workspace, "writer.py", code, find_examples("f(1) == 1; g(1) == 1", code))
    assert [d.message.split(":")[0:2] for d in diagnostics] == [
        ["example f(1)", " raised PermissionError"], ["example g(1)", " raised PermissionError"]]
    assert (workspace / "keep.py").read_text() == "KEEP = 1\n" and not any(beside.iterdir())
    assert sorted(path.name for path in workspace.iterdir()) == ["keep.py"]
