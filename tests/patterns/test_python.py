"""Python conventions from real modules and configs written by the tests."""

from __future__ import annotations

from brainloop_tui.core.patterns.model import Pattern, SourceText
from brainloop_tui.core.patterns.python import extract_python, read_formatter_config, read_python_file

SERVICE = '''"""A service."""
from __future__ import annotations

import asyncio
import logging

import httpx

log = logging.getLogger(__name__)
MAX_RETRIES = 3


class UserService:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    async def fetch_user(self, user_id: int) -> dict:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{self.base_url}/users/{user_id}")
        return response.json()

    def cache_key(self, user_id):
        return f"user:{user_id}"


async def main(retry_count: int = MAX_RETRIES) -> None:
    service = UserService("http://localhost")
    await asyncio.sleep(0)
    log.info("done %s", await service.fetch_user(1))
'''

HELPERS = '''from .service import UserService
from pathlib import Path


def load_names(folder: Path) -> list[str]:
    return [line.strip() for line in folder.read_text().splitlines()]


def parse_line(raw_line: str) -> str:
    return raw_line.strip()
'''

TESTS = '''import pytest

from app.helpers import parse_line


def test_parse_line_strips() -> None:
    assert parse_line(" x ") == "x"


@pytest.mark.parametrize("raw_text", ["a", "b"])
def test_parse_line_keeps_letters(raw_text: str) -> None:
    assert parse_line(raw_text) == raw_text
'''

PYPROJECT = """[project]
name = "app"

[tool.ruff]
line-length = 100

[tool.isort]
profile = "black"
"""


def by_name(patterns: list[Pattern]) -> dict[str, Pattern]:
    return {pattern.name: pattern for pattern in patterns}


def project() -> list[SourceText]:
    return [
        SourceText("app/helpers.py", HELPERS),
        SourceText("app/service.py", SERVICE),
        SourceText("pyproject.toml", PYPROJECT),
        SourceText("tests/test_helpers.py", TESTS),
    ]


def test_read_python_file() -> None:
    facts = read_python_file(SERVICE)
    assert facts is not None
    assert facts.imports == {"asyncio", "logging", "httpx"}  # __future__ says nothing
    assert facts.classes == ["UserService"]
    assert facts.annotations.count("fully annotated") == 3 and facts.annotations.count("unannotated") == 1
    assert facts.async_uses == 6  # two async defs, one async with, three awaits
    assert read_python_file("def broken(:\n") is None


def test_python_patterns_of_a_small_project() -> None:
    found = by_name(extract_python(project()))
    assert found["naming"].value == "snake_case"
    assert set(found["naming"].evidence.counts) == {"snake_case"}  # MAX_RETRIES, log, self say nothing
    assert found["class_naming"].value == "PascalCase"
    assert found["imports"].evidence.counts["pathlib"] == 1
    assert "service" not in found["imports"].value  # relative imports are the project's own
    assert found["typing"].value == "fully annotated"
    assert found["typing"].evidence.counts == {"fully annotated": 7, "unannotated": 1}
    assert found["logging"].value == "logging"
    assert found["test_framework"].value == "pytest"
    assert found["test_framework"].evidence.files == ["tests/test_helpers.py"]
    assert found["async"].value == "used in some files"
    assert found["async"].evidence.counts == {"files": 3, "files_using": 1, "uses": 6, "asyncio": 1}
    assert found["formatter"].value == "isort + ruff"
    assert found["formatter"].evidence.files == ["pyproject.toml"]
    assert found["line_length"].value == "100"
    assert found["line_length"].evidence.counts == {"files": 3, "files within": 3, "declared 100": 1}


def test_unittest_print_and_camel_case_project() -> None:
    module = '''def loadConfig(fileName):
    print("loading", fileName)
    return open(fileName).read()


def saveConfig(fileName, configText):
    print("saving")
'''
    test = '''import unittest
from unittest import mock


class ConfigTest(unittest.TestCase):
    def testLoad(self):
        self.assertTrue(mock.sentinel)
'''
    found = by_name(extract_python([SourceText("config.py", module), SourceText("test_config.py", test)]))
    assert found["naming"].value == "camelCase"
    assert found["logging"].value == "print"
    assert found["logging"].evidence.files == ["config.py"]  # prints in tests are not logging
    assert found["test_framework"].value == "unittest"
    assert found["typing"].value == "unannotated"
    assert found["async"].value == "not used"
    assert "formatter" not in found  # nothing configured


def test_line_length_is_inferred_without_a_config() -> None:
    files = [SourceText(f"m{n}.py", f"x = {'1' * 80}\n") for n in range(10)]  # 84 columns
    found = by_name(extract_python(files))
    assert found["line_length"].value == "88"
    wide = by_name(extract_python([SourceText("wide.py", f"x = {'1' * 200}\n")]))
    assert wide["line_length"].value == "over 120"


def test_formatter_configs() -> None:
    black = read_formatter_config("pyproject.toml", "[tool.black]\nskip-string-normalization = true\n")
    assert black is not None and (black.tools, black.line_length) == (["black"], 88)
    ruff = read_formatter_config("ruff.toml", "line-length = 120\n")
    assert ruff is not None and (ruff.tools, ruff.line_length) == (["ruff"], 120)
    assert read_formatter_config("pyproject.toml", "[project]\nname = 'x'\n") is None
    assert read_formatter_config("pyproject.toml", "[tool.ruff\n") is None  # broken TOML: no evidence


def test_unparsable_and_config_only_projects_give_nothing() -> None:
    assert extract_python([SourceText("py2.py", "print 'hello'\n"), SourceText("pyproject.toml", PYPROJECT)]) == []
