"""`brainloop demo`: a small sample workspace to try Brainloop on.

A made-up inventory service in Python, Go and SQL, with Markdown docs, a config file holding a fake
secret (the config reader flags and redacts it) and a SQLite database built from the SQL schema. The
content is fixed, so every demo looks the same. A folder made by an earlier run is reused as it is
(it may hold work committed since); any other non-empty folder is refused.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from textwrap import dedent

from brainloop_tui.core.errors import BrainloopError

MARKER = ".brainloop-demo"
DATABASE = "data/inventory.db"


class DemoError(BrainloopError):
    """The demo workspace cannot be made where it was asked for."""


def _text(source: str) -> str:
    return dedent(source).lstrip("\n")


SCHEMA_SQL = _text("""
    -- Inventory schema: plural snake_case tables, explicit constraints, idx_ indexes.
    PRAGMA foreign_keys = ON;

    CREATE TABLE IF NOT EXISTS warehouses (
        id      INTEGER PRIMARY KEY,
        code    TEXT NOT NULL UNIQUE,
        city    TEXT NOT NULL
    );

    CREATE TABLE IF NOT EXISTS items (
        id          INTEGER PRIMARY KEY,
        sku         TEXT NOT NULL UNIQUE CHECK (length(sku) = 8),
        name        TEXT NOT NULL,
        unit_cents  INTEGER NOT NULL CHECK (unit_cents >= 0)
    );

    CREATE TABLE IF NOT EXISTS stock_levels (
        warehouse_id INTEGER NOT NULL REFERENCES warehouses (id),
        item_id      INTEGER NOT NULL REFERENCES items (id),
        quantity     INTEGER NOT NULL DEFAULT 0 CHECK (quantity >= 0),
        PRIMARY KEY (warehouse_id, item_id)
    );
    CREATE INDEX IF NOT EXISTS idx_stock_levels_item_id ON stock_levels (item_id);

    CREATE TABLE IF NOT EXISTS movements (
        id           INTEGER PRIMARY KEY,
        item_id      INTEGER NOT NULL REFERENCES items (id),
        warehouse_id INTEGER NOT NULL REFERENCES warehouses (id),
        delta        INTEGER NOT NULL CHECK (delta <> 0),
        reason       TEXT NOT NULL,
        moved_at     TEXT NOT NULL
    );
""")

SEED_SQL = _text("""
    INSERT INTO warehouses (id, code, city) VALUES
        (1, 'LYS1', 'Lyon'),
        (2, 'RTM1', 'Rotterdam');

    INSERT INTO items (id, sku, name, unit_cents) VALUES
        (1, 'BOLT0008', 'Hex bolt M8', 12),
        (2, 'NUT00008', 'Hex nut M8', 5),
        (3, 'WASH0008', 'Washer 8 mm', 2),
        (4, 'GEAR0042', 'Spur gear 42T', 1250);

    INSERT INTO stock_levels (warehouse_id, item_id, quantity) VALUES
        (1, 1, 1200), (1, 2, 1500), (1, 3, 4000),
        (2, 1, 300), (2, 4, 18);

    INSERT INTO movements (id, item_id, warehouse_id, delta, reason, moved_at) VALUES
        (1, 1, 1, 1200, 'initial count', '2024-03-01T08:00:00Z'),
        (2, 4, 2, 20, 'delivery', '2024-03-02T10:30:00Z'),
        (3, 4, 2, -2, 'order 1001', '2024-03-03T14:05:00Z');
