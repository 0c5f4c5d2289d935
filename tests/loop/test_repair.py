"""The imports a Python answer forgot: from the one workspace module shown that defines the name, from
the standard library, never when two places could provide it; where they go, and what is said."""

from __future__ import annotations

from pathlib import Path

import pytest

from files import write
from brainloop_tui.core.loop.repair import add_missing_imports


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    write(tmp_path, "shop/__init__.py", "")
    write(tmp_path, "shop/errors.py", "class ParseError(ValueError):\n    pass\n\n\nLIMIT = 3\n")
    write(tmp_path, "billing/errors.py", "class BillingError(Exception):\n    pass\n\n\nclass ParseError(Exception):\n    pass\n")
    write(tmp_path, "shop/reexports.py", "from shop.errors import ParseError\n")
    return tmp_path


def repaired(code: str, workspace: Path, shown: list[str]) -> str:
    return add_missing_imports(code, "shop/new.py", workspace, shown)[0]


def test_a_name_defined_by_one_file_shown_is_imported_from_it(shop: Path) -> None:
    code, diagnostics = add_missing_imports("def f():\n    raise ParseError(LIMIT)\n", "shop/new.py", shop,
                                            ["shop/errors.py", "shop/reexports.py"])
    assert code == "from shop.errors import LIMIT, ParseError\ndef f():\n    raise ParseError(LIMIT)\n"
    (diagnostic,) = diagnostics
    assert (diagnostic.severity, diagnostic.source, diagnostic.line) == ("info", "imports", 1)
    assert "`LIMIT`, `ParseError`" in diagnostic.message


def test_a_name_two_files_shown_define_is_left_to_the_model(shop: Path) -> None:
    code = "def f():\n    raise ParseError()\n"
    assert repaired(code, shop, ["shop/errors.py", "billing/errors.py"]) == code
    assert repaired(code, shop, []) == code  # a file not shown is not looked into


@pytest.mark.parametrize(("code", "expected"), [
    ("x = math.sqrt(2)\n", "import math\n"),
    ("def f(p: Path) -> Counter:\n    return Counter()\n", "from collections import Counter\nfrom pathlib import Path\n"),
    ("x = datetime.now()\n", "from datetime import datetime\n"),  # the class: `now` is not the module's
    ("x = datetime.timedelta(1)\n", "import datetime\n"),
    ("@dataclass\nclass A:\n    x: Optional[int]\n", "from dataclasses import dataclass\nfrom typing import Optional\n"),
])
def test_standard_library_names(shop: Path, code: str, expected: str) -> None:
    assert repaired(code, shop, []) == expected + code


def test_imports_go_after_the_docstring_and_the_leading_imports(shop: Path) -> None:
    docstring = '"""Doc."""\n\n\ndef f():\n    return math.pi\n'
    assert repaired(docstring, shop, []) == '"""Doc."""\n\nimport math\n\n\ndef f():\n    return math.pi\n'
    leading = '"""Doc."""\nfrom __future__ import annotations\nimport os\n\nx = os.sep + math.pi\n'
    assert repaired(leading, shop, []) == (
        '"""Doc."""\nfrom __future__ import annotations\nimport os\nimport math\n\nx = os.sep + math.pi\n')
    _, (diagnostic,) = add_missing_imports(leading, "shop/new.py", shop, [])
    assert diagnostic.line == 4


@pytest.mark.parametrize("code", [
    "def f(:\n",  # does not parse: the syntax check says so
    "import math\nx = math.pi\n",  # nothing missing
    "x = no_such_name_anywhere()\n",  # unknown: pyflakes reports it
])
def test_code_that_needs_nothing_or_cannot_be_helped_is_unchanged(shop: Path, code: str) -> None:
    assert add_missing_imports(code, "shop/new.py", shop, ["shop/errors.py"]) == (code, [])


def test_files_that_cannot_be_read_are_skipped(shop: Path) -> None:
    write(shop, "shop/broken.py", "class ParseError(:\n")
    write(shop, "shop/latin.py", b"\xff\xfe class Odd: pass\n")
    code = "raise ParseError()\n"
    shown = ["shop/broken.py", "shop/latin.py", "../outside.py", "shop/missing.py", "shop/errors.py"]
    assert repaired(code, shop, shown) == "from shop.errors import ParseError\n" + code
