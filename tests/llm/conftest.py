import pytest
from loopback_llm import loopback_llm  # noqa: F401 (a fixture, used by name)

from brainloop_tui.core.llm import close_shared_client


@pytest.fixture(autouse=True)
async def _shared_client_closed():
    """Each test has its own event loop: the shared client of the last one is closed with it."""
    yield
    await close_shared_client()
