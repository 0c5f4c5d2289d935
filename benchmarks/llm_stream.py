"""Streaming client overhead: Brainloop's HTTP provider against plain httpx on the same loopback stream.

A server process sends 100,000 small chat-completion chunks (pre-encoded, so the client is what is
measured). Each client reads the whole stream; the ratios compare throughput and time to the first
token in this same run. Goals (issue 3): throughput >= 0.8x plain `aiter_lines()`, TTFT overhead
<= 2 ms.

    .venv/bin/python benchmarks/llm_stream.py [--chunks 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import statistics
import time

import httpx

from brainloop_tui.core.llm import ChatRequest, HttpProvider, close_shared_client, complete

MODEL = "bench-model"
REQUEST = ChatRequest.of("stream", temperature=0, max_completion_tokens=1)


def encoded_stream(chunks: int) -> bytes:
    def event(payload: dict) -> bytes:
        return b"data: " + json.dumps(payload).encode() + b"\n\n"

    piece = event({"id": "c", "object": "chat.completion.chunk", "model": MODEL,
                   "choices": [{"index": 0, "delta": {"content": "ab"}, "finish_reason": None}]})
    end = event({"id": "c", "object": "chat.completion.chunk", "model": MODEL,
                 "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 1, "completion_tokens": chunks, "total_tokens": chunks + 1}})
    return piece * chunks + end + b"data: [DONE]\n\n"


def serve(port: int, chunks: int) -> None:
    """The server process: `/models`, and `/chat/completions` streams `chunks` pieces (one piece when
    the prompt is "ttft", for the time-to-first-token rounds)."""
    long_body, short_body = encoded_stream(chunks), encoded_stream(1)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = json.loads(await reader.readexactly(length)) if length else {}
                if head.startswith(b"GET"):
                    payload = json.dumps({"data": [{"id": MODEL}]}).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                                 % (len(payload), payload))
                    continue
                stream = short_body if body["messages"][-1]["content"] == "ttft" else long_body
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                for start in range(0, len(stream), 65536):
                    block = stream[start : start + 65536]
                    writer.write(b"%x\r\n%s\r\n" % (len(block), block))
                    await writer.drain()
                writer.write(b"0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


async def ours(provider: HttpProvider, request: ChatRequest) -> tuple[float, float, int]:
    """(seconds to the end, seconds to the first delta, deltas)."""
    started = time.perf_counter()
    first: list[float] = []
    count = 0

    def on_delta(_delta: object) -> None:
        nonlocal count
        if not first:
            first.append(time.perf_counter())
        count += 1

    await complete(provider, request, on_delta)
    return time.perf_counter() - started, first[0] - started, count


async def plain(client: httpx.AsyncClient, url: str, request: ChatRequest, *, parse: bool) -> tuple[float, float, int]:
    """Plain httpx: `aiter_lines()`, counting `data:` lines (and decoding their JSON when `parse`)."""
    body = {"model": MODEL, "messages": [m.model_dump() for m in request.messages], "stream": True,
            "max_tokens": request.max_completion_tokens}
    started = time.perf_counter()
    first: list[float] = []
    count = 0
    async with client.stream("POST", url, json=body) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                if parse:
                    json.loads(line[6:])
                if not first:
                    first.append(time.perf_counter())
                count += 1
    return time.perf_counter() - started, first[0] - started, count - 1  # the finish chunk carries no text


async def run(port: int, chunks: int, rounds: int) -> None:
    base_url = f"http://127.0.0.1:{port}/v1"
    provider = HttpProvider(base_url=base_url, model=MODEL)
    client = httpx.AsyncClient(timeout=60)
    url = f"{base_url}/chat/completions"
    await ours(provider, REQUEST)  # warm up: the model check, connections, imports
    await plain(client, url, REQUEST, parse=False)

    totals: dict[str, list[float]] = {"brainloop": [], "httpx aiter_lines": [], "httpx aiter_lines + json": []}
    for _ in range(rounds):
        for name in totals:
            if name == "brainloop":
                seconds, _, count = await ours(provider, REQUEST)
            else:
                seconds, _, count = await plain(client, url, REQUEST, parse=name.endswith("json"))
            assert count == chunks, (name, count)
            totals[name].append(seconds)
    best = {name: min(values) for name, values in totals.items()}
    print(f"throughput over {chunks:,} chunks (best of {rounds}):")
    for name, seconds in best.items():
        print(f"  {name:26s} {seconds:7.3f} s  {chunks / seconds:12,.0f} chunks/s")
    raw = best["httpx aiter_lines"]
    print(f"  ratio brainloop / plain aiter_lines        = {raw / best['brainloop']:.2f}x (goal >= 0.8x)")
    print(f"  ratio brainloop / aiter_lines + json.loads = {best['httpx aiter_lines + json'] / best['brainloop']:.2f}x")

    ttft_request = ChatRequest.of("ttft", temperature=0, max_completion_tokens=1)
    ours_ttft, plain_ttft = [], []
    for _ in range(200):
        ours_ttft.append((await ours(provider, ttft_request))[1])
        plain_ttft.append((await plain(client, url, ttft_request, parse=False))[1])
    ours_ms, plain_ms = statistics.median(ours_ttft) * 1000, statistics.median(plain_ttft) * 1000
    print("time to first token (median of 200 one-chunk streams):")
    print(f"  brainloop {ours_ms:.3f} ms, plain httpx {plain_ms:.3f} ms, overhead {ours_ms - plain_ms:+.3f} ms (goal <= 2 ms)")
    await client.aclose()
    await close_shared_client()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = multiprocessing.Process(target=serve, args=(port, args.chunks), daemon=True)
    server.start()
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        asyncio.run(run(port, args.chunks, args.rounds))
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
