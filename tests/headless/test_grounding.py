"""Grounding through the public path: a spawned `brainloop --headless` on a workspace nobody extracted
anything from must send the project's conventions and related files to the model, keep them current
as files change, and record them on the iteration."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from files import write
from loopback_llm import Answer, LoopbackLLM

from .mcp_helpers import call, mcp_client, ok, server_parameters

STORE = '''package store

import (
	"context"
	"fmt"

	"go.uber.org/zap"
)

type Store struct{ log *zap.Logger }

func (s *Store) LoadItem(ctx context.Context, id string) (string, error) {
	item, err := s.fetch(ctx, id)
	if err != nil {
		return "", fmt.Errorf("load item %s: %w", id, err)
	}
	s.log.Info("loaded", zap.String("id", id))
	return item, nil
}

func (s *Store) fetch(ctx context.Context, id string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("empty id")
	}
	return id, nil
}
'''
ORDERS = STORE.replace("LoadItem", "LoadOrder").replace("load item", "load order")
GO_MOD = "module example.com/shop\n\ngo 1.21\n"
PYTHON = '''import logging

log = logging.getLogger(__name__)


def load_rows(row_count: int) -> list[int]:
    """Load rows."""
    log.info("loading %d", row_count)
    return list(range(row_count))
'''


def sent_prompt(server: LoopbackLLM, index: int = -1) -> str:
    """The system message and the task, as the model read them."""
    return "\n\n".join(m["content"] for m in server.chat_requests()[index].body["messages"][:2])


async def test_propose_sends_the_go_conventions_and_keeps_them_current(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    write(workspace, "go.mod", GO_MOD)
    write(workspace, "internal/store/store.go", STORE)
    write(workspace, "internal/store/orders.go", ORDERS)
    write(workspace, "internal/store/store_test.go", 'package store\n\nimport "testing"\n\nfunc TestX(t *testing.T) {}\n')
    loopback_llm.default = Answer("```go\npackage store\n\nfunc count() int { return 1 }\n```")
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        first = ok(await call(client, "loop", {"step": "propose", "prompt": "a Counter of items",
                                               "path": "internal/store/counter.go", "detail": "full"}))
        sent = sent_prompt(loopback_llm)
        assert "## Conventions of this project" in sent
        assert "Log with zap (go.uber.org/zap)" in sent
        assert "Return errors to the caller" in sent
        assert "Take a context.Context as the first parameter" in sent
        # the package's files go along, with why
        assert "internal/store/store.go (same package)" in sent

        grounding = first["blocks"][0]["iterations"][0]["grounding"]
        assert grounding["conventions_state"] == "current"
        assert any("zap" in line for line in grounding["conventions"])
        assert {f["path"] for f in grounding["files"]} >= {"internal/store/store.go", "internal/store/orders.go"}

        # The project moves to the standard log package: the next proposal says so, without any other call.
        for name in ("store.go", "orders.go"):
            text = (workspace / "internal/store" / name).read_text()
            text = text.replace('"go.uber.org/zap"', '"log"').replace('s.log.Info("loaded", zap.String("id", id))',
                                                                       'log.Printf("loaded %s", id)')
            write(workspace, f"internal/store/{name}", text)
        ok(await call(client, "loop", {"step": "propose", "prompt": "a Counter of items",
                                       "path": "internal/store/counter2.go"}))
        again = sent_prompt(loopback_llm)
        assert "zap" not in again.split("## Conventions of this project")[1].split("##")[0]
        assert "Log with the standard log package." in again


async def test_a_python_target_gets_its_imports_importers_and_tests(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    write(workspace, "shop/__init__.py", "")
    write(workspace, "shop/rows.py", PYTHON)
    write(workspace, "shop/money.py", PYTHON.replace("load_rows", "load_money"))
    write(workspace, "shop/cart.py", "from shop.money import load_money\n\n\ndef total() -> int:\n"
                                     "    \"\"\"Total.\"\"\"\n    return sum(load_money(2))\n")
    write(workspace, "shop/api.py", "from shop import cart\n")
    write(workspace, "tests/test_cart.py", "from shop.cart import total\n\n\ndef test_total():\n"
                                            "    assert total() == 1\n")
    loopback_llm.default = Answer("```python\nfrom shop.money import load_money\n\n\ndef total() -> int:\n"
                                  "    \"\"\"Total.\"\"\"\n    return sum(load_money(3))\n```")
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        state = ok(await call(client, "loop", {"step": "propose", "prompt": "count three rows",
                                               "path": "shop/cart.py", "detail": "full"}))
        sent = sent_prompt(loopback_llm)
        assert "Name functions, arguments and variables in snake_case." in sent
        assert "Annotate every parameter and every return type." in sent
        assert "Log with the standard logging module" in sent
        reasons = {f["path"]: f["reason"] for f in state["blocks"][0]["iterations"][0]["grounding"]["files"]}
        assert reasons["shop/money.py"] == "imported by the target"
        assert reasons["tests/test_cart.py"] == "test of the target"
        assert reasons["shop/api.py"] == "imports the target"
        assert sent.index("shop/money.py (imported by the target)") < sent.index("shop/rows.py (same package)")

        audit = ok(await call(client, "loop", {"step": "audit", "session_id": state["session"]["id"], "detail": "full"}))
        assert audit["iterations"][0]["grounding"]["checks"] == ["python", "pyflakes"]


ERRORS = '''class ParseError(ValueError):
    """Raised when a text cannot be parsed."""
'''
PRICING = '''import logging

from shop.errors import ParseError

log = logging.getLogger(__name__)
CENTS = 100


def parse_price(text: str) -> int:
    """Parse "12.50" into cents.

    Raises:
        ParseError: the text is not a price.
    """
    log.debug("parsing %r", text)
    try:
        return round(float(text) * CENTS)
    except ValueError as exc:
        raise ParseError(f"not a price: {text!r}") from exc
'''
FORGOT_THE_IMPORT = '''"""Quantities."""


def parse_quantity(text: str) -> int:
    """Parse "3" into 3."""
    if not text.isdigit():
        raise ParseError(f"not a quantity: {text!r}")
    return int(text)
'''


async def test_a_python_target_is_shown_a_function_of_the_project_and_gets_the_imports_it_forgot(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    write(workspace, "shop/__init__.py", "")
    write(workspace, "shop/errors.py", ERRORS)
    write(workspace, "shop/pricing.py", PRICING)
    loopback_llm.enqueue(Answer(f"```python\n{FORGOT_THE_IMPORT}```"))
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        written = ok(await call(client, "generate_file", {"path": "shop/quantity.py",
                                                          "prompt": "parse_quantity(text) -> int"}))
        task = loopback_llm.chat_requests()[0].body["messages"][1]["content"]
        # the function whole, with the names it uses, next to the task
        assert "## How this project writes code (from shop/pricing.py" in task
        assert "CENTS = 100" in task and "raise ParseError(f\"not a price" in task
        assert task.index("## How this project writes code") < task.index("## Conventions of this project")

        # one call, no refine: the import the answer forgot is added where the module's imports go
        assert len(loopback_llm.chat_requests()) == 1
        assert written["status"] == "committed"
        assert (workspace / "shop/quantity.py").read_text().startswith(
            '"""Quantities."""\n\nfrom shop.errors import ParseError\n\n\ndef parse_quantity')
        (added,) = [d for d in written["diagnostics"] if d["source"] == "imports"]
        assert added["severity"] == "info" and added["line"] == 3 and "from shop.errors import ParseError" in added["message"]

        audit = ok(await call(client, "loop", {"step": "audit", "session_id": written["session_id"], "detail": "full"}))
        assert audit["iterations"][0]["grounding"]["exemplar"] == "shop/pricing.py: parse_price"


HABITUAL_IMPORTS = '''package textutil

import (
	"context"
	"fmt"
)

// RunLength writes each run of a byte of s as the byte and its count.
func RunLength(s string) string {
    var out []byte
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		out = strconv.AppendInt(append(out, s[i]), int64(j-i), 10)
		i = j
	}
	return string(out)
}
'''


@pytest.mark.skipif(shutil.which("go") is None, reason="go is not installed")
async def test_a_go_answer_loses_the_imports_it_does_not_use_and_gets_those_it_forgot(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    write(workspace, "go.mod", "module example.com/text\n\ngo 1.19\n")
    write(workspace, "textutil/trim.go", 'package textutil\n\nimport "strings"\n\n'
                                         "// Trim trims s.\nfunc Trim(s string) string {\n\treturn strings.TrimSpace(s)\n}\n")
    loopback_llm.enqueue(Answer(f"```go\n{HABITUAL_IMPORTS}```"))
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        written = ok(await call(client, "generate_file", {"path": "textutil/rle.go", "prompt": "RunLength(s string) string"}))
    # one call, no refine: go vet passed on the repaired file, which is what was written
    assert len(loopback_llm.chat_requests()) == 1
    assert written["status"] == "committed"
    assert (workspace / "textutil/rle.go").read_text() == HABITUAL_IMPORTS.replace(
        '\t"context"\n\t"fmt"\n', '\t"strconv"\n').replace("    var out", "\tvar out")
    assert [(d["source"], d["message"]) for d in written["diagnostics"] if d["severity"] == "info"] == [
        ("imports", 'removed the import of "context": the code does not use it'),
        ("imports", 'removed the import of "fmt": the code does not use it'),
        ("imports", 'added the import of "strconv": the code used `strconv` without importing it'),
        ("gofmt", "formatted with gofmt"),
    ]
