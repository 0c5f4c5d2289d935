"""The `brainloop` command. Parsing and printing only: the work is done by the core.

Heavy imports (textual, mcp, llama_cpp) happen only inside the branch that needs them.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from brainloop_tui import __version__
from brainloop_tui.core.config import ENV_PREFIX, LoadedSettings, load_settings
from brainloop_tui.core.errors import BrainloopError

WORKSPACE_ENV = f"{ENV_PREFIX}WORKSPACE"
# Flags that override settings, by setting name; only flags actually typed reach the settings.
SETTING_FLAGS = ("provider", "model", "base_url", "log_level")


def _global_options() -> argparse.ArgumentParser:
    """Options accepted before or after any subcommand (so they default to SUPPRESS, never to a value)."""
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("-w", "--workspace", type=Path, metavar="DIR",
                        help=f"project folder (default: ${WORKSPACE_ENV}, else the current folder)")
    common.add_argument("--provider", choices=("auto", "http", "local"), help="LLM provider")
    common.add_argument("--model", help="model name sent to the provider")
    common.add_argument("--base-url", dest="base_url", metavar="URL", help="OpenAI-compatible endpoint")
    common.add_argument("--log-level", dest="log_level", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _global_options()
    parser = argparse.ArgumentParser(
        prog="brainloop",
        parents=[common],
        description="Generate code with a fast LLM under human review: propose, audit, refine, commit.",
    )
    parser.add_argument("--version", action="version", version=f"brainloop {__version__}")
    parser.add_argument("--headless", action="store_true", help="serve MCP (stdio by default) instead of the workbench")
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio",
                        help="with --headless: stdio, or streamable HTTP on 127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="with --transport http (0: any free port)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[common], help=help_text, description=help_text)

    command("init", "create .brainloop/ and its four databases in the workspace")
    demo = command("demo", "make a small sample workspace and open the workbench on it")
    demo.add_argument("folder", nargs="?", type=Path, default=None,
                      help="where to make it (default: Brainloop's data folder)")
    command("config", "print every effective setting and where it comes from (secrets masked)")
    command("doctor", "check the databases, the configuration and the LLM provider")
    stop = command("stop", "ask running Brainloop workers on the workspace to shut down cleanly")
    stop.add_argument("--worker", metavar="ID", default=None, help="only this worker (default: all)")
    stop.add_argument("--reason", default="brainloop stop")

    source = command("source", "register what the worker should know (files, folders, databases, schemas, contracts)")
    source_commands = source.add_subparsers(dest="source_command", metavar="ACTION", required=True)
    source_add = source_commands.add_parser("add", parents=[common], help="register a path of the workspace")
    source_add.add_argument("path")
    source_add.add_argument("--kind", choices=("file", "folder", "sqlite", "schema", "contract"), default=None,
                            help="default: guessed from the path")
    source_add.add_argument("--note", default=None)
    source_commands.add_parser("list", parents=[common], help="registered sources with their health")
    source_remove = source_commands.add_parser("remove", parents=[common], help="unregister a path (the file stays)")
    source_remove.add_argument("path")

    secret = command("secret", "manage secrets kept in .brainloop/metadata.db (mode 0600)")
    secret_commands = secret.add_subparsers(dest="secret_command", metavar="ACTION", required=True)
    secret_set = secret_commands.add_parser(
        "set", parents=[common], help="store a secret: the value is read from stdin, or asked for without echo"
    )
    secret_set.add_argument("name", help="e.g. api_key")
    secret_commands.add_parser("list", parents=[common], help="list secret names (never values)")
    secret_delete = secret_commands.add_parser("delete", parents=[common], help="delete a secret")
    secret_delete.add_argument("name")
    return parser


def resolve_workspace(args: argparse.Namespace) -> Path:
    given = getattr(args, "workspace", None) or os.environ.get(WORKSPACE_ENV) or "."
    return Path(given).expanduser().resolve()


# -- commands -------------------------------------------------------------------------------------


async def cmd_init(args: argparse.Namespace, workspace: Path, loaded: LoadedSettings) -> int:
    from brainloop_tui.core.db.store import DATABASES, prepare_workspace, state_dir

    existed = {name: (state_dir(workspace) / f"{name}.db").exists() for name in DATABASES}
    applied = await asyncio.to_thread(prepare_workspace, workspace, busy_timeout_ms=loaded.settings.busy_timeout_ms)
    if not any(applied.values()):
        print(f"{state_dir(workspace)} is already initialised: nothing changed")
        return 0
    for name, steps in applied.items():
        if steps:
            print(f"{name}.db: {'migrated' if existed[name] else 'created'} ({steps} schema step{'s' * (steps != 1)})")
    print(f"initialised {state_dir(workspace)}")
    return 0


async def cmd_config(args: argparse.Namespace, workspace: Path, loaded: LoadedSettings) -> int:
    rows = loaded.describe()
    width = max(len(key) for key, _, _ in rows)
    for key, value, source in rows:
        print(f"{key:<{width}}  {value}  [{source}]")
    return 0


async def cmd_doctor(args: argparse.Namespace, workspace: Path, loaded: LoadedSettings) -> int:
    from brainloop_tui.core.db import Store
    from brainloop_tui.core.doctor import check_command_check, database_checks, embedded_model_check, provider_check

    checks = await asyncio.to_thread(database_checks, workspace)
    if not any(check.verdict == "fail" for check in checks):  # the key may be in metadata.db
        async with await Store.open(workspace, busy_timeout_ms=loaded.settings.busy_timeout_ms) as store:
            checks.append(await provider_check(loaded.settings, store))
    checks.append(embedded_model_check(loaded.settings))
    checks.append(check_command_check(loaded.settings, workspace))
    marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
    for check in checks:
        print(f"[{marks[check.verdict]}] {check.name}: {check.detail}")
    return 1 if any(check.verdict == "fail" for check in checks) else 0


async def cmd_stop(args: argparse.Namespace, workspace: Path, loaded: LoadedSettings) -> int:
    from brainloop_tui.core.db import Store
    from brainloop_tui.core.runtime import send_poison_pill

    async with await Store.open(workspace, busy_timeout_ms=loaded.settings.busy_timeout_ms) as store:
        await send_poison_pill(store, args.worker, args.reason)
    print(f"asked {'worker ' + args.worker if args.worker else 'every worker'} on {workspace} to stop")
    return 0


async def cmd_secret(args: argparse.Namespace, workspace: Path, loaded: LoadedSettings) -> int:
    from brainloop_tui.core import secrets
    from brainloop_tui.core.db import Store

    value = _read_secret_value(args.name) if args.secret_command == "set" else ""
    async with await Store.open(workspace, busy_timeout_ms=loaded.settings.busy_timeout_ms) as store:
        if args.secret_command == "set":
            await secrets.set_secret(store, args.name, value)
            print(f"secret {args.name!r} saved")
        elif args.secret_command == "list":
            names = await secrets.secret_names(store)
            print("\n".join(names) if names else "no secrets stored")
        elif not await secrets.delete_secret(store, args.name):
            raise secrets.SecretError(f"no secret named {args.name!r}")
        else:
            print(f"secret {args.name!r} deleted")
    return 0


async def cmd_source(args: argparse.Namespace, workspace: Path, loaded: LoadedSettings) -> int:
    from brainloop_tui.core import sources
    from brainloop_tui.core.db import Store

    writes = args.source_command in ("add", "remove")
    async with await Store.open(workspace, input_writable=writes,
                                busy_timeout_ms=loaded.settings.busy_timeout_ms) as store:
        if args.source_command == "add":
            added = await sources.add_source(store, args.path, args.kind, args.note)
            print(f"registered {added.path} ({added.kind})")
        elif args.source_command == "remove":
            removed = await sources.remove_source(store, args.path)
            print(f"unregistered {removed.path} ({removed.kind}); the file itself is untouched")
        else:
            listed = await sources.list_sources(store)
            for item in listed:
                detail = f": {item.detail}" if item.detail else ""
                print(f"{item.path}  {item.kind}  {item.health}{detail}" + (f"  # {item.note}" if item.note else ""))
            if not listed:
                print("no sources registered; `brainloop source add PATH` registers one")
    return 0


def _read_secret_value(name: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(f"value for {name} (not echoed): ")
    return sys.stdin.read().rstrip("\r\n")


COMMANDS: dict[str, Callable[[argparse.Namespace, Path, LoadedSettings], Coroutine[Any, Any, int]]] = {
    "init": cmd_init,
    "config": cmd_config,
    "doctor": cmd_doctor,
    "stop": cmd_stop,
    "secret": cmd_secret,
    "source": cmd_source,
}


def run_demo(args: argparse.Namespace, cli_values: dict[str, Any]) -> int:
    import platformdirs

    from brainloop_tui.core.demo import make_demo_workspace, register_demo_sources

    folder = make_demo_workspace(args.folder or platformdirs.user_data_path("brainloop") / "demo")
    asyncio.run(register_demo_sources(folder))
    print(f"demo workspace: {folder}", file=sys.stderr)
    return open_workbench(folder, load_settings(folder, cli_values))


def open_workbench(workspace: Path, loaded: LoadedSettings) -> int:
    """The TUI owns the terminal, so its logs go to `.brainloop/brainloop.log`."""
    from brainloop_tui.core.db.store import prepare_workspace, state_dir
    from brainloop_tui.core.logs import setup_logging
    from brainloop_tui.tui.app import run_app

    prepare_workspace(workspace, busy_timeout_ms=loaded.settings.busy_timeout_ms)
    setup_logging(loaded.settings.log_level, state_dir(workspace) / "brainloop.log")
    return run_app(workspace, loaded)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    workspace = resolve_workspace(args)
    if args.port is not None and not (args.headless and args.transport == "http"):
        parser.error("--port goes with --headless --transport http")
    cli_values = {flag: getattr(args, flag) for flag in SETTING_FLAGS if hasattr(args, flag)}
    try:
        loaded = load_settings(workspace, cli_values)
        from brainloop_tui.core.logs import hide_secret, setup_logging

        setup_logging(loaded.settings.log_level if hasattr(args, "log_level") or args.headless else "WARNING")
        if loaded.settings.api_key is not None:
            hide_secret(loaded.settings.api_key.get_secret_value())
        if args.headless:
            from brainloop_tui.headless.server import serve

            return serve(workspace, loaded, transport=args.transport, port=args.port)
        if args.command == "demo":
            return run_demo(args, cli_values)
        if args.command is None:
            return open_workbench(workspace, loaded)
        return asyncio.run(COMMANDS[args.command](args, workspace, loaded))
    except BrainloopError as exc:
        print(f"brainloop: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
