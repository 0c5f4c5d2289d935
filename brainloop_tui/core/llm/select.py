"""Which provider a call goes to: the configured one, else a key means HTTP, else the embedded model."""

from __future__ import annotations

from brainloop_tui.core.config import Settings
from brainloop_tui.core.db import Store
from brainloop_tui.core.llm.errors import LocalModelError, NoProviderError
from brainloop_tui.core.llm.http import KEY_HINT, HttpProvider
from brainloop_tui.core.llm.local import LocalProvider, llama_installed, local_available
from brainloop_tui.core.llm.model_files import INSTALL_HINT, Progress
from brainloop_tui.core.llm.provider import Provider
from brainloop_tui.core.logs import hide_secret
from brainloop_tui.core.secrets import API_KEY, get_secret


async def configured_key(settings: Settings, store: Store) -> str | None:
    """The API key: settings (environment, config files), then the secrets table."""
    if settings.api_key is not None and settings.api_key.get_secret_value():
        return settings.api_key.get_secret_value()
    stored = await get_secret(store, API_KEY)
    hide_secret(stored)  # whoever logs, the stored key never reaches a log line
    return stored


def http_provider(settings: Settings, api_key: str | None) -> HttpProvider:
    return HttpProvider(
        base_url=settings.base_url, model=settings.model, api_key=api_key, timeout=settings.request_timeout
    )


def local_provider(settings: Settings, on_progress: Progress | None = None) -> LocalProvider:
    if not llama_installed():
        raise LocalModelError(f"provider is 'local' but the embedded model is not installed: {INSTALL_HINT}")
    return LocalProvider(settings.local_model, on_progress=on_progress)


async def select_provider(
    settings: Settings, store: Store, *, on_progress: Progress | None = None
) -> Provider:
    """`settings.provider` when it is "http" or "local"; for "auto": a key means HTTP, else the
    embedded model when installed, else an error saying how to get either.
    `on_progress(done, total)`: bytes while the embedded model is assembled on first use."""
    if settings.provider == "http":
        return http_provider(settings, await configured_key(settings, store))
    if settings.provider == "local":
        return local_provider(settings, on_progress)
    key = await configured_key(settings, store)
    if key:
        return http_provider(settings, key)
    if local_available(settings.local_model):
        return local_provider(settings, on_progress)
    raise NoProviderError(
        f"no model is configured. Either use an endpoint (Cerebras by default): {KEY_HINT}; "
        f"or install the embedded offline model: {INSTALL_HINT}"
    )
