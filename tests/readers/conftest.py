"""Fixtures of the reader tests (the things they build are in reader_fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest
from reader_fixtures import make_shop_db


@pytest.fixture(scope="session")
def shop_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_shop_db(tmp_path_factory.mktemp("shop") / "shop.db")


@pytest.fixture
def shop_db(shop_db_template: Path, workspace: Path) -> Path:
    """A fresh copy in the workspace (a cleanly closed WAL database: no -wal, no -shm)."""
    target = workspace / "shop.db"
    target.write_bytes(shop_db_template.read_bytes())
    return target
