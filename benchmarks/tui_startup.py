"""Start to first frame of the workbench (goal ≤ 1 s), against a bare Textual app in the same run.

Each measurement is a fresh `python` process (imports included), run headless at 120×40: the time from
spawning it to the line it prints right after its first screen refresh. The workbench's workspace holds
the demo project with a few sessions, so the first frame shows a list and a block.

    .venv/bin/python benchmarks/tui_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

FRAME = "first-frame"


def child_bare() -> None:
    from textual.app import App
    from textual.widgets import Footer, Header, Static

    class Bare(App[None]):
        def compose(self):
            yield Header()
            yield Static("hello")
            yield Footer()

        def on_mount(self) -> None:
            self.call_after_refresh(lambda: (print(FRAME, flush=True), self.exit()))

    asyncio.run(Bare().run_async(headless=True, size=(120, 40)))


def child_brainloop(workspace: Path, base_url: str) -> None:
    from brainloop_tui.core.config import Settings
    from brainloop_tui.tui.app import open_app

    async def main() -> None:
        settings = Settings(base_url=base_url, model="test-model", api_key="bench", provider="http")
        app = await open_app(workspace, settings)
        app.call_later(lambda: app.call_after_refresh(lambda: (print(FRAME, flush=True), app.exit())))
        await app.wb.worker.run(app.run_async(headless=True, size=(120, 40)))

    asyncio.run(main())


def measure(argv: list[str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, *argv], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == FRAME:
            elapsed = time.perf_counter() - started
            break
    else:
        raise RuntimeError(f"{argv}: no first frame")
    process.wait()
    return elapsed


async def prepare(workspace: Path) -> str:
    from loopback_llm import Answer, LoopbackLLM

    from brainloop_tui.core.config import Settings
    from brainloop_tui.core.demo import make_demo_workspace
    from brainloop_tui.core.workbench import Workbench

    make_demo_workspace(workspace)
    async with LoopbackLLM(default=Answer("def report():\n    return 'stock'\n")) as server:
        settings = Settings(base_url=server.base_url, model="test-model", api_key="bench", provider="http")
        workbench = await Workbench.open(workspace, settings, "cli")
        for index in range(5):
            await workbench.loop.propose(f"report number {index}", [f"inventory/report_{index}.py"])
        await workbench.store.close(checkpoint=True)
        return server.base_url  # the server is gone after this: the first frame makes no call


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", choices=("bare", "brainloop"))
    parser.add_argument("--workspace", type=Path)
    parser.add_argument("--base-url", default="http://127.0.0.1:9/v1")
    args = parser.parse_args()
    if args.child == "bare":
        return child_bare()
    if args.child == "brainloop":
        return child_brainloop(args.workspace, args.base_url)
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder) / "demo"
        base_url = asyncio.run(prepare(workspace))
        bare = [measure(["--child", "bare"]) for _ in range(args.runs)]
        ours = [measure(["--child", "brainloop", "--workspace", str(workspace), "--base-url", base_url])
                for _ in range(args.runs)]
    bare_s, ours_s = statistics.median(bare), statistics.median(ours)
    print(f"bare Textual app : median {bare_s * 1000:6.0f} ms  (min {min(bare) * 1000:.0f})")
    print(f"brainloop        : median {ours_s * 1000:6.0f} ms  (min {min(ours) * 1000:.0f})")
    print(f"ratio {ours_s / bare_s:.2f}×; goal ≤ 1 s: {'met' if ours_s <= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
