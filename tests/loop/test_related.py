"""The files a target relates to: Python and Go import graphs, tests, siblings, names in the prompt,
similar names, the limit, new targets, odd paths, and an index of 20,000 files."""

from __future__ import annotations

import ast

import pytest

from brainloop_tui.core.loop.related import (
    IMPORTED, IMPORTER, NAMED, SAME_PACKAGE, SIMILAR_NAME, TEST, FileImports, Related, go_module_of,
    module_name, python_imports, related_files,
)

SHOP_SOURCES = {
    "shop/__init__.py": "",
    "shop/models.py": "from dataclasses import dataclass\n",
    "shop/pricing.py": "from shop.models import Item\n",
    "shop/cart.py": "import shop.models\nfrom .pricing import total\n",
    "shop/api.py": "from shop import cart\n",
    "shop/test_helpers.py": "",
    "tests/test_cart.py": "from shop.cart import Cart\n",
    "tests/test_api.py": "import shop.api\n",
    "billing/models.py": "",
    "billing/invoice.py": "import billing.models\n",
    "docs/cart_notes.md": "",
}


def python_index(sources: dict[str, str]) -> dict[str, FileImports]:
    """The index as the caller builds it: every file through `python_imports`."""
    return {
        path: FileImports("python", tuple(python_imports(text, path))) if path.endswith(".py") else FileImports("text")
        for path, text in sources.items()
    }


def as_rows(related: list[Related]) -> list[tuple[str, str, int]]:
    return [(item.path, item.reason, item.rank) for item in related]


SHOP = python_index(SHOP_SOURCES)


def test_module_names_follow_the_layout() -> None:
    assert module_name("a/b/c.py") == "a.b.c"
    assert module_name("a/b/__init__.py") == "a.b"
    assert module_name("src/pkg/m.py") == "pkg.m"
    assert module_name("src/pkg/__init__.pyi") == "pkg"
    assert module_name("top.py") == "top"


def test_python_imports_resolve_relative_ones_from_the_package() -> None:
    source = (
        "from __future__ import annotations\n"
        "import os.path as p, json\n"
        "from . import x\n"
        "from ..util import y, z as zed\n"
        "from .deep.er import *\n"
        "def lazy():\n"
        "    try:\n"
        "        from ... import too_high\n"
        "    except ImportError:\n"
        "        import json\n"
    )
    assert python_imports(source, "pkg/sub/m.py") == [
        "os.path", "json", "pkg.sub", "pkg.sub.x", "pkg.util", "pkg.util.y", "pkg.util.z", "pkg.sub.deep.er",
    ]


def test_relative_imports_of_a_package_init_and_the_src_layout() -> None:
    assert python_imports("from . import x\nfrom .. import up\n", "src/pkg/sub/__init__.py") == [
        "pkg.sub", "pkg.sub.x", "pkg", "pkg.up",
    ]
    assert python_imports(ast.parse("from .m import f\n"), "src/pkg/n.py") == ["pkg.m", "pkg.m.f"]


def test_python_imports_of_broken_source_or_a_top_level_relative_import() -> None:
    assert python_imports("def broken(:\n", "a.py") == []
    assert python_imports("x = '\x00'\0", "a.py") == []
    assert python_imports("from . import sibling\nimport ok\n", "top.py") == ["ok"]


def test_the_shop_cart_in_rank_order() -> None:
    result = related_files("shop/cart.py", "add a discount", SHOP, target_imports=SHOP["shop/cart.py"].imports)
    assert as_rows(result) == [
        ("shop/models.py", IMPORTED, 0),
        ("shop/pricing.py", IMPORTED, 0),
        ("shop/api.py", IMPORTER, 1),
        ("tests/test_cart.py", TEST, 1),
        ("shop/__init__.py", SAME_PACKAGE, 2),
        ("shop/test_helpers.py", SAME_PACKAGE, 2),  # another file's test: last of the siblings
        ("docs/cart_notes.md", SIMILAR_NAME, 3),
    ]


def test_importers_of_a_package_init_count_names_under_it() -> None:
    result = related_files("billing/__init__.py", "", python_index({
        "billing/__init__.py": "", "billing/models.py": "", "app.py": "from billing.models import Invoice\n",
        "tests/test_billing.py": "",
    }))
    assert as_rows(result) == [
        ("app.py", IMPORTER, 1),
        ("tests/test_billing.py", TEST, 1),
        ("billing/models.py", SAME_PACKAGE, 2),
    ]


def test_a_package_import_brings_its_init() -> None:
    index = python_index({"app/main.py": "import lib\nimport lib.core\n", "lib/__init__.py": "", "lib/core.py": ""})
    result = related_files("app/main.py", "", index, target_imports=index["app/main.py"].imports)
    assert as_rows(result)[:2] == [("lib/__init__.py", IMPORTED, 0), ("lib/core.py", IMPORTED, 0)]


