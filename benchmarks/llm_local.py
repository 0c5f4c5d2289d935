"""Embedded provider overhead: tokens/s through Brainloop's LocalProvider against llama_cpp called
directly, on the same loaded model, the same prompt and the same messages, in the same run.

The direct calls run on the provider's generation thread too: llama.cpp keeps one OpenMP team per
calling thread, and a second team on the same cores would slow both (see core/llm/local.py).

Goal (issue 3): >= 0.95x. Needs the [local] extra.

    .venv/bin/python benchmarks/llm_local.py [--tokens 128] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from brainloop_tui.core.llm import ChatRequest, LocalProvider, complete
from brainloop_tui.core.llm.local import generation_thread, load_llama, with_system_prompt

PROMPT = "Write a Python function that parses an ISO 8601 date string and returns a datetime, with a docstring."


def direct(llama, request: ChatRequest) -> tuple[float, str]:
    """(tokens/s after the first token, text), llama_cpp streaming with nothing around it."""
    first = None
    pieces = []
    for chunk in llama.create_chat_completion(
        messages=with_system_prompt(request), temperature=request.temperature,
        max_tokens=request.max_completion_tokens, stream=True,
    ):
        content = chunk["choices"][0]["delta"].get("content")
        if content:
            first = first or time.perf_counter()
            pieces.append(content)
    end = time.perf_counter()
    text = "".join(pieces)
    tokens = len(llama.tokenize(text.encode(), add_bos=False, special=True))
    return tokens / (end - first), text


async def provided(provider: LocalProvider, request: ChatRequest) -> tuple[float, str]:
    completion = await complete(provider, request)
    return completion.tokens_per_s or 0.0, completion.text


async def run(tokens: int, rounds: int) -> None:
    request = ChatRequest.of(PROMPT, temperature=0, max_completion_tokens=tokens)
    started = time.perf_counter()
    _, llama = load_llama(None)
    print(f"model ready in {time.perf_counter() - started:.1f} s")
    provider = LocalProvider()
    on_generation_thread = generation_thread()
    on_generation_thread.submit(direct, llama, request).result()  # warm up: caches, the prompt's KV prefix
    ours, theirs = [], []
    for _ in range(rounds):
        rate, text_direct = on_generation_thread.submit(direct, llama, request).result()
        theirs.append(rate)
        rate, text_ours = await provided(provider, request)
        ours.append(rate)
        assert text_ours == text_direct, "temperature 0 must give the same answer both ways"
    print(f"tokens/s over {tokens} tokens, median of {rounds} alternating rounds:")
    print(f"  llama_cpp direct      {statistics.median(theirs):6.1f}  {[round(r, 1) for r in theirs]}")
    print(f"  brainloop LocalProvider {statistics.median(ours):4.1f}  {[round(r, 1) for r in ours]}")
    print(f"  ratio = {statistics.median(ours) / statistics.median(theirs):.3f}x (goal >= 0.95x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.tokens, args.rounds))


if __name__ == "__main__":
    main()
