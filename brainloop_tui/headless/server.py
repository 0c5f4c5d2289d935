"""`brainloop --headless`: the MCP server, over stdio or streamable HTTP on 127.0.0.1. Every tool call
is one of the core's actions, run as tracked work of the worker runtime (heartbeat, poison pill,
SIGTERM and the three-phase shutdown).

The handshake needs nothing of the workspace, so the server answers it at once while the core is
imported (in a thread) and the workspace opened; tool requests wait for that. A workspace that cannot
be opened (read-only, from a newer Brainloop) does not close the pipe on a client that has just shaken
hands: over stdio every tool call is answered with that error until the client leaves."""

from __future__ import annotations

import asyncio
import importlib
import logging
import socket
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.lowlevel.server import ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from mcp.shared.jsonrpc_dispatcher import progress_token_from_params

from brainloop_tui import __version__
from brainloop_tui.core.config import LoadedSettings, Settings
from brainloop_tui.core.errors import BrainloopError
from brainloop_tui.headless.progress import SendProgress
from brainloop_tui.headless.stdio import AnswerUnreadableLines, claimed_stdin

if TYPE_CHECKING:
    from types import ModuleType

    from brainloop_tui.headless.tool import BrainloopTool

log = logging.getLogger(__name__)

Transport = Literal["stdio", "http"]
HOST = "127.0.0.1"
HTTP_PATH = "/mcp"
HTTP_GRACE_S = 5  # open streams (a client's GET stream) get this long to end when the server stops
INSTRUCTIONS = ("One tool, `brainloop`: pick an action and pass its params. `list_actions` lists them, "
                "`get_schema {action}` gives one action's full JSON Schema.")


class ListenError(BrainloopError):
    """The HTTP transport cannot listen where it was asked to."""


def _progress_sender(ctx: ServerRequestContext[Any]) -> SendProgress | None:
    """How to report progress for this request, when its client asked for it (a progress token)."""
    if progress_token_from_params(ctx.params) is None:
        return None

    async def send(progress: float, message: str) -> None:
        await ctx.session.report_progress(progress, None, message)

    return send


def build_server(module: Awaitable[ModuleType], ready: Awaitable[BrainloopTool]) -> Server[Any]:
    """The MCP server; its tool requests wait for `module` (the tool's, imported with the core) and
    `ready` (the tool on the opened workspace). A request cancelled meanwhile stops waiting; the opening
    goes on (shielded) for the others. When the opening failed, a tool call is answered with its error."""

    async def list_tools(ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None,
                         ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[(await asyncio.shield(module)).tool_definition()])

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        tool_module = await asyncio.shield(module)
        if params.name != tool_module.TOOL_NAME:
            raise MCPError(code=types.INVALID_PARAMS,
                           message=f"unknown tool {params.name!r}: this server has one tool, {tool_module.TOOL_NAME!r}")
        try:
            tool = await asyncio.shield(ready)
        except BrainloopError as exc:
            return tool_module.failure(str(exc), exc.kind)  # type: ignore[no-any-return]
        return await tool.call(params.arguments, _progress_sender(ctx))

    return Server("brainloop", version=__version__, instructions=INSTRUCTIONS,
                  on_list_tools=list_tools, on_call_tool=call_tool)


async def serve_stdio(server: Server[Any]) -> None:
    """Until stdin closes. Only JSON-RPC reaches stdout: the SDK points fd 1 at stderr meanwhile."""
    # The SDK reads `stdin` only by iterating it, so the event-loop reader stands in for its thread.
    async with claimed_stdin() as lines, stdio_server(stdin=lines) as (read_stream, write_stream):  # type: ignore[arg-type]
        await server.run(AnswerUnreadableLines(read_stream, write_stream, lines.answers), write_stream,
                         server.create_initialization_options())


async def serve_http(server: Server[Any], port: int) -> None:
    """Streamable HTTP on 127.0.0.1 only (port 0: any free port, logged)."""
    import uvicorn  # only this transport needs it

    try:
        listener = socket.create_server((HOST, port))
    except OSError as exc:
        raise ListenError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from None
    log.info("serving MCP on http://%s:%d%s", HOST, listener.getsockname()[1], HTTP_PATH)
    app = server.streamable_http_app(streamable_http_path=HTTP_PATH, host=HOST)
    http = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on",
                                         timeout_graceful_shutdown=HTTP_GRACE_S))
    serving = asyncio.ensure_future(http.serve(sockets=[listener]))
    try:
        await asyncio.shield(serving)
    except asyncio.CancelledError:  # the worker stops: uvicorn's own shutdown, not a cancel in mid-request
        http.should_exit = True
        await serving
        raise


async def _import_tool() -> ModuleType:
    # Importing the core is most of the start-up: a thread does it while the event loop serves the handshake.
    return await asyncio.to_thread(importlib.import_module, "brainloop_tui.headless.tool")


async def _open_tool(module: Awaitable[ModuleType], workspace: Path, settings: Settings) -> BrainloopTool:
    return await (await module).BrainloopTool.open(workspace, settings)  # type: ignore[no-any-return]


async def _until_done(face: asyncio.Future[None]) -> None:
    await face


async def run_headless(workspace: Path, settings: Settings, transport: Transport = "stdio", port: int = 0) -> None:
    module = asyncio.ensure_future(_import_tool())
    opening = asyncio.ensure_future(_open_tool(module, workspace, settings))
    server = build_server(module, opening)
    face = asyncio.ensure_future(serve_stdio(server) if transport == "stdio" else serve_http(server, port))
    try:
        tool = await opening
    except BaseException as exc:
        if isinstance(exc, BrainloopError) and transport == "stdio":
            log.error("%s; every tool call is answered with this error until the client leaves", exc)
        else:
            face.cancel()
        await asyncio.gather(face, return_exceptions=True)
        raise
    tool.workbench.start_background()  # after the handshake: the extraction never delays it
    worker = tool.workbench.worker
    worker.install_signal_handlers()
    await worker.run(_until_done(face))


def serve(workspace: Path, loaded: LoadedSettings, *, transport: Transport = "stdio", port: int | None = None) -> int:
    """Serve MCP until the client leaves (stdio), or a signal or poison pill stops the worker. The exit
    code; a workspace that cannot be opened is a `BrainloopError` (the command line says it). The command
    line has checked the options; `port` None or 0 with http: any free port (logged)."""
    asyncio.run(run_headless(workspace, loaded.settings, transport, port or 0))
    return 0
