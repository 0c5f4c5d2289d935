"""Static checks of generated Python: pyflakes' findings and imports of workspace modules or names that
do not exist, on real files."""

from __future__ import annotations

import os
import time
from pathlib import Path

from brainloop_tui.core.loop.static import check_python_static
from brainloop_tui.core.loop.validators import Diagnostic

LRU_CACHE = '''\
class LRUCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.head = Node(0, 0)
        self.items: dict[int, object] = {}
'''


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        file = root / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    return root


def errors(diagnostics: list[Diagnostic]) -> list[tuple[int | None, str]]:
    return [(d.line, d.message) for d in diagnostics if d.severity == "error"]


def test_an_undefined_class_is_an_error_on_its_line() -> None:
    (diagnostic,) = check_python_static(LRU_CACHE, "lru.py", None)
    assert (diagnostic.severity, diagnostic.source) == ("error", "pyflakes")
    assert diagnostic.message == "undefined name 'Node'"
    assert (diagnostic.line, diagnostic.column) == (4, 21)


def test_use_before_assignment_is_an_error() -> None:
    code = "total = 0\n\n\ndef add(x):\n    total += x\n    print(total)\n    total = x\n    return total\n"
    (diagnostic,) = check_python_static(code, "a.py", None)
    assert diagnostic.severity == "error"
    assert diagnostic.line == 5
    assert diagnostic.message == ("local variable 'total' defined in enclosing scope on line 1 "
                                  "referenced before assignment")


def test_a_redefinition_says_what_and_where_first() -> None:
    code = "def parse(text):\n    return text\n\n\ndef parse(text):\n    return text.strip()\n"
    assert errors(check_python_static(code, "a.py", None)) == [(5, "redefinition of unused 'parse' from line 1")]


def test_an_unused_import_is_only_a_warning() -> None:
    code = "import os\nfrom json import *\n\n\ndef f():\n    x = 1\n"
    found = check_python_static(code, "a.py", None)
    assert {d.severity for d in found} == {"warning"}
    assert [d.line for d in found] == sorted(d.line or 0 for d in found)
    assert "'os' imported but unused" in [d.message for d in found]
    assert "local variable 'x' is assigned to but never used" in [d.message for d in found]


def test_a_clean_file_gives_nothing(tmp_path: Path) -> None:
    code = ('"""A module."""\nimport json\n\n__all__ = ["dump"]\n\n\ndef dump(value: object) -> str:\n'
            '    return json.dumps(value, default=repr) + str(len(__file__))\n')
    assert check_python_static(code, "a.py", None) == []
    assert check_python_static(code, "a.py", tmp_path) == []


def test_a_workspace_module_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/__init__.py": "", "app/config.py": "def parse_config(): ...\n"})
    code = "import app.settings\nfrom app.confg import parse_config\n\nprint(app, parse_config)\n"
    assert errors(check_python_static(code, "main.py", root)) == [
        (1, "module 'app.settings' does not exist in the workspace"),
        (2, "module 'app.confg' does not exist in the workspace; did you mean 'app.config'?"),
    ]


def test_a_missing_name_suggests_a_close_one(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/__init__.py": "", "app/config.py": "def parse_config(): ...\nLIMIT = 3\n"})
    code = "from app.config import LIMIT, parse_confg\n\nprint(LIMIT, parse_confg)\n"
    (diagnostic,) = check_python_static(code, "main.py", root)
    assert (diagnostic.severity, diagnostic.source, diagnostic.line, diagnostic.column) == ("error", "imports", 1, 31)
    assert diagnostic.message == "'parse_confg' is not defined in app/config.py; did you mean 'parse_config'?"


def test_top_level_names_in_blocks_and_submodules_count(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "app/__init__.py": "",
        "app/util.py": ("try:\n    import ujson as json\nexcept ImportError:\n    json = None\n"
                        "if json:\n    FAST: bool = True\nelse:\n    class Slow: ...\n"
                        "for STEP in range(2):\n    pass\n\n\ndef setup():\n    global READY\n    READY = True\n"
                        "    local_only = 1\n"),
        "app/parts/__init__.py": "", "app/parts/wheel.py": "",
    })
    code = "from app.util import json, FAST, Slow, STEP, READY, local_only\nfrom app import parts, util\n" \
           "from app.parts import wheel\n\nprint(json, FAST, Slow, STEP, READY, local_only, parts, util, wheel)\n"
    assert errors(check_python_static(code, "main.py", root)) == [(1, "'local_only' is not defined in app/util.py")]


def test_relative_imports_resolve_against_the_targets_package(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "pkg/__init__.py": "", "pkg/models.py": "class User: ...\n",
        "pkg/sub/__init__.py": "", "pkg/sub/views.py": "old content, not valid Python (\n",
    })
    code = "from .. import models\nfrom ..models import User, Group\nfrom . import views\nfrom .helpers import x\n" \
           "\nprint(models, User, Group, views, x)\n"
    assert errors(check_python_static(code, "pkg/sub/views.py", root)) == [
        (2, "'Group' is not defined in pkg/models.py"),
        (4, "module '.helpers' does not exist in the workspace"),
    ]


def test_the_target_is_checked_with_its_new_content(tmp_path: Path) -> None:
    root = write(tmp_path, {"app.py": "OLD = 1\n"})
    code = "def later():\n    from app import NEW, OLD\n    return NEW, OLD\n\n\nNEW = 2\n"
    assert errors(check_python_static(code, "app.py", root)) == [(2, "'OLD' is not defined in app.py")]
    # A target not written yet exists as far as its own imports go.
    assert errors(check_python_static(code.replace("app", "fresh").replace(", OLD", ""), "fresh.py", root)) == []


