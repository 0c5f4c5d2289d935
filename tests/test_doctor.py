"""`brainloop doctor`'s provider and embedded-model checks, against the loopback endpoint."""

from __future__ import annotations

from pathlib import Path

from loopback_llm import LoopbackLLM

from brainloop_tui.core.config import Settings
from brainloop_tui.core.db import Store
from brainloop_tui.core.doctor import embedded_model_check, provider_check


async def test_a_served_model_is_ok(store: Store, loopback_llm: LoopbackLLM) -> None:
    settings = Settings(provider="http", base_url=loopback_llm.base_url, model=loopback_llm.model, api_key="k")
    check = await provider_check(settings, store)
    assert (check.verdict, check.detail) == ("ok", f"{loopback_llm.base_url} answers and serves test-model (1 model(s))")


async def test_a_model_not_served_is_named_with_what_is(store: Store, loopback_llm: LoopbackLLM) -> None:
    settings = Settings(provider="http", base_url=loopback_llm.base_url, model="zai-glm-4.6", api_key="k")
    check = await provider_check(settings, store)
    assert check.verdict == "fail"
    assert "zai-glm-4.6" in check.detail and "test-model" in check.detail


async def test_an_unreachable_endpoint_fails_without_the_key(store: Store) -> None:
    settings = Settings(provider="http", base_url="http://127.0.0.1:9/v1", api_key="sk-doctor-secret")
    check = await provider_check(settings, store)
    assert check.verdict == "fail" and "127.0.0.1:9" in check.detail
    assert "sk-doctor-secret" not in check.detail


def test_a_configured_gguf_that_is_missing_fails(tmp_path: Path) -> None:
    check = embedded_model_check(Settings(local_model=tmp_path / "nope.gguf"))
    assert check.verdict == "fail" and "does not exist" in check.detail
