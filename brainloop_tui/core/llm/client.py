"""The process's one HTTP client, and what it already knows about the endpoints it talks to."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

_shared: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient] | None = None
# (base_url, model) pairs whose model was found served, or could not be checked: checked once.
confirmed_models: set[tuple[str, str]] = set()


def shared_client() -> httpx.AsyncClient:
    """The process's one client (keep-alive pool), made for the running event loop."""
    global _shared
    loop = asyncio.get_running_loop()
    if _shared is None or _shared[0] is not loop or _shared[1].is_closed:
        import httpx  # not at the top: every shutdown imports this module, and most never call a model

        _shared = (loop, httpx.AsyncClient(limits=httpx.Limits(keepalive_expiry=60), follow_redirects=False))
    return _shared[1]


async def close_shared_client() -> None:
    """Close the shared client (at shutdown); the next call makes a new one."""
    global _shared
    if _shared is not None:
        client, _shared = _shared[1], None
        await client.aclose()