""")

FILES: dict[str, str] = {
    "README.md": _text("""
        # Inventory demo

        A small inventory service, here so that you can try Brainloop on something real.

        - `inventory/` — the Python domain model and its command-line tool
        - `cmd/stockd/` and `internal/stock/` — the Go HTTP service
        - `db/schema.sql` — the database schema; `data/inventory.db` is built from it
        - `config/service.toml` — settings (the key in it is fake)

        ## Try this

        1. Press `n`, ask for `inventory/report.py`: "print the stock of every item per warehouse".
        2. Read the proposal, press `r` to ask for a change, then `c` to commit it.
        3. Open the **Digests** tab to see how Brainloop reads each file.
    """),
    "docs/architecture.md": _text("""
        # Architecture

        ## Domain

        Items are counted per warehouse in `stock_levels`; every change is a row in `movements`,
        so a stock level can always be rebuilt from its history.

        ## Service

        `stockd` serves `GET /stock/{sku}` and `POST /movements`. It opens the database once,
        passes a `context.Context` to every query and returns errors instead of panicking.

        ```go
        level, err := store.Level(ctx, sku)
        if err != nil {
            return fmt.Errorf("level of %s: %w", sku, err)
        }
        ```

        See the [README](../README.md) for how to run it.
    """),
    "inventory/__init__.py": '"""Inventory domain: items, warehouses and the stock of one in the other."""\n',
    "inventory/model.py": _text('''
        """Items and stock levels, independent of any storage."""

        from __future__ import annotations

        from dataclasses import dataclass


        class StockError(ValueError):
            """A movement would make a stock level negative."""


        @dataclass(frozen=True)
        class Item:
            sku: str
            name: str
            unit_cents: int

            def price(self, quantity: int) -> int:
                """Price of `quantity` units, in cents."""
                return self.unit_cents * quantity


        @dataclass
        class StockLevel:
            warehouse: str
            item: Item
            quantity: int = 0

            def move(self, delta: int) -> None:
                if self.quantity + delta < 0:
                    raise StockError(f"{self.item.sku}: only {self.quantity} left in {self.warehouse}")
                self.quantity += delta

            @property
            def value_cents(self) -> int:
                return self.item.price(self.quantity)
    '''),
    "inventory/store.py": _text('''
        """Reading stock levels from the SQLite database."""

        from __future__ import annotations

        import logging
        import sqlite3
        from pathlib import Path

        from inventory.model import Item, StockLevel

        log = logging.getLogger(__name__)


        def open_database(path: Path) -> sqlite3.Connection:
            connection = sqlite3.connect(path)
            connection.execute("PRAGMA foreign_keys = ON")
            return connection


        def stock_levels(connection: sqlite3.Connection) -> list[StockLevel]:
            rows = connection.execute(
                "SELECT w.code, i.sku, i.name, i.unit_cents, s.quantity"
                " FROM stock_levels s JOIN warehouses w ON w.id = s.warehouse_id"
                " JOIN items i ON i.id = s.item_id ORDER BY w.code, i.sku"
            ).fetchall()
            log.debug("read %d stock levels", len(rows))
            return [StockLevel(code, Item(sku, name, cents), quantity) for code, sku, name, cents, quantity in rows]
    '''),
    "tests/test_model.py": _text('''
        import pytest

        from inventory.model import Item, StockError, StockLevel


        def test_a_movement_never_makes_stock_negative() -> None:
            level = StockLevel("LYS1", Item("BOLT0008", "Hex bolt M8", 12), quantity=3)
            with pytest.raises(StockError):
                level.move(-4)
            assert level.quantity == 3
    '''),
    "go.mod": "module example.com/stockd\n\ngo 1.22\n",
    "cmd/stockd/main.go": _text("""
        package main

        import (
        	"context"
        	"database/sql"
        	"log/slog"
        	"net/http"
        	"os"

        	"example.com/stockd/internal/stock"
        )

        func main() {
        	db, err := sql.Open("sqlite", "data/inventory.db")
        	if err != nil {
        		slog.Error("open database", "err", err)
        		os.Exit(1)
        	}
        	defer db.Close()

        	store := stock.NewStore(db)
        	http.HandleFunc("GET /stock/{sku}", func(w http.ResponseWriter, r *http.Request) {
        		level, err := store.Level(r.Context(), r.PathValue("sku"))
        		if err != nil {
        			http.Error(w, err.Error(), http.StatusNotFound)
        			return
        		}
        		w.Write([]byte(level.String()))
        	})
        	slog.Info("listening", "addr", ":8080")
        	if err := http.ListenAndServe(":8080", nil); err != nil && err != context.Canceled {
        		slog.Error("serve", "err", err)
        	}
        }
    """),
    "internal/stock/store.go": _text("""
        package stock

        import (
        	"context"
        	"database/sql"
        	"fmt"
        )

        // Level is the quantity of one item across every warehouse.
        type Level struct {
        	SKU      string
        	Quantity int
        }

        func (l Level) String() string {
        	return fmt.Sprintf("%s: %d", l.SKU, l.Quantity)
        }

        // Store reads stock levels.
        type Store struct {
        	db *sql.DB
        }

        func NewStore(db *sql.DB) *Store {
        	return &Store{db: db}
        }

        func (s *Store) Level(ctx context.Context, sku string) (Level, error) {
        	var quantity int
        	err := s.db.QueryRowContext(ctx,
        		"SELECT coalesce(sum(s.quantity), 0) FROM stock_levels s JOIN items i ON i.id = s.item_id WHERE i.sku = ?",
        		sku).Scan(&quantity)
        	if err != nil {
        		return Level{}, fmt.Errorf("level of %s: %w", sku, err)
        	}
        	return Level{SKU: sku, Quantity: quantity}, nil
        }
    """),
    "db/schema.sql": SCHEMA_SQL,
    "db/seed.sql": SEED_SQL,
    "config/service.toml": _text("""
        # stockd settings. The key below is a made-up example, never a real one.
        [server]
        host = "127.0.0.1"
        port = 8080
        debug = false

        [database]
        path = "data/inventory.db"
        busy_timeout_ms = 5000

        [payments]
        endpoint = "https://payments.example.com/v1"
        api_key = "sk_demo_4f9c2a7e1b6d3058aa91c4e7f2d6b830"
        timeout_s = 10
    """),
}
MARKER_TEXT = "This folder was made by `brainloop demo`; running it again reuses the folder as it is.\n"


def _build_database(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    try:
        connection.executescript(SCHEMA_SQL + SEED_SQL)
        connection.commit()
    finally:
        connection.close()


def make_demo_workspace(folder: Path) -> Path:
    """Make the demo in `folder` (created when missing) and return it, resolved.

    A folder that already holds a demo is returned untouched; any other non-empty folder, or a
    file, raises `DemoError` and nothing is written."""
    folder = folder.expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise DemoError(f"{folder} is a file: give a folder for the demo workspace")
    if folder.is_dir() and any(folder.iterdir()):
        if (folder / MARKER).is_file():
            return folder
        raise DemoError(f"{folder} is not empty and holds no demo: give a new or empty folder")
    try:
        for relative, content in FILES.items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        _build_database(folder / DATABASE)
        (folder / MARKER).write_text(MARKER_TEXT, encoding="utf-8")  # last: a half-made demo is never reused
    except (OSError, sqlite3.Error) as exc:
        raise DemoError(f"cannot make the demo workspace in {folder}: {exc}") from exc
    return folder


async def register_demo_sources(workspace: Path) -> None:
    """Register the demo's database as a source, so the digests browser and `explore` show it (once)."""
    from brainloop_tui.core.db import Store
    from brainloop_tui.core.sources import add_source, list_sources

    async with await Store.open(workspace, input_writable=True) as store:
        if DATABASE not in {source.path for source in await list_sources(store)}:
            await add_source(store, DATABASE, "sqlite", "the demo's inventory database")
