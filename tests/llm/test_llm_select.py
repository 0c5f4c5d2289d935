"""Which provider a call goes to."""

from __future__ import annotations

import sys

import pytest

from brainloop_tui.core.config import Settings
from brainloop_tui.core.llm import (
    HttpProvider,
    LocalModelError,
    LocalProvider,
    NoProviderError,
    local_available,
    select_provider,
)
from brainloop_tui.core.llm.local import llama_installed
from brainloop_tui.core.llm.model_files import part_package
from brainloop_tui.core.secrets import API_KEY, set_secret

requires_llama = pytest.mark.skipif(not llama_installed(), reason="llama-cpp-python ([local] extra) is not installed")


@pytest.fixture
def without_llama(monkeypatch):
    """As if llama-cpp-python were not installed (a None entry in sys.modules hides a module)."""
    monkeypatch.setitem(sys.modules, "llama_cpp", None)


@pytest.fixture
def without_model_parts(monkeypatch):
    monkeypatch.setitem(sys.modules, part_package(7), None)


async def test_a_key_in_settings_means_http(store):
    provider = await select_provider(Settings(api_key="sk-1"), store)
    assert isinstance(provider, HttpProvider)
    assert (provider.base_url, provider.model) == ("https://api.cerebras.ai/v1", "gpt-oss-120b")


async def test_a_key_in_the_secrets_table_means_http(store):
    await set_secret(store, API_KEY, "sk-2")
    provider = await select_provider(Settings(), store)
    assert isinstance(provider, HttpProvider) and "api_key=set" in repr(provider)


async def test_explicit_http_without_a_key_is_allowed(store):
    """Ollama and llama.cpp servers take no key."""
    provider = await select_provider(Settings(provider="http", base_url="http://127.0.0.1:11434/v1", model="m"), store)
    assert isinstance(provider, HttpProvider) and "api_key=not set" in repr(provider)


@pytest.mark.skipif(not local_available(), reason="the [local] extra (llama-cpp-python, model parts) is not installed")
async def test_no_key_and_the_embedded_model_installed_means_local(store):
    provider = await select_provider(Settings(), store)
    assert isinstance(provider, LocalProvider) and provider.name == "local"


@requires_llama
async def test_explicit_local_wins_over_a_key(store):
    provider = await select_provider(Settings(provider="local", api_key="sk-3"), store)
    assert isinstance(provider, LocalProvider)


@requires_llama
async def test_local_model_setting_selects_another_gguf(store, tmp_path):
    gguf = tmp_path / "other.gguf"
    gguf.write_bytes(b"GGUF")
    provider = await select_provider(Settings(local_model=gguf), store)
    assert isinstance(provider, LocalProvider) and provider.model == "other"


async def test_local_model_that_is_not_a_file_is_refused(store, tmp_path):
    with pytest.raises(LocalModelError, match="BRAINLOOP_LOCAL_MODEL"):
        await select_provider(Settings(local_model=tmp_path / "missing.gguf"), store)


async def test_nothing_configured_says_both_ways_to_get_going(store, without_llama):
    with pytest.raises(NoProviderError) as caught:
        await select_provider(Settings(), store)
    message = str(caught.value)
    assert "BRAINLOOP_API_KEY" in message and "brainloop secret set api_key" in message
    assert "pip install 'brainloop[local]'" in message


async def test_missing_model_parts_without_a_local_model_is_not_local(store, without_model_parts):
    with pytest.raises(NoProviderError):
        await select_provider(Settings(), store)


async def test_explicit_local_without_llama_says_how_to_install(store, without_llama):
    with pytest.raises(LocalModelError, match=r"pip install 'brainloop\[local\]'"):
        await select_provider(Settings(provider="local"), store)
