"""Memory of the workbench after 100 sessions of 10 iterations, against the same app on an empty
workspace, in the same run.

The workspace is filled through the loop itself (a proposal and nine refinements per session, each
iteration about 60 lines, from the loopback LLM server). Each measurement is a fresh process that runs
the app headless at 120×40, shows every session's blocks in turn (down arrow through the list, each
session's state loaded and its code drawn), shows the diff between iterations, then reports its
resident memory.

    .venv/bin/python benchmarks/tui_memory.py [--sessions 100 --iterations 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def code(session: int, iteration: int) -> str:
    lines = [f"def step_{session}_{iteration}_{n}(value: int) -> int:\n    return value + {n}\n" for n in range(30)]
    return "".join(lines)


async def fill(workspace: Path, sessions: int, iterations: int) -> None:
    from loopback_llm import Answer, LoopbackLLM

    from brainloop_tui.core.config import Settings
    from brainloop_tui.core.workbench import Workbench

    async with LoopbackLLM() as server:
        settings = Settings(base_url=server.base_url, model="test-model", api_key="bench", provider="http",
                            auto_refine=0, candidates=1)
        workbench = await Workbench.open(workspace, settings, "cli")
        for session in range(sessions):
            server.enqueue(*(Answer(code(session, i), chunks=8) for i in range(iterations)))
            state = await workbench.loop.propose(f"pipeline step {session}", [f"steps/step_{session}.py"])
            for iteration in range(1, iterations):
                await workbench.loop.refine(state.session.id, None, f"change {iteration}")
        await workbench.store.close(checkpoint=True)


def child(workspace: Path, browse: int) -> None:
    from brainloop_tui.core.config import Settings
    from brainloop_tui.tui.app import open_app

    async def main() -> dict:
        settings = Settings(base_url="http://127.0.0.1:9/v1", model="test-model", api_key="bench", provider="http")
        app = await open_app(workspace, settings)
        async with app.run_test(size=(120, 40), headless=True) as pilot:
            await asyncio.sleep(0.5)
            before = rss_mb()
            for _ in range(browse):
                await app._press_keys(["down"])
                await asyncio.sleep(0.05)
            await app._press_keys(["d"])
            await asyncio.sleep(0.5)
            after = rss_mb()
            shown = len(app.screen.sessions.sessions)
        await app.wb.worker.shutdown()
        return {"start_mb": before, "end_mb": after, "sessions": shown}

    print(json.dumps(asyncio.run(main())), flush=True)


def run_child(workspace: Path, browse: int) -> dict:
    output = subprocess.run([sys.executable, __file__, "--child", str(workspace), "--browse", str(browse)],
                            capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--child", type=Path)
    parser.add_argument("--browse", type=int, default=0)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.browse)
    with tempfile.TemporaryDirectory() as folder:
        empty, full = Path(folder) / "empty", Path(folder) / "full"
        empty.mkdir()
        full.mkdir()
        started = time.perf_counter()
        asyncio.run(fill(full, args.sessions, args.iterations))
        filled = time.perf_counter() - started
        size = sum(p.stat().st_size for p in (full / ".brainloop").glob("*.db"))
        baseline = run_child(empty, args.sessions)
        loaded = run_child(full, args.sessions)
    print(f"workspace: {args.sessions} sessions × {args.iterations} iterations, {size / 1e6:.1f} MB of SQLite, "
          f"filled in {filled:.0f} s")
    print(f"empty workspace : {baseline['start_mb']:6.1f} MB at start, {baseline['end_mb']:6.1f} MB after browsing")
    print(f"full workspace  : {loaded['start_mb']:6.1f} MB at start, {loaded['end_mb']:6.1f} MB after browsing "
          f"all {loaded['sessions']} sessions")
    print(f"difference {loaded['end_mb'] - baseline['end_mb']:+.1f} MB; ratio {loaded['end_mb'] / baseline['end_mb']:.2f}×")


if __name__ == "__main__":
    main()
