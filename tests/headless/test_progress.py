"""Progress notifications while a call generates (only when the client sent a progress token, and only
about that call's own work), and `notifications/cancelled`, which stops the generation."""

from __future__ import annotations

from pathlib import Path

import anyio
import mcp_types as types
from loopback_llm import Answer, LoopbackLLM

from .mcp_helpers import call, mcp_client, ok, server_parameters

WAIT_S = 30  # a bound for what must happen eventually, never a performance goal

SLOW_CODE = "".join(f"value_{n} = {n}\n" for n in range(24))


def slow_answer(chunks: int = 24, delay: float = 0.05) -> Answer:
    return Answer(SLOW_CODE, chunks=chunks, delay=delay)


async def test_progress_follows_each_call_that_asks(project: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    notified: list[types.ProgressNotification] = []

    async def on_message(message: object) -> None:
        if isinstance(message, types.ProgressNotification):
            notified.append(message)

    updates: dict[str, list[tuple[float, str]]] = {"one.py": [], "two.py": []}

    async def generate(path: str) -> dict:
        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            updates[path].append((progress, message or ""))

        return ok(await call(client, "generate_file", {"path": path, "prompt": "numbered values"},
                             progress_callback=on_progress))

    results: dict[str, dict] = {}
    async with mcp_client(server_parameters(project, loopback_llm), tmp_path / "server.err",
                          message_handler=on_message) as client:
        loopback_llm.default = slow_answer()
        async with anyio.create_task_group() as tg:  # two calls at once: each hears only of its own work
            for path in updates:
                tg.start_soon(lambda p=path: _store(results, p, generate(p)))
        before = len(notified)
        loopback_llm.default = slow_answer()
        ok(await call(client, "generate_file", {"path": "quiet.py", "prompt": "numbered values"}))
        assert len(notified) == before  # no token, no progress

    for path, seen in updates.items():
        assert len(seen) >= 2, seen
        values = [progress for progress, _ in seen]
        assert values == sorted(set(values)), "progress only grows"
        assert any("tokens" in message for _, message in seen)
        own = {results[path]["session_id"], results[path]["block_id"]}
        others = {results[other][key] for other in updates if other != path for key in ("session_id", "block_id")}
        for _, message in seen:
            assert any(name in message for name in own) and not any(name in message for name in others), message


async def _store(results: dict[str, dict], key: str, work) -> None:
    results[key] = await work


async def test_cancelled_call_stops_generating(project: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    loopback_llm.enqueue(slow_answer(chunks=60, delay=0.25))  # fifteen seconds, unless stopped
    started = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if "tokens" in (message or ""):  # the model's answer is streaming in
            started.set()

    async with mcp_client(server_parameters(project, loopback_llm), tmp_path / "server.err") as client:
        with anyio.fail_after(WAIT_S):
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: call(client, "loop", {"step": "propose", "prompt": "values", "path": "v.py"},
                                           progress_callback=on_progress))
                await started.wait()
                tg.cancel_scope.cancel()  # the SDK sends notifications/cancelled
            await loopback_llm.hung_up.wait()  # the server stopped reading the model's answer

            (session,) = ok(await call(client, "loop", {"step": "list"}))["sessions"]
            history = ["1 propose streaming"]
            while history == ["1 propose streaming"]:  # the core records the end of the iteration just after the hang-up
                await anyio.sleep(0.05)
                audit = ok(await call(client, "loop", {"step": "audit", "session_id": session["id"]}))
                history = audit["history"]
        assert [line.split(":")[0] for line in history] == ["1 propose cancelled"]
        assert audit["status"] == "cancelled"
        assert not (project / "v.py").exists()
        loopback_llm.enqueue(Answer("ok = True\n"))
        assert ok(await call(client, "generate_file", {"path": "after.py", "prompt": "a flag"}))["status"] == "committed"
