"""MCP face timings, each against a baseline measured in the same run (the machine is shared and noisy:
only the ratios mean something).

1. Cold start, spawn → `initialize` answer: `brainloop --headless` against a bare SDK server with one
   tool (goal ≤ 1.2×). Spawn → first `tools/list` answer and → first tool result are shown too: the
   handshake needs nothing of the workspace, so the server answers it while the core is still loading.
2. A cached `read_markdown` round trip (p50, p95) against the bare server's echo tool.

    .venv/bin/python benchmarks/mcp_startup.py [--rounds 7] [--calls 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BARE_SERVER = '''
import anyio
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

TOOL = types.Tool(name="echo", description="Echo the arguments back.",
                  input_schema={"type": "object", "properties": {"text": {"type": "string"}}})


async def list_tools(ctx, params):
    return types.ListToolsResult(tools=[TOOL])


async def call_tool(ctx, params):
    return types.CallToolResult(content=[types.TextContent(type="text", text="echo")],
                                structured_content=params.arguments or {})


async def main():
    server = Server("bare", on_list_tools=list_tools, on_call_tool=call_tool)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


anyio.run(main)
'''

INITIALIZE = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
              "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                         "clientInfo": {"name": "benchmark", "version": "1"}}}


class Peer:
    """A server process spoken to in raw JSON-RPC lines, so that the client costs next to nothing."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=env, cwd=cwd)
        self._id = 0

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self._id, "method": method}
        if params is not None:
            message["params"] = params
        return self.send(message)

    def send(self, message: dict[str, Any], *, answered: bool = True) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()
        if not answered:
            return {}
        answer = json.loads(self.process.stdout.readline())
        if "error" in answer or answer.get("result", {}).get("isError"):
            raise SystemExit(f"unexpected answer: {answer}")
        return answer

    def since_start(self) -> float:
        return time.perf_counter() - self.started

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def cold_start(command: list[str], env: dict[str, str], cwd: Path, call: dict[str, Any]) -> tuple[float, float, float]:
    """Seconds from spawn to the initialize answer, to the tools/list answer, and to a first tool result."""
    peer = Peer(command, env, cwd)
    peer.send(INITIALIZE)
    initialized = peer.since_start()
    peer.send({"jsonrpc": "2.0", "method": "notifications/initialized"}, answered=False)
    peer.request("tools/list")
    listed = peer.since_start()
    peer.request("tools/call", call)
    called = peer.since_start()
    peer.close()
    return initialized, listed, called


def round_trips(command: list[str], env: dict[str, str], cwd: Path, call: dict[str, Any], count: int) -> list[float]:
    peer = Peer(command, env, cwd)
    peer.send(INITIALIZE)
    peer.send({"jsonrpc": "2.0", "method": "notifications/initialized"}, answered=False)
    peer.request("tools/call", call)  # the first one fills the cache
    times = []
    for _ in range(count):
        started = time.perf_counter()
        peer.request("tools/call", call)
        times.append(time.perf_counter() - started)
    peer.close()
    return times


def make_workspace(folder: Path) -> Path:
    workspace = folder / "ws"
    workspace.mkdir()
    sections = "\n".join(f"## Part {n}\n\nSome *text* with a [link](https://example.com/{n}).\n\n"
                         f"```python\nprint({n})\n```\n" for n in range(200))
    (workspace / "README.md").write_text(f"# Benchmark\n\n{sections}", encoding="utf-8")
    return workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="cold starts of each server")
    parser.add_argument("--calls", type=int, default=200, help="round trips measured on each server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        workspace = make_workspace(folder)
        bare_script = folder / "bare_server.py"
        bare_script.write_text(BARE_SERVER, encoding="utf-8")
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("BRAINLOOP_") and key != "CEREBRAS_API_KEY"}
        # No model is called; the settings only keep the run away from any real endpoint and user config.
        env |= {"XDG_CONFIG_HOME": str(folder / "config"), "BRAINLOOP_PROVIDER": "http",
                "BRAINLOOP_BASE_URL": "http://127.0.0.1:9/v1", "BRAINLOOP_API_KEY": "unused",
                "BRAINLOOP_LOG_LEVEL": "WARNING"}
        ours = [sys.executable, "-m", "brainloop_tui", "--headless", "--workspace", str(workspace)]
        bare = [sys.executable, str(bare_script)]
        read = {"name": "brainloop", "arguments": {"action": "read_markdown", "params": {"path": "README.md"}}}
        echo = {"name": "echo", "arguments": {"text": "README.md"}}

        brainloop_runs, bare_runs = [], []
        for _ in range(args.rounds):  # interleaved, so that both see the same machine
            bare_runs.append(cold_start(bare, env, workspace, echo))
            brainloop_runs.append(cold_start(ours, env, workspace, read))
        print(f"cold start, median of {args.rounds} (seconds from spawn)")
        print(f"{'':24}{'bare SDK server':>16}{'brainloop':>12}{'ratio':>8}")
        for index, label in enumerate(("initialize answer", "tools/list answer", "first tool result")):
            bare_s = statistics.median(run[index] for run in bare_runs)
            ours_s = statistics.median(run[index] for run in brainloop_runs)
            goal = "  (goal <= 1.20x)" if index == 0 else ""
            print(f"{label:24}{bare_s:16.3f}{ours_s:12.3f}{ours_s / bare_s:7.2f}x{goal}")

        bare_trips = round_trips(bare, env, workspace, echo, args.calls)
        read_trips = round_trips(ours, env, workspace, read, args.calls)
        print(f"\nround trip of a tools/call, {args.calls} calls (milliseconds)")
        print(f"{'':34}{'p50':>8}{'p95':>8}")
        for label, trips in (("bare SDK server, echo tool", bare_trips), ("brainloop read_markdown, cached", read_trips)):
            p50, p95 = statistics.quantiles(trips, n=100)[49], statistics.quantiles(trips, n=100)[94]
            print(f"{label:34}{p50 * 1000:8.2f}{p95 * 1000:8.2f}")
        ratio = statistics.median(read_trips) / statistics.median(bare_trips)
        print(f"cached read_markdown p50 / echo p50: {ratio:.2f}x")


if __name__ == "__main__":
    main()
