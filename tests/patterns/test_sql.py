"""SQL conventions from real SQL scripts written by the tests."""

from __future__ import annotations

import pytest

from brainloop_tui.core.patterns.model import Pattern, SourceText
from brainloop_tui.core.patterns.sql import extract_sql, index_naming, read_sql_file, table_case, table_number

SCHEMA = """-- CREATE TABLE commented_out (x INTEGER);  PRAGMA journal_mode = DELETE;
PRAGMA journal_mode = wal;
PRAGMA main.synchronous(1);
pragma foreign_keys=1;

/* BEGIN; is not a statement here */
CREATE TABLE IF NOT EXISTS users (
    id    INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    note  TEXT DEFAULT 'CREATE TABLE inside_a_string (x)'
);
CREATE TABLE IF NOT EXISTS "order_items" (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    amount  INTEGER NOT NULL CHECK (amount > 0)
);
CREATE TABLE audit_log (entry TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS idx_order_items_user_id ON order_items (user_id);
CREATE UNIQUE INDEX idx_users_email ON users (email);
CREATE INDEX audit_entry ON audit_log (entry);
"""

MIGRATION = """BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS main.invoices (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    FOREIGN KEY (user_id) REFERENCES users (id)
);
INSERT INTO invoices (user_id) VALUES (1);
COMMIT;
"""


def by_name(patterns: list[Pattern]) -> dict[str, Pattern]:
    return {pattern.name: pattern for pattern in patterns}


def test_read_sql_file_skips_comments_and_strings() -> None:
    facts = read_sql_file(SCHEMA)
    assert [name for name, _, _ in facts.tables] == ["users", "order_items", "audit_log"]
    assert [guarded for _, guarded, _ in facts.tables] == [True, True, False]
    assert facts.tables[0][2] == {"PRIMARY KEY", "NOT NULL", "UNIQUE"}
    assert facts.tables[1][2] == {"PRIMARY KEY", "NOT NULL", "FOREIGN KEY", "CHECK"}
    assert facts.indexes == ["idx_order_items_user_id", "idx_users_email", "audit_entry"]
    assert facts.settings == [("journal_mode", "WAL"), ("synchronous", "NORMAL"), ("foreign_keys", "ON")]
    assert facts.begins == []


def test_sql_patterns_of_a_small_project() -> None:
    found = by_name(extract_sql([SourceText("db/schema.sql", SCHEMA), SourceText("db/0002.sql", MIGRATION)]))
    assert found["pragma_journal_mode"].value == "WAL"
    assert found["pragma_synchronous"].value == "NORMAL"
    assert found["pragma_foreign_keys"].value == "ON"
    assert found["table_case"].value == "snake_case"
    assert found["table_number"].value == "plural"
    assert found["table_number"].evidence.counts == {"plural": 3, "singular": 1}  # audit_log
    assert found["create_table_style"].value == "IF NOT EXISTS"
    assert found["create_table_style"].evidence.counts == {"IF NOT EXISTS": 3, "plain CREATE TABLE": 1}
    assert found["constraints"].value.split(", ")[:2] == ["NOT NULL", "PRIMARY KEY"]
    assert found["constraints"].evidence.counts == {
        "NOT NULL": 4, "PRIMARY KEY": 3, "FOREIGN KEY": 2, "UNIQUE": 1, "CHECK": 1
    }
    assert found["index_naming"].value == "idx_ prefix"
    assert found["index_naming"].evidence.counts == {"idx_ prefix": 2, "other": 1}
    assert found["transactions"].value == "used in most files"
    assert found["transactions"].evidence.counts == {"files": 2, "files_using": 1, "uses": 1, "BEGIN IMMEDIATE": 1}
    assert found["transactions"].evidence.files == ["db/0002.sql"]


@pytest.mark.parametrize(
    ("name", "case", "number"),
    [
        ("users", "snake_case", "plural"),
        ("user_account", "snake_case", "singular"),
        ("status", "snake_case", "singular"),
        ("people", "snake_case", "plural"),
        ("OrderItems", "PascalCase", "plural"),
        ("Address", "PascalCase", "singular"),
        ("orderItem", "camelCase", "singular"),
        ("AUDIT_LOG", "UPPER_CASE", "singular"),
    ],
)
def test_table_name_classification(name: str, case: str, number: str) -> None:
    assert (table_case(name), table_number(name)) == (case, number)


def test_index_naming_styles() -> None:
    assert [index_naming(name) for name in ["idx_a", "IX_a", "a_idx", "a_index", "by_a"]] == [
        "idx_ prefix", "ix_ prefix", "_idx suffix", "_idx suffix", "other"
    ]


def test_sql_without_tables_gives_only_what_it_shows() -> None:
    found = by_name(extract_sql([SourceText("q.sql", "SELECT 1; PRAGMA journal_mode;")]))
    assert set(found) == {"transactions"}  # a pragma that is only read sets nothing
    assert found["transactions"].value == "not used"
