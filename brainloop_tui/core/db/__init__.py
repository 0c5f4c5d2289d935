"""The workspace's four SQLite databases, owned by one async `Store`."""

from brainloop_tui.core.db.store import DATABASES, Database, Store, from_row, now

__all__ = ["DATABASES", "Database", "Store", "from_row", "now"]