def test_a_name_re_exported_by_a_package_is_found(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "shop/__init__.py": 'from shop.cart import Cart as Basket\nfrom . import tax\n__all__ = ["Basket", "TOTAL"]\n',
        "shop/cart.py": "class Cart: ...\n", "shop/tax.py": "RATE = 0.2\n",
    })
    code = "from shop import Basket, TOTAL, tax, cart, Cart\n\nprint(Basket, TOTAL, tax, cart, Cart)\n"
    assert errors(check_python_static(code, "main.py", root)) == [
        (1, "'Cart' is not defined in shop/__init__.py; did you mean 'cart'?"),
    ]


def test_a_src_layout_is_searched(tmp_path: Path) -> None:
    root = write(tmp_path, {"src/lib/__init__.py": "", "src/lib/io.py": "def load(): ...\n", "pyproject.toml": ""})
    code = "from lib.io import load, save\n\nprint(load, save)\n"
    found = check_python_static(code, "tests/test_io.py", root)
    assert errors(found) == [(1, "'save' is not defined in src/lib/io.py")]


def test_stdlib_and_third_party_imports_are_never_flagged(tmp_path: Path) -> None:
    # json/ and logging.py in the workspace do not make the standard library's modules workspace modules.
    root = write(tmp_path, {"json/helpers.py": "", "logging.py": "", "app/__init__.py": ""})
    code = "from __future__ import annotations\n\nimport json.nothing\nfrom logging import nowhere\n" \
           "import requests.adapters\nfrom yaml import CLoader\n\nprint(json, nowhere, requests, CLoader)\n"
    assert errors(check_python_static(code, "main.py", root)) == []


def test_a_folder_without_python_is_not_a_package(tmp_path: Path) -> None:
    root = write(tmp_path, {"data/users.csv": "id\n", "tools/gen.py": ""})
    code = "from data import users\nfrom tools import gen, build\n\nprint(users, gen, build)\n"
    assert errors(check_python_static(code, "main.py", root)) == [(2, "'build' is not defined in tools/")]


def test_modules_that_accept_any_name(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "lazy.py": "def __getattr__(name):\n    return name\n",
        "star.py": "from os.path import *\n",
        "plain.py": "VALUE = 1\n",
    })
    code = "from lazy import anything\nfrom star import join, whatever\nimport lazy.sub\n" \
           "\nprint(anything, join, whatever, lazy)\n"
    # __getattr__ answers attribute lookups, not submodule imports: lazy.sub still has to exist.
    found = check_python_static(code, "main.py", root)
    assert errors(found) == [(3, "module 'lazy.sub' does not exist in the workspace")]


def test_optional_imports_are_not_flagged(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/__init__.py": ""})
    code = "try:\n    from app import speedups\nexcept ImportError:\n    speedups = None\n\nprint(speedups)\n"
    assert errors(check_python_static(code, "main.py", root)) == []


def test_invalid_unreadable_or_huge_modules_give_no_false_error(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "broken.py": "def f(:\n", "latin.py": "# -*- coding: ascii -*-\nNAME = 'é'\n",
        "big.py": "X = 1\n" + "#" * 1_100_000 + "\n",
    })
    (root / "binary.py").write_bytes(b"\xff\xfe\x00\x00garbage")
    code = "from broken import f\nfrom latin import NAME\nfrom big import Y\nfrom binary import z\n" \
           "\nprint(f, NAME, Y, z)\n"
    assert errors(check_python_static(code, "main.py", root)) == []


def test_paths_with_spaces_hash_and_unicode(tmp_path: Path) -> None:
    root = write(tmp_path / "my work #2 — ünïcode", {"café/__init__.py": "", "café/menu.py": "PLATS = []\n"})
    code = "from café.menu import PLATS, prix\nfrom .menu import PLATS as again\n\nprint(PLATS, prix, again)\n"
    assert errors(check_python_static(code, "café/main.py", root)) == [(1, "'prix' is not defined in café/menu.py")]


def test_symlinks_leaving_the_workspace_are_not_followed(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"ext/__init__.py": "", "ext/mod.py": ""})
    root = write(tmp_path / "ws", {"app/__init__.py": ""})
    os.symlink(outside / "ext", root / "ext")
    os.symlink(outside / "ext" / "mod.py", root / "app" / "linked.py")
    code = "from ext.mod import anything\nfrom app.linked import whatever\n\nprint(anything, whatever)\n"
    assert errors(check_python_static(code, "main.py", root)) == []


def test_only_imported_modules_are_parsed_in_a_large_workspace(tmp_path: Path) -> None:
    files = {"big/__init__.py": ""}
    for i in range(300):
        files[f"big/mod{i}.py"] = "".join(f"def f{j}(x):\n    return x + {j}\n\n\n" for j in range(60))
    root = write(tmp_path, files)
    code = "from big.mod7 import f1, f99\nfrom big import mod12\nimport big.mod299\n\nprint(f1, f99, mod12, big)\n"
    start = time.perf_counter()
    found = check_python_static(code, "main.py", root)
    elapsed = time.perf_counter() - start
    assert errors(found) == [(1, "'f99' is not defined in big/mod7.py; did you mean 'f9'?")]
    assert elapsed < 0.1
