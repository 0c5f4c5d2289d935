"""What the agent's model reads is `structuredContent` (Claude Code and VS Code pass its JSON to the
model and drop the text): each result, measured as that JSON on a spawned server, stays within its
budget whatever the input, says what it cut and how to get more, and `detail: "full"` gives the rest."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any

from files import write
from loopback_llm import Answer, LoopbackLLM

from .mcp_helpers import call, mcp_client, ok, refused, server_parameters


def tokens(data: Any) -> int:
    """As the client hands it to the model: `JSON.stringify`, no spaces, unicode as is; chars / 4."""
    return math.ceil(len(json.dumps(data, ensure_ascii=False, separators=(",", ":"))) / 4)


def make_huge_inputs(workspace: Path) -> None:
    write(workspace, "big/functions.py", "".join(
        f"def function_{i}(value: int, other: str = 'x') -> int:\n    return value + {i}\n\n\n" for i in range(100_000)))
    write(workspace, "big/sections.md", "".join(f"## Section {i}\n\nSome text with a [link](#section-{i}).\n\n"
                                                for i in range(10_000)))
    write(workspace, "big/keys.yaml", "".join(f"key_{i}: \"value with \\\"quotes\\\" {i}\"\n" for i in range(2_000)))
    conn = sqlite3.connect(workspace / "big/tables.db")
    conn.executescript("".join(f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT, note TEXT);"
                               for i in range(300)))
    conn.close()
    for i in range(1_500):
        write(workspace, f"tree/part_{i % 30}/module_{i}.py", f"def run_{i}() -> int:\n    return {i}\n")


# each read, and how its compact text says what it leaves out
READS = [("read_code", "big/functions.py", 'more lines of text not shown: detail: "full"'),
         ("read_markdown", "big/sections.md", "… 9,700 more sections not listed"),
         ("read_config", "big/keys.yaml", "… 1,960 more top-level entries not listed"),
         ("read_sqlite", "big/tables.db", 'more lines of text not shown: detail: "full"')]


async def test_reads_and_explore_stay_within_budget_and_say_how_to_get_more(workspace: Path, tmp_path: Path) -> None:
    make_huge_inputs(workspace)
    async with mcp_client(server_parameters(workspace), tmp_path / "err.log") as client:
        for action, path, left_out in READS:
            compact = ok(await call(client, action, {"path": path}))
            assert tokens(compact) <= 2_000, (action, tokens(compact))
            assert compact["path"] == path and compact["text"] and "structure" not in compact
            assert left_out in compact.get("cut", "") + compact["text"], (action, compact.get("cut"), compact["text"][-200:])
            full = ok(await call(client, action, {"path": path, "detail": "full"}))
            assert full["structure"] and tokens(full) > tokens(compact)

        for max_tokens in (None, 500):
            params = {"path": "tree", "max_files": 2_000, **({"max_tokens": max_tokens} if max_tokens else {})}
            mapped = ok(await call(client, "explore", params))
            assert tokens(mapped) <= (max_tokens or 4_000) * 1.1, tokens(mapped)
            assert mapped["files"] == 1_500 and "sub-folder" in mapped["cut"]
            assert "entries" not in mapped
        full = ok(await call(client, "explore", {"path": "tree", "max_files": 2_000, "detail": "full"}))
        assert len(full["entries"]) == 1_500

        message = refused(await call(client, "read_code", {"path": "big/functions.py", "detail": "everything"}))
        assert "detail" in message and "compact" in message


async def test_every_error_stays_within_200_tokens(workspace: Path, tmp_path: Path) -> None:
    long_name = "é\"\\" * 1_300  # escapes make its JSON longer than its text
    async with mcp_client(server_parameters(workspace), tmp_path / "err.log") as client:
        for result in (await call(client, "read_code", {"path": f"missing/{long_name}.py"}),
                       await call(client, "loop", {"step": "audit", "session_id": long_name[:150]}),
                       await call(client, "loop", {"step": "list", **{f"{i}{long_name[:150]}": 1 for i in range(20)}}),
                       await call(client, "nonsense", {"x": long_name})):
            refused(result)
            assert tokens(result.structured_content) <= 200, tokens(result.structured_content)
    assert "whole message of a cut error" in (tmp_path / "err.log").read_text(encoding="utf-8")


async def test_the_loop_answers_with_code_diff_and_diagnostics_and_pages_its_list(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    write(workspace, "calc.py", "def add(a, b):\n    return a - b\n")
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        loopback_llm.enqueue(Answer("```python\ndef add(a, b):\n    return a + b\n```"))
        proposed = ok(await call(client, "loop", {"step": "propose", "prompt": "fix add", "path": "calc.py"}))
        (block,) = proposed["blocks"]
        assert block["code"] == "def add(a, b):\n    return a + b\n" and block["status"] == "proposed"
        audit = ok(await call(client, "loop", {"step": "audit", "session_id": proposed["session_id"]}))
        assert "-    return a - b" in audit["diff"] and "+    return a + b" in audit["diff"]
        assert audit["history"] == ["1 propose done, 0 errors"]
        own = tokens(audit["code"]) + tokens(audit["diff"]) + tokens(audit["diagnostics"])
        assert tokens(audit) <= own + 300
        loopback_llm.enqueue(Answer("```python\ndef add(a: int, b: int) -> int:\n    return a + b\n```"))
        refined = ok(await call(client, "loop", {"step": "refine", "session_id": proposed["session_id"],
                                                  "feedback": "type it"}))
        assert refined["iteration"] == 2 and "a: int" in refined["code"]

        for number in range(40):
            loopback_llm.enqueue(Answer("```python\nX = 1\n```"))
            ok(await call(client, "loop", {"step": "propose", "prompt": f"session {number} " + "long words " * 40,
                                           "path": f"s{number}.py"}))
        first = ok(await call(client, "loop", {"step": "list"}))
        assert tokens(first) <= 1_500 and "page 2" in first["more"]
        assert first["sessions"][0]["title"].startswith("session 39")  # newest first
        second = ok(await call(client, "loop", {"step": "list", "page": 2}))
        seen = [s["id"] for s in first["sessions"]] + [s["id"] for s in second["sessions"]]
        assert len(seen) == len(set(seen))
        last = ok(await call(client, "loop", {"step": "list", "page": 10}))
        assert last["sessions"] == [] and "more" not in last


async def test_a_read_with_summarize_asks_the_model_once_until_the_file_changes(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    write(workspace, "shop/cart.py", "def total(items: list[int]) -> int:\n    return sum(items)\n")
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        loopback_llm.enqueue(Answer("Sums the cart."))
        first = ok(await call(client, "read_code", {"path": "shop/cart.py", "summarize": True}))
        assert first["summary"] == "Sums the cart." and len(loopback_llm.chat_requests()) == 1
        again = ok(await call(client, "read_code", {"path": "shop/cart.py", "summarize": True}))
        plain = ok(await call(client, "read_code", {"path": "shop/cart.py"}))
        assert again["summary"] == plain["summary"] == "Sums the cart." and len(loopback_llm.chat_requests()) == 1

        write(workspace, "shop/cart.py", "def total(items: list[int]) -> int:\n    return sum(items) * 2\n")
        assert "summary" not in ok(await call(client, "read_code", {"path": "shop/cart.py"}))
        loopback_llm.enqueue(Answer("Doubles the sum of the cart."))
        changed = ok(await call(client, "read_code", {"path": "shop/cart.py", "summarize": True}))
        assert changed["summary"] == "Doubles the sum of the cart." and len(loopback_llm.chat_requests()) == 2


async def test_a_summary_the_model_cannot_write_is_an_error_and_the_read_still_works(
        workspace: Path, tmp_path: Path) -> None:
    write(workspace, "cart.py", "X = 1\n")
    async with mcp_client(server_parameters(workspace), tmp_path / "err.log") as client:  # no model listens
        refused(await call(client, "read_code", {"path": "cart.py", "summarize": True}))
        assert "summary" not in ok(await call(client, "read_code", {"path": "cart.py"}))
