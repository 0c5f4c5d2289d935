"""The loop's outcome side against the loopback LLM server: candidates, the checks that run the code,
the automatic refines they drive, and the best iteration kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from loopback_llm import Answer, LoopbackLLM

from brainloop_tui.core.config import Settings
from brainloop_tui.core.db import Store
from brainloop_tui.core.llm import select_provider
from brainloop_tui.core.loop.engine import Loop

UNDEFINED = "```python\ndef make():\n    return Node()\n```"
GOOD = "```python\ndef make():\n    return 1\n```"
UNUSED_IMPORT = "```python\nimport os\n\n\ndef make():\n    return 2\n```"
PROMPT = 'parse_duration("1h30m") == 5400, and parse_duration("45s") == 45'
WRONG = "```python\ndef parse_duration(text):\n    return 90\n```"
RIGHT = '''```python
import re


def parse_duration(text):
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\\d+)([hms])", text))
```'''
CRASHES = "```python\ndef parse_duration(text):\n    raise ValueError(text)\n```"


def make_loop(store: Store, server: LoopbackLLM, **settings: object) -> Loop:
    configured = Settings(base_url=server.base_url, model=server.model, api_key="sk-loop-test", provider="http",
                          **settings)

    async def provider():
        return await select_provider(configured, store)

    return Loop(store, configured, provider, origin="mcp")


async def test_candidates_are_generated_at_spread_temperatures_and_the_best_is_kept(
        store: Store, loopback_llm: LoopbackLLM) -> None:
    loop = make_loop(store, loopback_llm, auto_refine=0)  # candidates unset: 3 over HTTP
    loopback_llm.enqueue(Answer(UNDEFINED), Answer(GOOD), Answer(UNUSED_IMPORT))
    state = await loop.propose("a make() function", ["make.py"])
    current = state.blocks[0].current
    assert sorted(r.body["temperature"] for r in loopback_llm.chat_requests()) == [0.4, 0.6, 0.8]
    assert current.code == "def make():\n    return 1\n" and current.diagnostics == []
    others = {c.code: c for c in current.candidates}
    assert set(others) == {"def make():\n    return Node()\n", "import os\n\n\ndef make():\n    return 2\n"}
    assert others["def make():\n    return Node()\n"].diagnostics[0].message == "undefined name 'Node'"
    assert others["import os\n\n\ndef make():\n    return 2\n"].diagnostics[0].severity == "warning"
    audit = await loop.audit(state.session.id)
    assert len(audit.iterations[0].candidates) == 2


async def test_an_undefined_name_is_an_error_fed_back(store: Store, loopback_llm: LoopbackLLM) -> None:
    loop = make_loop(store, loopback_llm, candidates=1)
    loopback_llm.enqueue(Answer(UNDEFINED), Answer(GOOD))
    state = await loop.propose("an LRU cache", ["cache.py"])
    first, second = state.blocks[0].iterations
    assert [d.describe() for d in first.diagnostics] == ["error (pyflakes) line 2, column 12: undefined name 'Node'"]
    assert second.feedback_origin == "auto" and "undefined name 'Node'" in (second.feedback or "")
    assert second.diagnostics == []


async def test_the_prompts_examples_run_and_a_failing_one_says_expected_and_got(
        store: Store, loopback_llm: LoopbackLLM, workspace: Path) -> None:
    loop = make_loop(store, loopback_llm, candidates=1)  # auto_refine unset: 2 rounds, examples ran
    loopback_llm.enqueue(Answer(WRONG), Answer(CRASHES), Answer(RIGHT))
    state = await loop.propose(PROMPT, ["durations.py"])
    iterations = state.blocks[0].iterations
    assert len(iterations) == 3
    (failure, *_) = iterations[0].diagnostics
    assert failure.source == "examples" and failure.severity == "error" and failure.line == 1
    assert "expected 5400, got 90" in failure.message
    assert "expected 5400, got 90" in loopback_llm.chat_requests()[1].body["messages"][-1]["content"]
    assert iterations[2].diagnostics == [] and state.blocks[0].block.current_iteration == 3
    assert iterations[2].grounding.checks == ["python", "pyflakes", "examples"]
    assert not (workspace / "durations.py").exists()  # checked in a sandboxed copy, nothing written


async def test_when_the_refines_make_it_worse_the_best_iteration_stays_current(
        store: Store, loopback_llm: LoopbackLLM) -> None:
    loop = make_loop(store, loopback_llm, candidates=1)
    half = "```python\ndef parse_duration(text):\n    return 5400\n```"  # passes one example of two
    loopback_llm.enqueue(Answer(half), Answer(CRASHES + "\n"), Answer(UNDEFINED.replace("make", "parse_duration")))
    state = await loop.propose(PROMPT, ["durations.py"])
    block = await loop.block(state.session.id, None)
    assert block.current_iteration == 1  # 1 error; the refines: 2, then 1 (no better)
    assert len(await loop.iterations(block.id)) == 3


@pytest.mark.parametrize("setting, rounds", [(0, 1), (1, 2)])
async def test_auto_refine_set_by_hand_wins(store: Store, loopback_llm: LoopbackLLM, setting: int,
                                            rounds: int) -> None:
    loop = make_loop(store, loopback_llm, candidates=1, auto_refine=setting)
    loopback_llm.default = Answer(WRONG)
    state = await loop.propose(PROMPT, ["durations.py"])
    assert len(state.blocks[0].iterations) == rounds


async def test_the_projects_own_check_runs_on_the_answer_and_its_failure_is_fed_back(
        store: Store, loopback_llm: LoopbackLLM, workspace: Path) -> None:
    (workspace / "tests").mkdir()
    (workspace / "tests" / "test_durations.py").write_text(
        "from durations import parse_duration\n\n\ndef test_minutes():\n    assert parse_duration('2m') == 120\n")
    loop = make_loop(store, loopback_llm, candidates=1, check_command="python -m pytest -q -x {tests}")
    loopback_llm.enqueue(Answer(WRONG), Answer(RIGHT))
    state = await loop.propose("a parse_duration(text) function", ["durations.py"])
    first, second = state.blocks[0].iterations
    (failure,) = first.diagnostics
    assert (failure.source, failure.severity) == ("check", "error")
    assert "assert 90 == 120" in failure.message
    assert "assert 90 == 120" in (second.feedback or "")
    assert second.diagnostics == [] and second.grounding.checks == ["python", "pyflakes", "check_command"]
    assert not (workspace / "durations.py").exists()


async def test_a_generation_that_cannot_wait_uses_the_stored_conventions_and_says_so(
        store: Store, loopback_llm: LoopbackLLM, workspace: Path) -> None:
    (workspace / "lib.py").write_text("def load_rows(row_count: int) -> list[int]:\n    return []\n")
    loop = make_loop(store, loopback_llm, candidates=1, conventions_wait=0)
    loopback_llm.default = Answer(GOOD)
    state = await loop.propose("a make() function", ["make.py"])
    grounding = state.blocks[0].current.grounding
    assert grounding.conventions_state == "the set stored earlier (0 pattern(s)): the extraction is still running"
    await loop.conventions.close()