def test_the_src_layout() -> None:
    index = python_index({
        "src/shop/__init__.py": "", "src/shop/cart.py": "from .models import Item\n", "src/shop/models.py": "",
        "tests/test_models.py": "from shop.models import Item\n", "tools/report.py": "import shop.cart\n",
    })
    result = related_files("src/shop/models.py", "", index)
    assert as_rows(result) == [  # tools/report.py imports shop.cart, not shop.models
        ("src/shop/cart.py", IMPORTER, 1),
        ("tests/test_models.py", TEST, 1),
        ("src/shop/__init__.py", SAME_PACKAGE, 2),
    ]
    cart = related_files("src/shop/cart.py", "", index, target_imports=index["src/shop/cart.py"].imports)
    assert as_rows(cart)[:2] == [("src/shop/models.py", IMPORTED, 0), ("tools/report.py", IMPORTER, 1)]


GO_INDEX = {
    "internal/store/store.go": FileImports("go", ("context", "database/sql")),
    "internal/store/query.go": FileImports("go", ("strings",)),
    "internal/store/store_test.go": FileImports("go", ("testing",)),
    "internal/store/query_test.go": FileImports("go", ("testing",)),
    "internal/web/handler.go": FileImports("go", ("net/http", "example.com/shop/internal/store")),
    "cmd/server/main.go": FileImports("go", ("example.com/shop/internal/store", "example.com/shop/internal/web")),
    "cmd/tool/store_test.go": FileImports("go", ("testing",)),  # another package's test of the same name
    "other/vendor.go": FileImports("go", ("example.com/elsewhere/internal/store",)),
}


def test_go_module_of_reads_the_module_line() -> None:
    assert go_module_of("// the shop\nmodule example.com/shop // trailing\n\ngo 1.22\n") == "example.com/shop"
    assert go_module_of('module "example.com/quoted"\n') == "example.com/quoted"
    assert go_module_of("module (\n\texample.com/block\n)\n") == "example.com/block"
    assert go_module_of("go 1.22\nrequire example.com/x v1.0.0\n") is None
    assert go_module_of("modules example.com/no\n") is None


def test_a_go_package_its_importers_and_its_test() -> None:
    module = go_module_of("module example.com/shop\n")
    result = related_files("internal/store/store.go", "", GO_INDEX, go_module=module)
    assert as_rows(result) == [
        ("cmd/server/main.go", IMPORTER, 1),
        ("internal/store/store_test.go", TEST, 1),
        ("internal/web/handler.go", IMPORTER, 1),
        ("internal/store/query.go", SAME_PACKAGE, 2),
        ("internal/store/query_test.go", SAME_PACKAGE, 2),
        ("cmd/tool/store_test.go", SIMILAR_NAME, 3),
    ]


def test_a_go_target_imports_the_files_of_workspace_packages_not_their_tests() -> None:
    main = "cmd/server/main.go"
    result = related_files(main, "", GO_INDEX, go_module="example.com/shop", target_imports=GO_INDEX[main].imports)
    assert as_rows(result)[:3] == [
        ("internal/store/query.go", IMPORTED, 0),
        ("internal/store/store.go", IMPORTED, 0),
        ("internal/web/handler.go", IMPORTED, 0),
    ]
    assert "internal/store/store_test.go" not in {item.path for item in result}


def test_without_a_module_path_go_imports_relate_nothing() -> None:
    result = related_files("internal/store/store.go", "", GO_INDEX)
    assert IMPORTER not in {item.reason for item in result}


def test_files_and_modules_named_in_the_prompt_come_first_in_prompt_order() -> None:
    prompt = "Use `billing.models` like shop/api.py does (see models.py:12), and shop.pricing.total."
    result = related_files("shop/cart.py", prompt, SHOP, target_imports=SHOP["shop/cart.py"].imports)
    assert as_rows(result)[:4] == [
        ("billing/models.py", NAMED, 0),
        ("shop/api.py", NAMED, 0),
        ("shop/models.py", NAMED, 0),  # the bare name: the one nearest the target, not billing's
        ("shop/pricing.py", NAMED, 0),  # shop.pricing.total names a function inside shop.pricing
    ]
    assert [item.path for item in result].count("shop/api.py") == 1


def test_a_bare_name_far_from_every_copy_names_them_all() -> None:
    result = related_files("tools/run.py", "compare models.py", SHOP)
    assert as_rows(result)[:2] == [("billing/models.py", NAMED, 0), ("shop/models.py", NAMED, 0)]


