"""Named secrets in metadata.db (mode 0600). Values are returned only to code that uses them,
never listed, logged, or put in an event."""

from __future__ import annotations

from brainloop_tui.core.db import Store, now
from brainloop_tui.core.errors import BrainloopError

API_KEY = "api_key"  # the secret the LLM client falls back to when no key is configured


class SecretError(BrainloopError):
    """A secret name or value is unusable."""


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or not name.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise SecretError(f"secret name {name!r} must be letters, digits, '_', '-' or '.'")
    return name


async def set_secret(store: Store, name: str, value: str) -> None:
    name = _check_name(name)
    if not value:
        raise SecretError(f"secret {name!r} needs a non-empty value")
    await store.metadata.execute(
        "INSERT INTO secrets (name, value, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (name, value, now()),
    )


async def get_secret(store: Store, name: str) -> str | None:
    row = await store.metadata.fetchone("SELECT value FROM secrets WHERE name = ?", (_check_name(name),))
    return None if row is None else str(row[0])


async def secret_names(store: Store) -> list[str]:
    return [str(row[0]) for row in await store.metadata.fetchall("SELECT name FROM secrets ORDER BY name")]


async def delete_secret(store: Store, name: str) -> bool:
    """True when a secret of that name existed."""
    name = _check_name(name)
    async with store.metadata.transaction() as conn:
        cursor = await conn.execute("DELETE FROM secrets WHERE name = ?", (name,))
        return cursor.rowcount > 0
