"""End to end: `python -m brainloop_tui` in a real terminal (tmux, 120×40) against the loopback LLM
server; keys for propose → refine → commit; the file on disk is what the second answer said."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from loopback_llm import Answer

from .conftest import TEST_KEY

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

FIRST = "def greet(name):\n    return 'hello ' + name\n"
SECOND = "def greet(name: str) -> str:\n    return f'hello {name}'\n"


class Terminal:
    """One tmux server of our own (its own socket), so no other tmux session is touched."""

    def __init__(self) -> None:
        self.socket = f"brainloop-e2e-{uuid.uuid4().hex[:8]}"

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True).stdout

    def start(self, command: str) -> None:
        # The size is fixed before the app starts: a detached window otherwise follows tmux's defaults.
        self.tmux("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "40", "sleep 600")
        self.tmux("set-option", "-g", "window-size", "manual")
        self.tmux("resize-window", "-t", "e2e", "-x", "120", "-y", "40")
        self.tmux("respawn-pane", "-k", "-t", "e2e", command)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "e2e")

    async def keys(self, *keys: str, literal: bool = False) -> None:
        """Keys, then a breath: a person does not type the next field before Enter has moved the focus."""
        self.tmux("send-keys", "-t", "e2e", *(["-l"] if literal else []), *keys)
        await asyncio.sleep(0.3)

    async def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen:\n{screen}")
            await asyncio.sleep(0.1)

    def stop(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


async def test_propose_refine_commit_in_a_terminal(loopback_llm, workspace: Path) -> None:
    loopback_llm.enqueue(Answer(FIRST), Answer(SECOND))
    env = {"BRAINLOOP_API_KEY": TEST_KEY, "BRAINLOOP_MODEL": loopback_llm.model, "BRAINLOOP_AUTO_REFINE": "0",
           "BRAINLOOP_CANDIDATES": "1",
           "XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"], "TERM": "xterm-256color"}
    app = " ".join(shlex.quote(part) for part in [
        sys.executable, "-m", "brainloop_tui", "-w", str(workspace), "--provider", "http",
        "--base-url", loopback_llm.base_url])
    exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
    terminal = Terminal()
    # pytest sets COLUMNS and LINES, which would override the terminal's real size: unset them.
    terminal.start(f"env -u COLUMNS -u LINES {exports} {app}; echo brainloop exited with $?; sleep 60")
    try:
        await terminal.wait_for("No sessions yet")
        await terminal.keys("n")
        await terminal.wait_for("New proposal")
        await terminal.keys("a greeting function", literal=True)
        await terminal.keys("Enter")
        await terminal.keys("greet.py", literal=True)
        await terminal.keys("Enter")
        await terminal.wait_for("iteration 1/1 propose")
        await terminal.wait_for("r refines, c commits")  # the proposal's notice: its work is over
        await terminal.keys("r")
        await terminal.wait_for("Refine greet.py")
        await terminal.keys("add type hints", literal=True)
        await terminal.keys("C-s")
        await terminal.wait_for("iteration 2/2 refine")
        await terminal.wait_for("iteration 2 ready")
        await terminal.keys("c")
        await terminal.wait_for("Commit 1 block?")
        await terminal.keys("y")
        deadline = time.monotonic() + 30
        while not (workspace / "greet.py").exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert (workspace / "greet.py").read_text() == SECOND
        await terminal.wait_for("committed")
        assert "add type hints" in str(loopback_llm.chat_requests()[-1].body)
        await terminal.keys("q")
        await terminal.wait_for("brainloop exited with 0")
    finally:
        terminal.stop()
