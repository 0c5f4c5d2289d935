"""explore of the Python standard library: cold (no cache), warm (nothing changed), and after one
file changed (the map is rebuilt from cached digests). Times are measured in this run and compared
with each other, never with fixed numbers.

    .venv/bin/python benchmarks/explore.py [--max-files N] [--max-tokens N]

The standard library (`sysconfig.get_paths()["stdlib"]`, without site-packages) is copied into a
temporary workspace, so that Brainloop's state never lands in the Python installation.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sysconfig
import tempfile
import time
from pathlib import Path

from brainloop_tui.core.db import Store
from brainloop_tui.core.explore import ExploreResult, explore
from brainloop_tui.core.readers.render import token_estimate


def copy_stdlib(target: Path) -> Path:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    workspace = target / "stdlib"
    shutil.copytree(stdlib, workspace, ignore=shutil.ignore_patterns("site-packages", "__pycache__"), symlinks=True)
    return workspace


async def timed(store: Store, max_files: int, max_tokens: int) -> tuple[float, ExploreResult]:
    start = time.perf_counter()
    result = await explore(store, max_files=max_files, max_tokens=max_tokens)
    return time.perf_counter() - start, result


def describe(label: str, seconds: float, result: ExploreResult) -> None:
    print(
        f"{label:<22} {seconds:8.3f} s  files={len(result.entries):5d}  built={result.digests_built:5d}  "
        f"cached={result.digests_cached:5d}  from_cache={result.from_cache}"
    )


async def main(max_files: int, max_tokens: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        workspace = copy_stdlib(Path(folder))
        async with await Store.open(workspace) as store:
            cold_s, cold = await timed(store, max_files, max_tokens)
            warm_s, warm = await timed(store, max_files, max_tokens)
            touched = workspace / "os.py"
            touched.write_text(touched.read_text(encoding="utf-8") + "\n# touched\n", encoding="utf-8")
            one_s, one = await timed(store, max_files, max_tokens)
        describe("cold", cold_s, cold)
        describe("warm (unchanged)", warm_s, warm)
        describe("one file changed", one_s, one)
        print(f"cold / warm            {cold_s / warm_s:8.1f}x")
        print(f"cold / one changed     {cold_s / one_s:8.1f}x")
        print(f"map text               {cold.token_estimate:8d} tokens (budget {max_tokens}), cut={cold.cut}")
        print(f"structured result      {token_estimate(cold.model_dump_json()):8d} tokens as JSON")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-files", type=int, default=5_000)
    parser.add_argument("--max-tokens", type=int, default=4_000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.max_files, arguments.max_tokens))
