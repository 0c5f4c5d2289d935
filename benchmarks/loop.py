"""The loop's own cost, measured against the model call it wraps, in one run.

1. Overhead per iteration with an instant LLM: a refine (prompt building, streaming, cleaning,
   validation, SQLite bookkeeping) against the same chat call made directly. Goal: <= 20 ms.
2. Four blocks against a server that takes 1 s per answer: one propose of four targets, against one
   single call. Goal: <= 1.3 s in total (the blocks run concurrently).

    .venv/bin/python benchmarks/loop.py [--iterations 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from loopback_llm import Answer, LoopbackLLM  # noqa: E402 - the tests' OpenAI-compatible server

from brainloop_tui.core.config import Settings  # noqa: E402
from brainloop_tui.core.db import Store  # noqa: E402
from brainloop_tui.core.llm import ChatRequest, HttpProvider, complete  # noqa: E402
from brainloop_tui.core.loop.engine import Loop  # noqa: E402

CODE = "```python\ndef add(a: int, b: int) -> int:\n    return a + b\n```"


async def timed(work) -> float:
    started = time.perf_counter()
    await work
    return (time.perf_counter() - started) * 1000


@asynccontextmanager
async def loop_on(server: LoopbackLLM, workspace: Path) -> AsyncIterator[tuple[Loop, HttpProvider]]:
    """A loop and the provider it uses, so direct calls and loop calls share one connection pool."""
    settings = Settings(provider="http", base_url=server.base_url, model=server.model, api_key="k", auto_refine=0, candidates=1)
    provider = HttpProvider(base_url=server.base_url, model=server.model, api_key="k")

    async def same_provider() -> HttpProvider:
        return provider

    async with await Store.open(workspace) as store:
        yield Loop(store, settings, same_provider, origin="cli"), provider


async def overhead(server: LoopbackLLM, workspace: Path, iterations: int) -> None:
    server.default = Answer(CODE, chunks=1)
    async with loop_on(server, workspace) as (loop, provider):
        state = await loop.propose("an add function", ["calc.py"])
        request = ChatRequest.of("an add function", temperature=0.3, max_completion_tokens=256)
        raw, looped = [], []
        for _ in range(iterations):  # interleaved, so both sides see the same machine
            raw.append(await timed(complete(provider, request)))
            looped.append(await timed(loop.refine(state.session.id, None, "again")))
    raw_ms, loop_ms = statistics.median(raw), statistics.median(looped)
    print(f"instant LLM: direct call p50 {raw_ms:.1f} ms, loop iteration p50 {loop_ms:.1f} ms, "
          f"overhead {loop_ms - raw_ms:.1f} ms per iteration (goal <= 20 ms)")


async def parallel_blocks(server: LoopbackLLM, workspace: Path) -> None:
    server.default = Answer(CODE, chunks=1, first_byte_delay=1.0)
    async with loop_on(server, workspace) as (loop, provider):
        one = await timed(complete(provider, ChatRequest.of("x", temperature=0.6, max_completion_tokens=256)))
        four = await timed(loop.propose("four modules", ["a.py", "b.py", "c.py", "d.py"]))
    print(f"1 s per answer: one direct call {one / 1000:.2f} s, four blocks in one propose {four / 1000:.2f} s "
          f"({four / one:.2f}x one call; goal <= 1.3 s)")


async def main(iterations: int) -> None:
    async with LoopbackLLM() as server:
        with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
            await overhead(server, Path(first), iterations)
            await parallel_blocks(server, Path(second))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=50)
    asyncio.run(main(parser.parse_args().iterations))
