"""Key-to-screen latency while a stream renders at ≥ 5,000 tokens/s (goal ≤ 50 ms), against the same
keys with nothing streaming, in the same run.

The workbench runs headless at 120×40 on a real workspace; a proposal streams from a paced
OpenAI-compatible SSE server run in a process of its own, as a real endpoint is: one token per event,
batches of 10 events every 2 ms (5,000 tokens/s). Meanwhile keys are typed into the sessions filter: a
key's latency is the time from handing it to the driver to the end of the first screen refresh that
shows it. It also reports the event loop's longest stall while streaming and the full garbage
collections that ran then (each stalls everything for ~100 ms; the workbench holds them off).

    .venv/bin/python benchmarks/tui_stream.py [--keys 60]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from textual import events  # noqa: E402
from textual.widgets import Input  # noqa: E402

from brainloop_tui.core.config import Settings  # noqa: E402
from brainloop_tui.tui.app import open_app  # noqa: E402

TOKENS = 40_000
RATE = 5_000  # tokens (events) a second
BATCH = 10


async def key_latency(app, field: Input, char: str) -> float:
    """Seconds from the key reaching the driver to the refresh after the field shows it."""
    shown = asyncio.Event()
    started = time.perf_counter()
    app._driver.send_message(events.Key(char, char))
    while not field.value.endswith(char):
        await asyncio.sleep(0)
    app.call_after_refresh(shown.set)
    await shown.wait()
    return time.perf_counter() - started


async def type_keys(app, count: int) -> list[float]:
    field = app.screen.query_one("#session-filter", Input)
    field.focus()
    latencies = []
    for index in range(count):
        field.value = ""
        await asyncio.sleep(0.02)  # keys at a person's pace, not back to back
        latencies.append(await key_latency(app, field, "abcdefghij"[index % 10]))
    return latencies


def count_full_collections(counted: list[float]):
    """A gc callback that appends the duration of every full (generation 2) collection to `counted`."""
    started: list[float] = []

    def callback(phase: str, info: dict) -> None:
        if info["generation"] == 2:
            if phase == "start":
                started[:] = [time.perf_counter()]
            elif started:
                counted.append(time.perf_counter() - started[0])

    return callback


async def watch_stalls(stalls: list[float]) -> None:
    """Every time the event loop wakes this task late, by how much: a stall freezes keys and stream alike."""
    while True:
        started = time.perf_counter()
        await asyncio.sleep(0.005)
        stalls.append(time.perf_counter() - started - 0.005)


def summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"{name:<22} p50 {statistics.median(values) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms"


def sse(delta: dict) -> bytes:
    payload = json.dumps({"id": "bench", "object": "chat.completion.chunk", "model": "test-model",
                          "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
    data = f"data: {payload}\n\n".encode()
    return b"%x\r\n%s\r\n" % (len(data), data)


async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(next((line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), b"0"))
    await reader.readexactly(length)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
    started = time.perf_counter()
    for batch in range(TOKENS // BATCH):
        writer.write(b"".join(sse({"content": "x = 1\n" if i % 2 else "y "}) for i in range(BATCH)))
        await writer.drain()
        await asyncio.sleep(max(0.0, started + (batch + 1) * BATCH / RATE - time.perf_counter()))
    done = {"id": "bench", "object": "chat.completion.chunk", "model": "test-model", "choices": [],
            "usage": {"prompt_tokens": 10, "completion_tokens": TOKENS, "total_tokens": TOKENS + 10}}
    tail = f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode()
    writer.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(tail), tail))
    await writer.drain()
    writer.close()


async def serve() -> None:
    """The server process: prints its address, then answers every request with the paced stream."""
    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1", flush=True)
    await asyncio.Event().wait()


async def main(keys: int) -> None:
    server = await asyncio.create_subprocess_exec(sys.executable, __file__, "--serve", stdout=asyncio.subprocess.PIPE)
    base_url = (await server.stdout.readline()).decode().strip()
    try:
        await measure(keys, base_url)
    finally:
        server.kill()
        await server.wait()


async def measure(keys: int, base_url: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder)
        if True:
            settings = Settings(base_url=base_url, model="test-model", api_key="bench", provider="http",
                                auto_refine=0, candidates=1, max_completion_tokens=TOKENS * 2)
            app = await open_app(workspace, settings)
            async with app.run_test(size=(120, 40), headless=True):
                await asyncio.sleep(0.5)
                idle = await type_keys(app, keys)
                received: list[tuple[float, int]] = []
                unsubscribe = app.wb.events.subscribe(
                    lambda e: received.append((time.perf_counter(), e.completion_tokens or 0))
                    if e.kind == "delta" else None)
                proposal = asyncio.create_task(app.wb.loop.propose("stream a lot", ["big.py"]))
                while not received:
                    await asyncio.sleep(0.01)
                stalls: list[float] = []
                full_collections: list[float] = []
                watcher = asyncio.create_task(watch_stalls(stalls))
                gc.callbacks.append(count_full_collections(full_collections))
                streaming = await type_keys(app, keys)
                still_streaming = not proposal.done()
                gc.callbacks.pop()
                watcher.cancel()
                await proposal
                unsubscribe()
            await app.wb.worker.shutdown()
    seconds = received[-1][0] - received[0][0]
    rate = received[-1][1] / seconds if seconds else float("inf")
    print(f"stream: {received[-1][1]:,} tokens in {seconds:.2f} s = {rate:,.0f} tokens/s "
          f"({'all keys typed while it streamed' if still_streaming else 'the stream ended before the last key'})")
    print(summary("keys, nothing streams", idle))
    print(summary("keys while streaming", streaming))
    long_stalls = [stall for stall in stalls if stall > 0.050]
    print(f"event loop while streaming: longest stall {max(stalls) * 1000:.1f} ms, "
          f"{len(long_stalls)} over 50 ms; full garbage collections {len(full_collections)}"
          + (f" (longest {max(full_collections) * 1000:.0f} ms)" if full_collections else ""))
    ratio = statistics.median(streaming) / statistics.median(idle)
    p95 = sorted(streaming)[max(0, int(len(streaming) * 0.95) - 1)]
    # The server paces 5,000 events a second; the rate seen between first and last event rounds about it.
    print(f"ratio of medians {ratio:.2f}×; goal p95 ≤ 50 ms at ≥ 5,000 tokens/s: "
          f"{'met' if p95 <= 0.050 and rate >= 0.99 * RATE else 'NOT met'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=60)
    parser.add_argument("--serve", action="store_true", help="internal: be the server process")
    arguments = parser.parse_args()
    asyncio.run(serve() if arguments.serve else main(arguments.keys))
