"""The protocol eras the issue names, with the SDK's client: the legacy handshake at 2025-06-18 and
2025-11-25, and the 2026-07-28 era that `Client(mode="auto")` discovers. Then `tools/list`: one tool,
its shape, its size; and what start-up imports."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import mcp_types as types
import pytest
from loopback_llm import Answer, LoopbackLLM
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from brainloop_tui.core.actions import ACTION_NAMES, ACTIONS
from .mcp_helpers import call, mcp_client, ok, server_parameters

LEGACY_VERSIONS = ("2025-06-18", "2025-11-25")
MODERN_VERSION = "2026-07-28"
TOOLS_LIST_BUDGET = 1_800  # characters of the tools/list result's JSON: 450 tokens


@asynccontextmanager
async def handshake(params: StdioServerParameters, errlog: Path, version: str,
                    ) -> AsyncIterator[tuple[ClientSession, types.InitializeResult]]:
    """The SDK's session, initialized at `version` (its `initialize()` always offers the newest)."""
    with errlog.open("a", encoding="utf-8") as err:
        async with stdio_client(params, errlog=err) as (read, write), ClientSession(read, write) as session:
            result = await session.send_request(
                types.InitializeRequest(params=types.InitializeRequestParams(
                    protocol_version=version, capabilities=types.ClientCapabilities(),
                    client_info=types.Implementation(name="headless-test", version="1"))),
                types.InitializeResult)
            session.adopt(result)
            await session.send_notification(types.InitializedNotification())
            yield session, result


def check_listing(listing: types.ListToolsResult) -> None:
    (tool,) = listing.tools
    assert tool.name == "brainloop"
    schema = tool.input_schema
    assert schema["type"] == "object" and schema["required"] == ["action"]
    assert schema["properties"]["action"]["enum"] == list(ACTION_NAMES)
    assert schema["properties"]["params"]["type"] == "object"
    lines = tool.description.splitlines()
    for name, action in ACTIONS.items():  # its line: its name (or names sharing its params), then its params
        rest = action.signature.partition(" ")[2]
        assert sum(name in line.partition(" ")[0].split("|") and line.partition(" ")[2].startswith(f"{rest}: ")
                   for line in lines) == 1, name
    wire = json.dumps(listing.model_dump(mode="json", by_alias=True, exclude_none=True), separators=(",", ":"))
    assert len(wire) <= TOOLS_LIST_BUDGET, len(wire)


def imported_top_level_modules(stderr_text: str) -> set[str]:
    """Modules named by `python -X importtime` ("import time: self | cumulative | name")."""
    return {line.rsplit("|", 1)[1].strip().split(".")[0]
            for line in stderr_text.splitlines() if line.startswith("import time:") and "|" in line}


@pytest.mark.parametrize("version", LEGACY_VERSIONS)
async def test_legacy_handshake(version: str, project: Path, tmp_path: Path) -> None:
    errlog = tmp_path / "server.err"
    params = server_parameters(project, python_flags=("-X", "importtime"))
    async with handshake(params, errlog, version) as (session, result):
        assert result.protocol_version == version
        assert result.server_info.name == "brainloop"
        assert result.capabilities.tools is not None
        assert "list_actions" in (result.instructions or "")
        check_listing(await session.list_tools())
        answer = await session.call_tool("brainloop", {"action": "list_actions"})
        assert [row["name"] for row in ok(answer)["actions"]] == list(ACTION_NAMES)
        digest = ok(await session.call_tool("brainloop", {"action": "read_code", "params": {"path": "src/app.py"}}))
        assert digest["path"] == "src/app.py"
    loaded = imported_top_level_modules(errlog.read_text(encoding="utf-8"))
    assert "brainloop_tui" in loaded and "mcp" in loaded  # the listing is real
    assert not loaded & {"textual", "llama_cpp"}


async def test_modern_era_through_client_auto_mode(project: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    progress: list[float] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(value)

    async with mcp_client(server_parameters(project, loopback_llm), tmp_path / "server.err", mode="auto") as client:
        assert client.protocol_version == MODERN_VERSION
        check_listing(await client.list_tools())
        schema = ok(await call(client, "get_schema", {"action": "read_code"}))["schema"]
        assert set(schema["properties"]) == {"path", "refresh", "detail", "summarize"}
        assert ok(await call(client, "read_markdown", {"path": "README.md"}))["path"] == "README.md"
        loopback_llm.enqueue(Answer("answer = 42\n", chunks=8, delay=0.05))
        written = ok(await call(client, "generate_file", {"path": "answer.py", "prompt": "the answer"},
                                progress_callback=on_progress))
        assert written["status"] == "committed" and progress  # progress flows in this era too
