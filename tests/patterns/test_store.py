"""Patterns over a real workspace: walk, lifecycle.db, telemetry, rendering."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from files import write

from brainloop_tui.core.db import Store
from brainloop_tui.core.patterns import (
    Evidence,
    Pattern,
    PatternError,
    collect_patterns,
    extract_patterns,
    load_patterns,
    render_patterns,
)
from brainloop_tui.core.readers.render import token_estimate

GO = '''package app

import "context"

func HandleRequest(ctx context.Context) error {
	requestCount := 1
	_ = requestCount
	return nil
}
'''
SNAKE_GO = '''package app

func handle_request() { request_count := 1; _ = request_count; other_value := 2; _ = other_value }
'''
SQL = "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY);\nCREATE INDEX idx_users_id ON users (id);\n"
PYTHON = "def load_items(item_count: int) -> list[int]:\n    return list(range(item_count))\n"


def sample_workspace(root: Path) -> None:
    write(root, "app/handler.go", GO)
    write(root, "db/schema.sql", SQL)
    write(root, "tools/load.py", PYTHON)
    # Nothing below may count: ignored, vendored, Brainloop's own, or over 1 MB.
    write(root, ".gitignore", "generated/\n")
    write(root, "generated/snake.go", SNAKE_GO * 5)
    write(root, "node_modules/x/snake.go", SNAKE_GO * 5)
    write(root, "tools/huge.py", "def camelCaseName(): pass\n" * 45_000)


async def stored_rows(store: Store) -> dict[tuple[str, str], dict]:
    rows = await store.lifecycle.fetchall("SELECT * FROM patterns")
    return {(row["language"], row["name"]): dict(row) for row in rows}


async def detected_events(store: Store) -> list[dict]:
    rows = await store.metadata.fetchall(
        "SELECT payload FROM telemetry_events WHERE event = 'pattern_detected' ORDER BY id"
    )
    return [json.loads(row["payload"]) for row in rows]


def test_collect_respects_gitignore_vendored_folders_and_the_size_limit(workspace: Path) -> None:
    sample_workspace(workspace)
    found = {(p.language, p.name): p for p in collect_patterns(workspace)}
    assert found["go", "naming"].value == "camelCase"
    assert found["go", "naming"].evidence.files == ["app/handler.go"]
    assert found["python", "naming"].evidence.files == ["tools/load.py"]
    assert found["sql", "index_naming"].value == "idx_ prefix"
    assert collect_patterns(workspace, max_files=1) == [p for p in found.values() if p.language == "go"]


async def test_extract_stores_patterns_and_reports_only_new_or_changed_ones(store: Store, workspace: Path) -> None:
    sample_workspace(workspace)
    first = (await extract_patterns(store)).patterns
    rows = await stored_rows(store)
    assert set(rows) == {(p.language, p.name) for p in first}
    assert rows["go", "naming"]["value"] == "camelCase"
    assert Evidence.model_validate_json(rows["go", "naming"]["evidence"]).files == ["app/handler.go"]
    assert len(await detected_events(store)) == len(first)

    await extract_patterns(store)  # nothing changed: nothing detected
    assert len(await detected_events(store)) == len(first)
    assert await stored_rows(store) == rows

    write(workspace, "app/legacy.go", SNAKE_GO * 3)  # snake_case wins now
    (workspace / "db" / "schema.sql").unlink()  # SQL patterns are gone with their files
    await extract_patterns(store)
    events = await detected_events(store)
    assert events[len(first):] == [
        {"language": "go", "name": "naming", "value": "snake_case", "previous": "camelCase",
         "confidence": 0.69},  # 9 snake_case names against 2 camelCase: 9 / (11 + 2)
    ]
    rows_after = await stored_rows(store)
    assert not any(language == "sql" for language, _ in rows_after)
    assert rows_after["go", "naming"]["detected_at"] > rows["go", "naming"]["detected_at"]
    assert rows_after["go", "context"]["detected_at"] == rows["go", "context"]["detected_at"]


async def test_load_patterns_filters_by_language_and_orders_by_confidence(store: Store, workspace: Path) -> None:
    sample_workspace(workspace)
    await extract_patterns(store)
    go = await load_patterns(store, "go")
    assert go and {p.language for p in go} == {"go"}
    everything = await load_patterns(store)
    assert [p.confidence for p in everything] == sorted((p.confidence for p in everything), reverse=True)
    assert [p for p in everything if p.language == "go"] == go


async def test_bad_requests_are_refused(store: Store) -> None:
    with pytest.raises(PatternError, match="unknown language 'cobol'"):
        await load_patterns(store, "cobol")  # type: ignore[arg-type]
    with pytest.raises(PatternError, match="max_files"):
        await extract_patterns(store, max_files=0)
    with pytest.raises(PatternError, match="too small"):
        render_patterns([], max_tokens=5)
    assert await stored_rows(store) == {}


def make_pattern(name: str, value: str, confidence: float, language: str = "python") -> Pattern:
    return Pattern(language=language, name=name, value=value, confidence=confidence,
                   evidence=Evidence(counts={"files": 3}, files=["a.py"]))


def test_render_says_instructions_most_confident_first_within_budget() -> None:
    patterns = [make_pattern("naming", "snake_case", 0.7), make_pattern("typing", "fully annotated", 0.9),
                make_pattern("logging", "logging", 0.8), make_pattern("channels", "used in some files", 0.95),
                make_pattern("docstrings", "documented", 0.3)]  # under the threshold: not said
    assert render_patterns(patterns).splitlines() == [
        "- Annotate every parameter and every return type.",
        "- Log with the standard logging module (`log = logging.getLogger(__name__)`); never print().",
        "- Name functions, arguments and variables in snake_case.",
    ]
    many = [make_pattern("imports", "module_" * 40 + str(index), 0.6) for index in range(50)]
    text = render_patterns(many, max_tokens=100)
    assert token_estimate(text) <= 100 and text.splitlines()[-1].endswith("omitted")


def test_render_by_language_and_empty() -> None:
    patterns = [make_pattern("error_handling", "returned errors", 0.8, "go"),
                make_pattern("index_naming", "idx_ prefix", 0.9, "sql")]
    text = render_patterns(patterns, language="go")
    assert text == ('- Return errors to the caller, wrapped with context (`fmt.Errorf("load item: %w", err)`); '
                    "do not panic or log.Fatal.")
    assert render_patterns(patterns, language="python") == ""
    assert render_patterns([]) == ""


async def test_a_refresh_rereads_only_the_files_that_changed(store: Store, workspace: Path) -> None:
    sample_workspace(workspace)
    first = await extract_patterns(store)
    assert (first.seen, first.read) == (3, 3)  # the ignored, vendored and oversized files are not even seen
    again = await extract_patterns(store)
    assert (again.read, again.removed, again.changed) == (0, 0, [])
    assert again.patterns == await load_patterns(store)

    write(workspace, "app/legacy.go", SNAKE_GO * 3)
    (workspace / "tools" / "load.py").unlink()
    after = await extract_patterns(store)
    assert (after.read, after.removed) == (1, 1)  # only the new file is read; the removed one is forgotten
    stored = {row["path"] for row in await store.lifecycle.fetchall("SELECT path FROM pattern_files")}
    assert stored == {"app/handler.go", "app/legacy.go", "db/schema.sql"}
    assert not any(p.language == "python" for p in after.patterns)


async def test_files_that_say_nothing_are_remembered_and_not_reread(store: Store, workspace: Path) -> None:
    write(workspace, "broken.py", "def (:\n")
    (workspace / "blob.py").write_bytes(b"\x00\x01binary")
    assert (await extract_patterns(store)).read == 2
    assert (await extract_patterns(store)).read == 0
    assert await load_patterns(store) == []


async def test_a_workspace_of_20000_files_is_read_once_within_the_cap(store: Store, workspace: Path) -> None:
    for index in range(20_000):
        folder = workspace / f"pkg{index // 1000}"
        folder.mkdir(exist_ok=True)
        (folder / f"mod_{index}.py").write_text(f"def load_{index}(item_count: int) -> int:\n    return item_count\n")
    first = await extract_patterns(store)
    assert first.cut and first.seen == first.read == 5_000  # MAX_PATTERN_FILES: a bounded first look
    assert {p.name: p.value for p in first.patterns}["naming"] == "snake_case"
    again = await extract_patterns(store)
    assert again.read == 0  # incremental: nothing changed, nothing read


async def test_a_file_rewritten_while_it_is_read_ends_up_read_as_it_is(store: Store, workspace: Path) -> None:
    target = workspace / "moving.py"
    target.write_text("def camelCase(): pass\n")
    stop = threading.Event()

    def keep_rewriting() -> None:
        count = 0
        while not stop.is_set():
            count += 1
            target.write_text("def camelCase(): pass\n" * (count % 7 + 1))

    writer = threading.Thread(target=keep_rewriting)
    writer.start()
    try:
        for _ in range(5):
            await extract_patterns(store)
    finally:
        stop.set()
        writer.join()
    target.write_text("def load_rows(row_count): pass\n")  # a size no rewrite had: its stamp differs
    await extract_patterns(store)
    assert {p.name: p.value for p in await load_patterns(store, "python")}["naming"] == "snake_case"
