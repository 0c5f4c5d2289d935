"""The function shown as the project's style: the one of the files shown that shows the most
conventions, with the imports and module-level names it uses, within the budget; tests for tests."""

from __future__ import annotations

from pathlib import Path

from files import write
from brainloop_tui.core.loop.exemplar import python_exemplar

PLAIN = "def plain(a, b):\n    x = a\n    y = b\n    return x + y\n"
STYLED = '''import logging
import os
from shop.errors import ParseError, Unused

log = logging.getLogger(__name__)
LIMIT = 10
DOUBLE = LIMIT * 2
OTHER = 1


def styled(text: str) -> int:
    """Parse text."""
    log.debug("parsing %s", text)
    if len(text) > DOUBLE:
        raise ParseError(text)
    return len(text)


def _private(text: str) -> int:
    """Private."""
    log.debug("x")
    raise ParseError(text)
'''


def test_the_function_that_shows_the_most_style_comes_with_what_it_uses(tmp_path: Path) -> None:
    write(tmp_path, "shop/plain.py", PLAIN)
    write(tmp_path, "shop/styled.py", STYLED)
    found = python_exemplar(tmp_path, "shop/new.py", ["shop/plain.py", "shop/styled.py"], 1000)
    assert found is not None and found.label == "shop/styled.py: styled"
    assert found.code.startswith("import logging\nfrom shop.errors import ParseError\n\n")
    assert "LIMIT = 10\nDOUBLE = LIMIT * 2\n" in found.code and "OTHER" not in found.code and "import os" not in found.code
    assert found.code.rstrip().endswith("return len(text)") and "_private" not in found.code


def test_nothing_fits_a_small_budget_and_tests_go_with_tests(tmp_path: Path) -> None:
    write(tmp_path, "shop/styled.py", STYLED)
    write(tmp_path, "tests/test_styled.py", "def test_styled() -> None:\n    \"\"\"Styled.\"\"\"\n"
                                             "    assert 1\n    assert 2\n")
    shown = ["shop/styled.py", "tests/test_styled.py"]
    assert python_exemplar(tmp_path, "shop/new.py", shown, 20) is None
    assert python_exemplar(tmp_path, "tests/test_new.py", shown, 1000).label == "tests/test_styled.py: test_styled"
    assert python_exemplar(tmp_path, "shop/new.py", ["tests/test_styled.py"], 1000) is None


def test_unreadable_and_odd_files_give_none(tmp_path: Path) -> None:
    write(tmp_path, "shop/broken.py", "def f(:\n")
    write(tmp_path, "shop/binary.py", b"\xff\xfe\x00")
    write(tmp_path, "shop/tiny.py", "def f():\n    return 1\n")
    shown = ["shop/broken.py", "shop/binary.py", "shop/tiny.py", "../x.py", "missing.py", "notes.md"]
    assert python_exemplar(tmp_path, "shop/new.py", shown, 1000) is None
