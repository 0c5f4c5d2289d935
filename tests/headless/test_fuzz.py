"""Hypothesis-generated tool arguments against one long-lived server: every answer is a well-formed
tool result (a message, structured content, `isError` with the kind of error, never a traceback or an
internal error), and the server is alive afterwards. The model refuses every call (401), so the
actions that would generate fail fast with their typed error instead of waiting for one."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio.from_thread
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loopback_llm import LoopbackLLM, Status
from mcp import Client

from brainloop_tui.core.actions import ACTION_NAMES, ACTIONS

from .mcp_helpers import assert_well_formed, make_project, mcp_client, ok, server_parameters, text_of

EXAMPLES = 500

json_leaf = (st.none() | st.booleans() | st.integers(-10**9, 10**9) | st.floats(allow_nan=False, allow_infinity=False)
             | st.text(max_size=24))
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)
paths = st.sampled_from(["README.md", "src/app.py", "src", ".", "config.yaml", "shop.db", "missing.md", "",
                         "../outside.py", "/etc/passwd", "~/notes.md", ".brainloop/lifecycle.db", "a\x00b",
                         "src/../README.md", "new/file.py"]) | st.text(max_size=16)
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "path": paths,
    "target_db": paths,
    "step": st.sampled_from(["list", "audit", "commit", "refine", "propose", "undo"]),
    "action": st.sampled_from(ACTION_NAMES),
    "session_id": st.sampled_from(["s-0000000000", ""]),
    "block_id": st.sampled_from(["b-0000000000", ""]),
    "max_depth": st.integers(-2, 4),
    "max_files": st.integers(-2, 4),
}


def field_value(name: str) -> st.SearchStrategy[Any]:
    """Mostly a value of the right kind, sometimes any JSON at all."""
    return st.one_of(FIELD_VALUES.get(name, st.booleans() | st.text(max_size=24)), json_value)


def params_of(action: str) -> st.SearchStrategy[Any]:
    fields = {name: field_value(name) for name in ACTIONS[action].params.model_fields}
    extra = st.dictionaries(st.text(max_size=8).filter(lambda key: key not in fields), json_value, max_size=2)
    known = st.fixed_dictionaries({}, optional=fields)
    return st.one_of(known, st.builds(lambda a, b: {**a, **b}, known, extra), json_value)


well_shaped = st.sampled_from(ACTION_NAMES).flatmap(
    lambda action: st.fixed_dictionaries({"action": st.just(action)}, optional={"params": params_of(action)}))
odd_shaped = st.dictionaries(st.sampled_from(["action", "params", "path", "Action"]), json_value, max_size=3)
arguments = st.one_of(well_shaped, well_shaped, well_shaped, odd_shaped)


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[anyio.from_thread.BlockingPortal, Client, Path]]:
    """One server for every example, with its client on an event loop of its own (Hypothesis drives
    a plain function)."""
    folder = tmp_path_factory.mktemp("fuzz")
    workspace = folder / "ws"
    workspace.mkdir()
    make_project(workspace)
    refusing = LoopbackLLM(default=Status(401, {"message": "Wrong API Key", "type": "invalid_request_error",
                                                "param": "api_key", "code": "wrong_api_key"}))
    with anyio.from_thread.start_blocking_portal() as portal, portal.wrap_async_context_manager(refusing) as llm:
        params = server_parameters(workspace, llm, config_home=folder / "config")
        with portal.wrap_async_context_manager(mcp_client(params, folder / "server.err")) as client:
            yield portal, client, folder


def test_generated_arguments_get_well_formed_answers(fuzzed_server) -> None:
    portal, client, folder = fuzzed_server
    kinds: set[str] = set()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(arguments)
    def answer_is_well_formed(call_arguments: dict[str, Any]) -> None:
        result = portal.call(functools.partial(client.call_tool, "brainloop", call_arguments))
        assert_well_formed(result)
        kinds.add(result.structured_content["error"] if result.is_error else "ok")

    answer_is_well_formed()
    assert {"ok", "ActionError"} <= kinds
    listed = ok(portal.call(functools.partial(client.call_tool, "brainloop", {"action": "list_actions"})))
    assert len(listed["actions"]) == len(ACTION_NAMES)
    stats = portal.call(functools.partial(client.call_tool, "brainloop", {"action": "get_stats"}))
    assert "session" in text_of(stats)
    assert "Traceback" not in (folder / "server.err").read_text(encoding="utf-8")
