"""What an agent's model receives from a `brainloop --headless` call, by the rule Claude Code and VS
Code follow (the JSON of `structuredContent`, the text dropped): tokens (characters / 4) of each
compact result beside the source's own tokens, and beside the same call with `detail: "full"`.

Inputs: typing.py, _pydecimal.py and difflib.py of the standard library, a 1 MB Markdown file, a
10-million-row SQLite database (generated once, as `readers.py` does), a 2,000-key YAML file, and
explore of the whole standard library (`max_files` 5000). Goals: `read_*` ≤ 2,000 tokens, explore ≤
its `max_tokens` (4,000) + 10%, `tools/list` ≤ 450.

    .venv/bin/python benchmarks/agent_tokens.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from explore import copy_stdlib
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from readers import generate_big_database, markdown_document

from brainloop_tui.core.readers import MAX_FILE_BYTES

READ_GOAL, TOOLS_GOAL, EXPLORE_MAX_TOKENS = 2_000, 450, 4_000


def tokens(data: Any) -> int:
    return math.ceil(len(json.dumps(data, ensure_ascii=False, separators=(",", ":"))) / 4)


def make_inputs(workspace: Path, rows: int) -> list[tuple[str, str]]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    inputs = []
    for name in ("typing.py", "_pydecimal.py", "difflib.py"):
        shutil.copy(stdlib / name, workspace / name)
        inputs.append(("read_code", name))
    (workspace / "big.md").write_text(markdown_document(MAX_FILE_BYTES - 10_000), encoding="utf-8")
    (workspace / "keys.yaml").write_text("".join(f"setting_{i}: value {i}\n" for i in range(2_000)), encoding="utf-8")
    cache = Path(os.environ.get("BRAINLOOP_BENCH_CACHE", "/tmp/brainloop-bench"))
    cache.mkdir(parents=True, exist_ok=True)
    database = cache / f"events-{rows}.db"
    if not database.exists():
        generate_big_database(database, rows)
    try:  # a second name for the file (a symlink would point outside the workspace, which is refused)
        os.link(database, workspace / "events.db")
    except OSError:
        shutil.copy(database, workspace / "events.db")
    inputs += [("read_markdown", "big.md"), ("read_config", "keys.yaml"), ("read_sqlite", "events.db")]
    return inputs


def source_tokens(path: Path) -> int:
    return math.ceil(path.stat().st_size / 4)


async def call(client: Client, action: str, params: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool("brainloop", {"action": action, "params": params})
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def measure(workspace: Path, inputs: list[tuple[str, str]]) -> bool:
    env = {"XDG_CONFIG_HOME": str(workspace.parent / "config"), "BRAINLOOP_LOG_LEVEL": "WARNING",
           "BRAINLOOP_PROVIDER": "http", "BRAINLOOP_BASE_URL": "http://127.0.0.1:9/v1"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "brainloop_tui", "--headless", "--workspace",
                                                                 str(workspace)], env=env, cwd=str(workspace))
    met = True
    with open(os.devnull, "w") as quiet:
        async with Client(stdio_client(params, errlog=quiet), mode="legacy") as client:
            listing = await client.list_tools()
            listed = tokens(listing.model_dump(mode="json", by_alias=True, exclude_none=True))
            print(f"tools/list: {listed:,} tokens (goal <= {TOOLS_GOAL})")
            met &= listed <= TOOLS_GOAL
            print(f"\n{'call':34}{'source':>10}{'compact':>9}{'full':>9}{'compact/full':>14}  goal")
            for action, path in inputs:
                compact = await call(client, action, {"path": path})
                full = await call(client, action, {"path": path, "detail": "full"})
                ok = tokens(compact) <= READ_GOAL
                met &= ok
                print(f"{action + ' ' + path:34}{source_tokens(workspace / path):10,}{tokens(compact):9,}"
                      f"{tokens(full):9,}{tokens(compact) / tokens(full):14.1%}  <= {READ_GOAL:,} {'✓' if ok else '✗'}")
            stdlib = copy_stdlib(workspace)
            folder = stdlib.relative_to(workspace).as_posix()
            explore_params = {"path": folder, "max_files": 5000}
            compact = await call(client, "explore", explore_params)
            full = await call(client, "explore", {**explore_params, "detail": "full"})
            size = sum(p.stat().st_size for p in stdlib.rglob("*") if p.is_file() and not p.is_symlink())
            goal = EXPLORE_MAX_TOKENS * 1.1
            ok = tokens(compact) <= goal
            met &= ok
            print(f"{'explore ' + folder + ' (' + str(compact['files']) + ' files)':34}{math.ceil(size / 4):10,}"
                  f"{tokens(compact):9,}{tokens(full):9,}{tokens(compact) / tokens(full):14.1%}  <= {goal:,.0f} "
                  f"{'✓' if ok else '✗'}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        workspace = Path(temp) / "ws"
        workspace.mkdir()
        met = asyncio.run(measure(workspace, make_inputs(workspace, args.rows)))
    print("\nall goals met" if met else "\nsome goals NOT met")


if __name__ == "__main__":
    main()
