"""Fixtures of the MCP tests: a small project to serve (the loopback LLM server is global: tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .mcp_helpers import make_project


@pytest.fixture
def project(workspace: Path) -> Path:
    return make_project(workspace)
