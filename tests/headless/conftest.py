"""Fixtures of the MCP tests: a small project to serve, and the loopback LLM server."""

from __future__ import annotations

from pathlib import Path

import pytest
from loopback_llm import loopback_llm  # noqa: F401 (a fixture, used by name)

from .mcp_helpers import make_project


@pytest.fixture
def project(workspace: Path) -> Path:
    return make_project(workspace)
