"""explore over real folders: the map, the caches, both cores, limits, and bad input."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from files import write

from brainloop_tui.core import explore as explore_module
from brainloop_tui.core.db import Store
from brainloop_tui.core.explore import ExploreError, build_digests, explore
from brainloop_tui.core.readers.render import token_estimate
from brainloop_tui.core.sources import add_source
from brainloop_tui.core.telemetry import metric_total
from brainloop_tui.core.workspace import PathError

GO = 'package api\n\nimport "context"\n\nfunc ServeUsers(ctx context.Context) error {\n\treturn nil\n}\n'
PYTHON = '"""Loads users."""\n\n\nclass UserLoader:\n    def load(self) -> list[str]:\n        return []\n'
SQL = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n"
MARKDOWN = "# Project\n\n## Setup\n\nRun it.\n"


def sample(root: Path) -> None:
    write(root, "README.md", MARKDOWN)
    write(root, "api/server.go", GO)
    write(root, "app/loader.py", PYTHON)
    write(root, "db/schema.sql", SQL)
    write(root, "LICENSE", "MIT License\n")
    write(root, "logo.png", b"\x89PNG\x00\x00binary")
    write(root, ".gitignore", "data/\n")
    (root / "data").mkdir()
    conn = sqlite3.connect(root / "data" / "app.db")
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT)")
    conn.commit()
    conn.close()


def entries_by_path(result) -> dict:
    return {entry.path: entry for entry in result.entries}


async def test_map_of_a_workspace(store: Store, workspace: Path) -> None:
    sample(workspace)
    result = await explore(store)
    found = entries_by_path(result)
    assert list(found) == [".gitignore", "LICENSE", "README.md", "api/server.go", "app/loader.py", "db/schema.sql"]
    assert found["app/loader.py"].kind == "code" and "UserLoader" in found["app/loader.py"].symbols
    assert found["README.md"].kind == "markdown" and "Project" in (found["README.md"].headline or "")
    assert found["LICENSE"].kind is None and found["LICENSE"].headline is None and found["LICENSE"].size == 12
    assert (result.cut, result.notes, result.from_cache) == (False, [], False)
    assert result.digests_built == 4 and result.digests_cached == 0  # no reader for .gitignore and LICENSE
    lines = result.text.splitlines()
    assert lines[0] == "Map of the workspace: 6 files"
    assert "LICENSE (12 bytes)" in lines
    assert "app/" in lines and any(line.startswith("  loader.py — ") and "UserLoader" in line for line in lines)
    assert result.token_estimate == token_estimate(result.text)
    assert await metric_total(store, "digests_generated") == 4


async def test_registered_sources_are_mapped_even_when_ignored_or_binary(workspace: Path) -> None:
    sample(workspace)
    async with await Store.open(workspace, input_writable=True) as writer:
        await add_source(writer, "data/app.db")
        await add_source(writer, "db/schema.sql")
        result = await explore(writer)
        found = entries_by_path(result)
        assert found["data/app.db"].registered and found["data/app.db"].kind == "sqlite"
        assert "events" in found["data/app.db"].symbols
        assert found["db/schema.sql"].registered and not found["README.md"].registered
        assert [(s.path, s.kind, s.health) for s in result.sources] == [
            ("data/app.db", "sqlite", "ok"), ("db/schema.sql", "schema", "ok")
        ]
        assert "Registered sources: data/app.db (sqlite, ok), db/schema.sql (schema, ok)" in result.text
        in_api = await explore(writer, "api")
        assert in_api.sources == [] and [e.path for e in in_api.entries] == ["api/server.go"]
        assert in_api.text.splitlines()[:2] == ["Map of api/: 1 files", "server.go — " + in_api.entries[0].headline
                                                + " · " + ", ".join(in_api.entries[0].symbols[:3])]


async def test_unchanged_folder_is_served_from_cache_and_a_change_rebuilds_one_digest(
    store: Store, workspace: Path
) -> None:
    sample(workspace)
    first = await explore(store)
    second = await explore(store)
    assert second.from_cache and second.model_dump(exclude={"from_cache"}) == first.model_dump(exclude={"from_cache"})
    events = await store.metadata.fetchall("SELECT payload FROM telemetry_events WHERE event = 'cache_hit'")
    assert [json.loads(row["payload"])["kind"] for row in events] == ["explore"]

    source = workspace / "app" / "loader.py"
    source.write_text(PYTHON + "\n\ndef extra_function() -> None:\n    pass\n", encoding="utf-8")
    third = await explore(store)
    assert not third.from_cache
    assert (third.digests_built, third.digests_cached) == (1, 3)
    assert "extra_function" in entries_by_path(third)["app/loader.py"].symbols
    other_params = await explore(store, max_tokens=300)
    assert not other_params.from_cache and other_params.digests_built == 0


async def test_limits_depth_files_and_tokens(store: Store, workspace: Path) -> None:
    sample(workspace)
    for index in range(40):
        write(workspace, f"pkg/module_{index:02d}.py", PYTHON.replace("UserLoader", f"Loader{index}"))
    shallow = await explore(store, max_depth=1)
    assert [e.path for e in shallow.entries] == [".gitignore", "LICENSE", "README.md"]
    few = await explore(store, max_files=4)
    assert len(few.entries) == 4 and few.cut and "cut at max_files=4" in few.text
    small = await explore(store, max_tokens=120)
    assert token_estimate(small.text) <= 120 and small.text.endswith("omitted")
    assert len(small.entries) == 46  # the structured result keeps every file; only the text is cut


async def test_a_reader_failure_is_shown_and_the_map_goes_on(store: Store, workspace: Path) -> None:
    write(workspace, "fake.db", "not a database at all\n")
    write(workspace, "ok.md", MARKDOWN)
    result = await explore(store)
    fake = entries_by_path(result)["fake.db"]
    assert fake.kind == "sqlite" and fake.headline is None and "SQLite" in (fake.error or "")
    assert "fake.db (22 bytes) — not read:" in result.text
    assert entries_by_path(result)["ok.md"].headline


async def test_the_process_pool_and_the_thread_give_the_same_map(
    store: Store, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(12):
        write(workspace, f"m{index:02d}.py", PYTHON.replace("UserLoader", f"Loader{index}"))
    monkeypatch.setattr(explore_module, "PROCESS_POOL_MIN_FILES", 1)  # force the pool on a small folder
    pooled = await explore(store)
    await store.lifecycle.execute("DELETE FROM reader_cache")
    monkeypatch.setattr(explore_module, "PROCESS_POOL_MIN_FILES", 10_000)
    threaded = await explore(store)
    assert pooled.digests_built == threaded.digests_built == 12
    assert pooled.entries == threaded.entries
    assert [e.symbols[0] for e in pooled.entries] == [f"Loader{index}" for index in range(12)]


def test_build_digests_reports_errors_per_file(workspace: Path) -> None:
    good = write(workspace, "a.md", MARKDOWN)
    bad = write(workspace, "b.db", "text, not SQLite\n")
    signature = f"{good.stat().st_mtime_ns}:{good.stat().st_size}"
    [(digest, unchanged), (error, cacheable)] = build_digests(
        [(str(good), "a.md", "markdown", signature), (str(bad), "b.db", "sqlite", "x")]
    )
    assert not isinstance(digest, str) and digest.path == "a.md" and unchanged
    assert isinstance(error, str) and "b.db" in error and not cacheable


async def test_bad_paths_are_refused(store: Store, workspace: Path, tmp_path: Path) -> None:
    write(workspace, "file.py", PYTHON)
    (tmp_path / "elsewhere").mkdir()
    (workspace / "link_out").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(PathError, match="outside the workspace"):
        await explore(store, "../")
    with pytest.raises(PathError, match="outside the workspace"):
        await explore(store, "link_out")
    with pytest.raises(ExploreError, match="is a file, not a folder"):
        await explore(store, "file.py")
    with pytest.raises(ExploreError, match="no such folder"):
        await explore(store, "missing")
    with pytest.raises(PathError, match="Brainloop's own state"):
        await explore(store, ".brainloop")
    for limits, name in [({"max_depth": 0}, "max_depth"), ({"max_files": 0}, "max_files"), ({"max_tokens": 5}, "max_tokens")]:
        with pytest.raises(ExploreError, match=name):
            await explore(store, **limits)
    row = await store.lifecycle.fetchone("SELECT count(*) FROM reader_cache")
    assert row[0] == 0


async def test_a_symlink_loop_is_mapped_once(store: Store, workspace: Path) -> None:
    write(workspace, "a/b/code.py", PYTHON)
    (workspace / "a" / "b" / "back").symlink_to(workspace / "a")
    (workspace / "a" / "self").symlink_to(".")
    result = await explore(store)
    assert [e.path for e in result.entries] == ["a/b/code.py"]


async def test_a_folder_of_100000_files_is_bounded_by_max_files(hundred_thousand_files: Path) -> None:
    async with await Store.open(hundred_thousand_files) as store:
        result = await explore(store, "many", max_files=50)
    assert len(result.entries) == 50 and result.cut
    assert result.entries[0].path == "many/f000000.txt" and result.entries[0].size == 0
    assert result.notes == [
        "cut at max_files=50: the folder holds more files; explore a sub-folder or raise max_files"
    ]
    assert result.text.splitlines()[:2] == ["Map of many/: 50 files", f"({result.notes[0]})"]


async def test_a_reader_bug_costs_one_line_not_the_map(
    store: Store, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(workspace, "crash.md", "# secret-looking content sk-abc\n")
    write(workspace, "fine.py", PYTHON)

    def buggy_reader(path: Path, rel_path: str, kind: str | None = None):
        if rel_path == "crash.md":
            raise ValueError("boom: # secret-looking content sk-abc")
        return real_build_digest(path, rel_path, kind)

    real_build_digest = explore_module.build_digest
    monkeypatch.setattr(explore_module, "build_digest", buggy_reader)
    result = await explore(store)
    crash = entries_by_path(result)["crash.md"]
    assert crash.error == "the markdown reader failed unexpectedly (ValueError); please report it"
    assert "sk-abc" not in result.model_dump_json()
    assert entries_by_path(result)["fine.py"].headline


async def test_a_registered_source_that_became_a_link_out_is_not_followed(
    workspace: Path, tmp_path: Path
) -> None:
    write(workspace, "notes.md", MARKDOWN)
    write(tmp_path, "private/secret.md", "# Private\n")
    async with await Store.open(workspace, input_writable=True) as writer:
        await add_source(writer, "notes.md")
        (workspace / "notes.md").unlink()
        (workspace / "notes.md").symlink_to(tmp_path / "private" / "secret.md")
        result = await explore(writer)
    assert result.entries == [] and "Private" not in result.text
