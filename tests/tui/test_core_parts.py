"""The two core modules written for the workbench: remembered preferences and the demo workspace."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from brainloop_tui.core.db import Store
from brainloop_tui.core.demo import DATABASE, MARKER, DemoError, make_demo_workspace
from brainloop_tui.core.preferences import PreferenceError, get_preference, load_preferences, set_preference
from brainloop_tui.core.readers import build_digest, detect_kind


async def test_preferences_are_remembered_per_workspace(store: Store, workspace: Path) -> None:
    assert await get_preference(store, "theme") is None
    assert await load_preferences(store) == {}
    await set_preference(store, "theme", "nord")
    await set_preference(store, "theme", "gruvbox")
    await set_preference(store, "session_filter", "")
    assert await get_preference(store, "theme") == "gruvbox"
    assert await load_preferences(store) == {"theme": "gruvbox", "session_filter": ""}
    async with await Store.open(workspace) as again:  # another connection, as the next run would have
        assert await get_preference(again, "theme") == "gruvbox"


async def test_bad_preferences_are_refused_and_change_nothing(store: Store) -> None:
    await set_preference(store, "theme", "nord")
    for name, value, message in [("colour", "red", "unknown preference 'colour'"),
                                 ("theme", "x" * 201, "one line of at most 200"),
                                 ("theme", "two\nlines", "one line"),
                                 ("theme", 3, "must be text")]:
        with pytest.raises(PreferenceError, match=message):
            await set_preference(store, name, value)  # type: ignore[arg-type]
    with pytest.raises(PreferenceError, match="unknown preference"):
        await get_preference(store, "colour")  # type: ignore[arg-type]
    assert await load_preferences(store) == {"theme": "nord"}


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix != ".db"}


def test_demo_workspace_has_every_kind_and_is_deterministic(tmp_path: Path) -> None:
    first = make_demo_workspace(tmp_path / "one")
    second = make_demo_workspace(tmp_path / "two" / "nested")
    assert first == (tmp_path / "one").resolve()
    assert _tree(first) == _tree(second)
    kinds = {detect_kind(p) for p in first.rglob("*") if p.is_file()}
    assert {"code", "markdown", "config", "sqlite"} <= kinds
    assert {p.suffix for p in first.rglob("*") if p.is_file()} >= {".py", ".go", ".sql", ".md", ".toml", ".db"}
    with sqlite3.connect(first / DATABASE) as connection:
        assert connection.execute("SELECT count(*) FROM items").fetchone()[0] == 4
    config = build_digest(first / "config/service.toml", "config/service.toml")
    assert any("api_key" in warning for warning in config.warnings)
    assert "sk_demo_4f9c2a7e1b6d3058aa91c4e7f2d6b830" not in config.text


def test_a_demo_folder_is_reused_and_other_folders_are_refused(tmp_path: Path) -> None:
    demo = make_demo_workspace(tmp_path / "demo")
    (demo / "inventory" / "report.py").write_text("print('committed since')\n")
    assert make_demo_workspace(demo) == demo
    assert (demo / "inventory" / "report.py").exists()
    busy = tmp_path / "project"
    busy.mkdir()
    (busy / "main.py").write_text("")
    with pytest.raises(DemoError, match="not empty"):
        make_demo_workspace(busy)
    assert sorted(p.name for p in busy.iterdir()) == ["main.py"]
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(DemoError, match="is a file"):
        make_demo_workspace(a_file)
    assert not (tmp_path / "demo2").exists()
    assert (demo / MARKER).is_file()


async def test_the_demo_database_is_registered_once(tmp_path: Path) -> None:
    from brainloop_tui.core.db import Store
    from brainloop_tui.core.demo import register_demo_sources
    from brainloop_tui.core.sources import list_sources

    demo = make_demo_workspace(tmp_path / "demo")
    await register_demo_sources(demo)
    await register_demo_sources(demo)  # a reused demo: nothing added twice, no error
    async with await Store.open(demo) as store:
        assert [(s.path, s.kind, s.health) for s in await list_sources(store)] == [(DATABASE, "sqlite", "ok")]
