"""Fixtures every test shares: an isolated environment, a workspace folder, an open store, the
loopback LLM server (`loopback_llm`, from tests/loopback_llm.py) and a clean shared HTTP client."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from brainloop_tui.core.db import Store
from brainloop_tui.core.llm import close_shared_client

pytest_plugins = ["loopback_llm"]


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's config, keys or caches."""
    for name in list(os.environ):
        if name.startswith("BRAINLOOP_") or name == "CEREBRAS_API_KEY":
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))


@pytest.fixture(autouse=True)
async def _shared_client_closed():
    """Each test has its own event loop: the process's shared HTTP client is closed with it, so no
    connection of one test's loop is left for the next to close."""
    yield
    await close_shared_client()


@pytest.fixture(scope="session")
def hundred_thousand_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose `many/` holds 100,000 empty files, made once for every test that needs one."""
    root = tmp_path_factory.mktemp("huge")
    many = root / "many"
    many.mkdir()
    for index in range(100_000):
        os.close(os.open(many / f"f{index:06d}.txt", os.O_CREAT | os.O_WRONLY, 0o644))
    return root


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    folder.mkdir()
    return folder


@pytest.fixture
async def store(workspace: Path):
    opened = await Store.open(workspace)
    yield opened
    await opened.close()