def test_similar_names_share_a_word_with_the_target() -> None:
    index = python_index({
        "svc/user_service.py": "", "store/user_store.py": "", "store/UserCache.py": "", "api/user-service-v2.py": "",
        "web/HTTPUserView.py": "", "tests/test_orders.py": "", "store/order_store.py": "", "misc/main.py": "",
        "user/orders.py": "", "auth/superuser.py": "", "svc_user/users.py": "",
    })
    result = related_files("svc/user_service.py", "", index)
    assert as_rows(result) == [  # a word in a folder, inside a longer word or plural is no shared word
        ("api/user-service-v2.py", SIMILAR_NAME, 3),  # two words shared
        ("store/UserCache.py", SIMILAR_NAME, 3),
        ("store/user_store.py", SIMILAR_NAME, 3),
        ("web/HTTPUserView.py", SIMILAR_NAME, 3),
    ]


def test_the_limit_keeps_the_best() -> None:
    result = related_files("shop/cart.py", "", SHOP, target_imports=SHOP["shop/cart.py"].imports, limit=3)
    assert [item.path for item in result] == ["shop/models.py", "shop/pricing.py", "shop/api.py"]
    assert related_files("shop/cart.py", "", SHOP, limit=0) == []
    with pytest.raises(ValueError, match="limit"):
        related_files("shop/cart.py", "", SHOP, limit=-1)


def test_a_new_target_gets_siblings_tests_and_prompt_names() -> None:
    index = {**SHOP, "tests/test_discount.py": FileImports("python", ("shop.discount",))}
    result = related_files("shop/discount.py", "apply it in shop/cart.py", index)
    assert as_rows(result) == [
        ("shop/cart.py", NAMED, 0),
        ("tests/test_discount.py", TEST, 1),
        ("shop/__init__.py", SAME_PACKAGE, 2),
        ("shop/api.py", SAME_PACKAGE, 2),
        ("shop/models.py", SAME_PACKAGE, 2),
        ("shop/pricing.py", SAME_PACKAGE, 2),
        ("shop/test_helpers.py", SAME_PACKAGE, 2),
    ]
    guessed = related_files("shop/discount.py", "", index, target_imports=["shop.pricing"])
    assert as_rows(guessed)[0] == ("shop/pricing.py", IMPORTED, 0)


def test_odd_characters_in_paths() -> None:
    index = {
        "my docs/read me.py": FileImports("python"),
        "web/[slug]/page.py": FileImports("python"),
        "notes/#1 draft.md": FileImports("text"),
        "ünï/café.py": FileImports("python"),
        "ünï/crème.py": FileImports("python", ("ünï.café",)),
    }
    prompt = 'Follow "my docs/read me.py" and web/[slug]/page.py, and notes/#1 draft.md.'
    result = related_files("ünï/café.py", prompt, index)
    assert as_rows(result) == [
        ("my docs/read me.py", NAMED, 0),
        ("web/[slug]/page.py", NAMED, 0),
        ("notes/#1 draft.md", NAMED, 0),
        ("ünï/crème.py", IMPORTER, 1),
    ]


def test_the_target_never_appears() -> None:
    result = related_files("shop/cart.py", "shop/cart.py and cart.py and shop.cart", SHOP,
                           target_imports=["shop.cart"])
    assert "shop/cart.py" not in {item.path for item in result}


def test_an_index_of_twenty_thousand_files() -> None:
    index: dict[str, FileImports] = {}
    for package in range(400):
        for module in range(50):
            imports = (f"pkg{package}.mod{(module + 1) % 50}", "os")
            index[f"pkg{package}/mod{module}.py"] = FileImports("python", imports)
    index["pkg7/mod3_worker.py"] = FileImports("python", ("pkg7.mod3",))
    index["tests/test_mod3.py"] = FileImports("python", ("pkg7.mod3",))
    result = related_files("pkg7/mod3.py", "see pkg9/mod9.py", index, target_imports=index["pkg7/mod3.py"].imports)
    assert as_rows(result)[:5] == [
        ("pkg9/mod9.py", NAMED, 0),
        ("pkg7/mod4.py", IMPORTED, 0),
        ("pkg7/mod2.py", IMPORTER, 1),
        ("pkg7/mod3_worker.py", IMPORTER, 1),
        ("tests/test_mod3.py", TEST, 1),
    ]
    assert [item.rank for item in result[5:]] == [2] * 7
    assert len(result) == 12
    package = related_files("pkg7/__init__.py", "", index)  # a new package: everything importing pkg7.*
    assert as_rows(package) == [(path, IMPORTER, 1) for path in sorted(f"pkg7/mod{n}.py" for n in range(50))[:12]]
