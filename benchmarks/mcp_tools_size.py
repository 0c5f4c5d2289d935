"""What `tools/list` costs a model's context: the one `brainloop` tool, as the server sends it, against
the same eleven actions published the usual way, as eleven tools with full JSON Schemas (goal ≤ 15%).

    .venv/bin/python benchmarks/mcp_tools_size.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import mcp_types as types

from brainloop_tui.core.actions import ACTIONS

TOKEN_CHARS = 4  # a rough rule for English and JSON; the ratio does not depend on it


def wire(result: types.ListToolsResult) -> str:
    """A `tools/list` result as the SDK's server writes it."""
    return json.dumps(result.model_dump(mode="json", by_alias=True, exclude_none=True), separators=(",", ":"))


def eleven_tools() -> types.ListToolsResult:
    return types.ListToolsResult(tools=[
        types.Tool(name=name, description=action.summary, input_schema=action.params.model_json_schema())
        for name, action in ACTIONS.items()])


def served_listing() -> str:
    """`tools/list` from a running `brainloop --headless`, exactly as it came over stdio."""
    with tempfile.TemporaryDirectory() as temp:
        env = {key: value for key, value in os.environ.items() if not key.startswith("BRAINLOOP_")}
        env |= {"XDG_CONFIG_HOME": str(Path(temp) / "config"), "BRAINLOOP_LOG_LEVEL": "WARNING"}
        server = subprocess.Popen([sys.executable, "-m", "brainloop_tui", "--headless", "--workspace", temp],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        assert server.stdin is not None and server.stdout is not None
        for request in (
            {"jsonrpc": "2.0", "id": 1, "method": "initialize",
             "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                        "clientInfo": {"name": "benchmark", "version": "1"}}},
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        ):
            server.stdin.write(json.dumps(request) + "\n")
        server.stdin.flush()
        answers: list[dict[str, Any]] = [json.loads(server.stdout.readline()) for _ in range(2)]
        server.stdin.close()  # the server stops when its client leaves
        server.wait(timeout=60)
    return wire(types.ListToolsResult.model_validate(answers[1]["result"]))


def main() -> None:
    ours = served_listing()
    theirs = wire(eleven_tools())
    print(f"{'tools/list result':40}{'characters':>12}{'~tokens':>10}")
    for label, text in (("brainloop: 1 tool, 11 actions", ours), ("the same 11 actions as 11 tools", theirs)):
        print(f"{label:40}{len(text):12,}{len(text) // TOKEN_CHARS:10,}")
    print(f"one tool / eleven tools: {len(ours) / len(theirs):.1%} (goal <= 15%)")


if __name__ == "__main__":
    main()
