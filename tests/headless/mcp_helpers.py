"""Helpers of the MCP tests. The server under test is a real subprocess (`brainloop --headless`),
driven by the SDK's own client over its stdin/stdout; the model behind it is the loopback LLM server."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

import mcp_types as types
from loopback_llm import LoopbackLLM
from mcp import Client, StdioServerParameters
from mcp.client.stdio import get_default_environment, stdio_client

# `brainloop --headless`, run by the interpreter of the tests
SERVER_COMMAND = ("-m", "brainloop_tui", "--headless")
API_KEY = "sk-headless-test"

README = """# Shop

The shop service.

## Running

```bash
make run
```

See [the guide](docs/guide.md).
"""

APP = '''"""The shop's entry point."""

import json
from pathlib import Path


class Cart:
    def total(self) -> int:
        return 0


def load(path: Path) -> dict:
    return json.loads(path.read_text())
'''

CONFIG = """service:
  name: shop
  port: 8080
database:
  url: ${DATABASE_URL}
  password: hunter2-very-secret
"""


def make_project(folder: Path) -> Path:
    """A small project: Markdown, Python, YAML and a SQLite database."""
    (folder / "README.md").write_text(README, encoding="utf-8")
    (folder / "src").mkdir()
    (folder / "src" / "app.py").write_text(APP, encoding="utf-8")
    (folder / "config.yaml").write_text(CONFIG, encoding="utf-8")
    conn = sqlite3.connect(folder / "shop.db")
    conn.executescript("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
                       "INSERT INTO items (name) VALUES ('pen'), ('ink');")
    conn.close()
    return folder


def server_parameters(workspace: Path, llm: LoopbackLLM | None = None, *, python_flags: tuple[str, ...] = (),
                      extra_args: tuple[str, ...] = (), config_home: Path | None = None) -> StdioServerParameters:
    """How to start the server on `workspace`; with `llm`, pointed at that loopback model. Its user
    config folder is `config_home`, else the test's isolated one."""
    env = {"XDG_CONFIG_HOME": str(config_home or os.environ["XDG_CONFIG_HOME"]), "BRAINLOOP_PROVIDER": "http",
           "BRAINLOOP_LOG_LEVEL": "INFO", "BRAINLOOP_CANDIDATES": "1"}  # one answer per call: scripts count on it
    if llm is not None:
        env |= {"BRAINLOOP_BASE_URL": llm.base_url, "BRAINLOOP_MODEL": llm.model, "BRAINLOOP_API_KEY": API_KEY}
    else:  # no test reaches the internet: a model call goes to a port nothing listens on, and fails
        env |= {"BRAINLOOP_BASE_URL": "http://127.0.0.1:9/v1", "BRAINLOOP_API_KEY": API_KEY}
    return StdioServerParameters(command=sys.executable,
                                 args=[*python_flags, *SERVER_COMMAND, "--workspace", str(workspace), *extra_args],
                                 env=env, cwd=str(workspace))


async def spawn(params: StdioServerParameters, *, stdin: int = asyncio.subprocess.PIPE,
                stderr: int | IO[bytes] = asyncio.subprocess.PIPE, cwd: Path | None = None,
                preexec_fn: Callable[[], None] | None = None) -> asyncio.subprocess.Process:
    """The server as a bare process (its stdout a pipe), for the tests that speak raw lines or HTTP;
    `preexec_fn` runs in it before Python starts (to set limits)."""
    return await asyncio.create_subprocess_exec(
        params.command, *params.args, stdin=stdin, stdout=asyncio.subprocess.PIPE, stderr=stderr,
        env=get_default_environment() | (params.env or {}), cwd=cwd or params.cwd, preexec_fn=preexec_fn)


@asynccontextmanager
async def mcp_client(params: StdioServerParameters, errlog: Path, **client_options: Any) -> AsyncIterator[Client]:
    """A connected SDK client (legacy handshake unless `mode=` says otherwise); the server's stderr
    goes to `errlog`."""
    client_options.setdefault("mode", "legacy")
    with errlog.open("a", encoding="utf-8") as err:
        async with Client(stdio_client(params, errlog=err), **client_options) as client:
            yield client


async def call(client: Client, action: str, params: dict[str, Any] | None = None, **options: Any,
               ) -> types.CallToolResult:
    arguments: dict[str, Any] = {"action": action}
    if params is not None:
        arguments["params"] = params
    return await client.call_tool("brainloop", arguments, **options)


def text_of(result: types.CallToolResult) -> str:
    (content,) = result.content
    assert isinstance(content, types.TextContent)
    return content.text


def assert_well_formed(result: types.CallToolResult) -> None:
    """What every answer of the tool looks like, success or not."""
    message = text_of(result)
    assert message.strip(), "an answer always says something"
    assert "Traceback" not in message
    assert isinstance(result.structured_content, dict)
    json.dumps(result.structured_content)
    if result.is_error:
        assert result.structured_content["message"] == message
        assert result.structured_content["error"] != "InternalError", message


def ok(result: types.CallToolResult) -> dict[str, Any]:
    """The structured answer of a call that must have succeeded."""
    assert_well_formed(result)
    assert not result.is_error, text_of(result)
    return result.structured_content


def refused(result: types.CallToolResult) -> str:
    """The message of a call that must have been refused."""
    assert_well_formed(result)
    assert result.is_error, text_of(result)
    return text_of(result)
