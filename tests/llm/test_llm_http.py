"""The HTTP provider against a real loopback server speaking real SSE, with scripted faults."""

from __future__ import annotations

import asyncio
import logging
import traceback

import pytest
from loopback_llm import Answer, LoopbackLLM, Status

from brainloop_tui.core.errors import ConfigError
from brainloop_tui.core.llm import (
    AuthenticationError,
    BadResponseError,
    ChatRequest,
    Delta,
    HttpProvider,
    LLMError,
    LLMTimeoutError,
    ModelNotServedError,
    ProviderUnavailableError,
    RateLimitedError,
    RetryPolicy,
    StreamInterruptedError,
    complete,
    record_usage,
)

KEY = "sk-test-NEVER-SHOWN-0123456789"
FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05)
REQUEST = ChatRequest.of("write hello world", system="be brief", temperature=0.3, max_completion_tokens=128)
CEREBRAS_MODEL_NOT_FOUND = {
    "message": "Model gpt-nope does not exist or you do not have access to it.",
    "type": "not_found_error",
    "param": "model",
    "code": "model_not_found",
}


def provider_for(server: LoopbackLLM, **overrides) -> HttpProvider:
    options = {"base_url": server.base_url, "model": server.model, "api_key": KEY, "retry": FAST_RETRY}
    return HttpProvider(**(options | overrides))


async def test_answer_streams_in_deltas_and_ends_with_a_completion(loopback_llm):
    loopback_llm.enqueue(Answer("def hello():\n    return 'hi'\n", chunks=5))
    deltas: list[Delta] = []
    completion = await complete(provider_for(loopback_llm), REQUEST, deltas.append)

    assert len(deltas) == 5
    assert "".join(d.content for d in deltas) == completion.text == "def hello():\n    return 'hi'\n"
    assert completion.finish_reason == "stop"
    assert completion.model == "test-model"
    assert (completion.prompt_tokens, completion.completion_tokens) == (5, 5)  # the server's usage chunk
    assert not completion.usage_estimated
    assert completion.tokens_per_s == pytest.approx(5 / 0.01)  # Cerebras' time_info.completion_time
    assert completion.ttft_ms is not None and completion.latency_ms >= completion.ttft_ms
    assert completion.attempts == 1


async def test_request_body_and_key_header(loopback_llm):
    await complete(provider_for(loopback_llm), REQUEST)
    [models, chat] = loopback_llm.requests
    assert (models.method, models.path) == ("GET", "/v1/models")  # the first-use model check
    assert chat.headers["authorization"] == f"Bearer {KEY}"
    assert chat.body == {
        "model": "test-model",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "write hello world"}],
        "temperature": 0.3,
        "max_completion_tokens": 128,
        "max_tokens": 128,  # not a host known to take max_completion_tokens alone
        "stream": True,
        "stream_options": {"include_usage": True},
    }


async def test_models_are_checked_once_per_endpoint_and_model(loopback_llm):
    provider = provider_for(loopback_llm)
    await complete(provider, REQUEST)
    await complete(provider, REQUEST)
    assert [r.method for r in loopback_llm.requests] == ["GET", "POST", "POST"]


async def test_every_provider_shares_one_keep_alive_connection(loopback_llm):
    for _ in range(3):
        await complete(provider_for(loopback_llm), REQUEST)
    assert len(loopback_llm.requests) == 4
    assert loopback_llm.connections == 1


@pytest.mark.parametrize("field", ["reasoning", "reasoning_content"])
async def test_reasoning_streams_apart_from_content(loopback_llm, field):
    loopback_llm.enqueue(Answer("x = 1\n", reasoning="the user wants x", reasoning_field=field, chunks=2))
    deltas: list[Delta] = []
    completion = await complete(provider_for(loopback_llm), REQUEST, deltas.append)
    assert [d.reasoning for d in deltas] == ["the user", " wants x", "", ""]
    assert [d.content for d in deltas] == ["", "", "x =", " 1\n"]
    assert (completion.text, completion.reasoning) == ("x = 1\n", "the user wants x")


async def test_crlf_events_and_comment_lines(loopback_llm):
    loopback_llm.enqueue(Answer("a\r\nb\n", newline="\r\n", comments=True, chunks=3))
    completion = await complete(provider_for(loopback_llm), REQUEST)
    assert completion.text == "a\r\nb\n"


async def test_async_callback_gets_every_delta(loopback_llm):
    seen = []

    async def on_delta(delta: Delta) -> None:
        await asyncio.sleep(0)
        seen.append(delta.content)

    completion = await complete(provider_for(loopback_llm), REQUEST, on_delta)
    assert "".join(seen) == completion.text


async def test_missing_usage_is_counted_and_flagged(loopback_llm):
    loopback_llm.enqueue(Answer("abcdef", chunks=3, usage=False))
    completion = await complete(provider_for(loopback_llm), REQUEST)
    assert completion.usage_estimated
    assert (completion.prompt_tokens, completion.completion_tokens) == (0, 3)


async def test_429_with_retry_after_ms_then_success(loopback_llm):
    loopback_llm.enqueue(Status(429, {"message": "slow down"}, {"retry-after-ms": "200"}), Answer("ok\n"))
    completion = await complete(provider_for(loopback_llm), REQUEST)
    first, second = loopback_llm.chat_requests()
    assert completion.text == "ok\n" and completion.attempts == 2
    assert second.received_at - first.received_at >= 0.2  # the wait asked for, at least


async def test_429_with_retry_after_seconds_then_success(loopback_llm):
    loopback_llm.enqueue(Status(429, {"message": "slow down"}, {"Retry-After": "1"}), Answer("ok\n"))
    completion = await complete(provider_for(loopback_llm), REQUEST)
    first, second = loopback_llm.chat_requests()
    assert completion.attempts == 2
    assert second.received_at - first.received_at >= 1.0


async def test_500_then_success(loopback_llm):
    loopback_llm.enqueue(Status(500, {"error": {"message": "overloaded", "type": "server_error"}}), Answer("ok\n"))
    completion = await complete(provider_for(loopback_llm), REQUEST)
    assert completion.text == "ok\n" and completion.attempts == 2


async def test_error_event_before_any_content_is_retried(loopback_llm):
    loopback_llm.enqueue(Answer(fault="error_event", fault_after=0), Answer("ok\n"))
    completion = await complete(provider_for(loopback_llm), REQUEST)
    assert completion.text == "ok\n" and completion.attempts == 2


async def test_rate_limit_after_the_last_try_says_so(loopback_llm):
    limited = Status(
        429,
        {"message": "Requests per minute limit exceeded", "type": "too_many_requests_error", "code": "request_quota_exceeded"},
        {"retry-after-ms": "10", "x-ratelimit-remaining-requests-minute": "0", "x-ratelimit-reset-requests-minute": "42"},
    )
    loopback_llm.enqueue(limited, limited, limited)
    with pytest.raises(RateLimitedError) as caught:
        await complete(provider_for(loopback_llm), REQUEST)
    message = str(caught.value)
    assert "Requests per minute limit exceeded" in message
    assert "requests-minute used up, resets in 42" in message
    assert "gave up after 3 tries" in message
    assert len(loopback_llm.chat_requests()) == 3


async def test_a_wait_longer_than_the_budget_is_not_waited(loopback_llm):
    loopback_llm.enqueue(Status(429, {"message": "come back tomorrow"}, {"Retry-After": "86400"}))
    with pytest.raises(RateLimitedError) as caught:
        await complete(provider_for(loopback_llm), REQUEST)
    assert caught.value.retry_after == 86400
    assert "wait 86400 s" in str(caught.value)
    assert len(loopback_llm.chat_requests()) == 1


async def test_unlisted_model_is_refused_before_any_call(loopback_llm):
    loopback_llm.models = ["gpt-oss-120b", "llama3.1-8b"]
    with pytest.raises(ModelNotServedError) as caught:
        await complete(provider_for(loopback_llm, model="zai-glm-4.6"), REQUEST)
    assert caught.value.served == ["gpt-oss-120b", "llama3.1-8b"]
    assert "'zai-glm-4.6' is not served" in str(caught.value)
    assert "gpt-oss-120b, llama3.1-8b" in str(caught.value)
    assert "BRAINLOOP_MODEL" in str(caught.value)
    assert loopback_llm.chat_requests() == []


async def test_model_refused_by_the_call_lists_what_is_served(loopback_llm):
    loopback_llm.models_reply = Status(404, {"message": "no /models here"})  # the first-use check is skipped
    loopback_llm.enqueue(Status(404, CEREBRAS_MODEL_NOT_FOUND))
    with pytest.raises(ModelNotServedError) as caught:
        await complete(provider_for(loopback_llm, model="gpt-nope"), REQUEST)
    assert "Model gpt-nope does not exist" in str(caught.value)
    assert len(loopback_llm.chat_requests()) == 1


async def test_check_model_and_list_models(loopback_llm):
    loopback_llm.models = ["b-model", "a-model", "qwen2.5-coder:latest"]
    assert await provider_for(loopback_llm, model="a-model").list_models() == ["a-model", "b-model", "qwen2.5-coder:latest"]
    assert await provider_for(loopback_llm, model="qwen2.5-coder").check_model()  # Ollama's implicit tag
    with pytest.raises(ModelNotServedError):
        await provider_for(loopback_llm, model="c-model").check_model()


async def test_list_models_refused_key(loopback_llm):
    loopback_llm.models_reply = Status(401, {"message": "Wrong API Key", "type": "invalid_request_error"})
    with pytest.raises(AuthenticationError, match="BRAINLOOP_API_KEY"):
        await provider_for(loopback_llm).list_models()


async def test_no_key_and_401_says_a_key_is_needed(loopback_llm):
    loopback_llm.models_reply = Status(401, {"message": "missing key"})
    with pytest.raises(AuthenticationError, match="needs an API key") as caught:
        await complete(provider_for(loopback_llm, api_key=None), REQUEST)
    assert "brainloop secret set api_key" in str(caught.value)


async def test_redirect_names_the_setting_to_fix(loopback_llm):
    loopback_llm.enqueue(Status(308, headers={"Location": "https://elsewhere.example/v1/chat/completions"}))
    with pytest.raises(BadResponseError, match="redirects .* to https://elsewhere.example/v1/chat/completions.*BASE_URL"):
        await complete(provider_for(loopback_llm), REQUEST)


async def test_json_instead_of_a_stream(loopback_llm):
    loopback_llm.enqueue(Status(200, {"choices": [{"message": {"content": "hi"}}]}))
    with pytest.raises(BadResponseError, match="without streaming"):
        await complete(provider_for(loopback_llm), REQUEST)


async def test_unreachable_endpoint_is_retried_then_unavailable():
    async with LoopbackLLM() as server:
        base_url = server.base_url  # a port that is closed once the server stops
    provider = HttpProvider(base_url=base_url, model="m", api_key=KEY, retry=FAST_RETRY)
    with pytest.raises(ProviderUnavailableError, match="cannot reach .*; gave up after 3 tries"):
        await complete(provider, REQUEST)


# Every failure: the right typed error, nothing recorded, the key nowhere (message, repr, traceback, logs).
FAILURES = [
    ("401", [Status(401, {"message": f"Wrong API Key {KEY}", "type": "invalid_request_error", "code": "wrong_api_key"})],
     AuthenticationError, 1),
    ("403 OpenAI shape", [Status(403, {"error": {"message": f"key {KEY} is disabled", "type": "invalid_request_error"}})],
     AuthenticationError, 1),
    ("unknown model", [Status(404, CEREBRAS_MODEL_NOT_FOUND)], ModelNotServedError, 1),
    ("500 three times", [Status(500, {"message": "down"})] * 3, ProviderUnavailableError, 3),
    ("400 rejected", [Status(400, {"message": "max_completion_tokens too large", "type": "invalid_request_error"})],
     LLMError, 1),
    ("dropped half-way", [Answer(chunks=6, fault="drop", fault_after=3)], StreamInterruptedError, 1),
    ("ended half-way", [Answer(chunks=6, fault="end", fault_after=3)], StreamInterruptedError, 1),
    ("undecodable chunk", [Answer(fault="garbage", fault_after=2)], BadResponseError, 1),
    ("error event mid-stream", [Answer(fault="error_event", fault_after=2)], StreamInterruptedError, 1),
    ("error event echoing the key", [Answer(fault="error_event", fault_after=0, error_event={
        "error": {"message": f"bad key {KEY}", "type": "auth_error"}, "status_code": 401})], BadResponseError, 1),
    ("first byte too slow", [Answer(first_byte_delay=3)], LLMTimeoutError, 1),
]


@pytest.mark.parametrize(("behaviours", "error", "calls"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES])
async def test_failure_is_typed_records_nothing_and_never_shows_the_key(
    loopback_llm, store, caplog, behaviours, error, calls
):
    caplog.set_level(logging.DEBUG)
    loopback_llm.enqueue(*behaviours)
    provider = provider_for(loopback_llm, timeout=0.5)
    deltas: list[Delta] = []
    with pytest.raises(error) as caught:
        completion = await complete(provider, REQUEST, deltas.append)
        await record_usage(store, completion, provider=provider.name)

    assert len(loopback_llm.chat_requests()) == calls
    assert (await store.lifecycle.fetchone("SELECT count(*) FROM usage"))[0] == 0
    assert (await store.output.fetchone("SELECT count(*) FROM metrics"))[0] == 0
    shown = [str(caught.value), repr(caught.value), "".join(traceback.format_exception(caught.value)), repr(provider), caplog.text]
    assert all(KEY not in text for text in shown)
    assert loopback_llm.chat_requests()[0].headers["authorization"] == f"Bearer {KEY}"  # the key was in use


async def test_success_records_nothing_secret(loopback_llm, store, caplog):
    caplog.set_level(logging.DEBUG)
    provider = provider_for(loopback_llm)
    completion = await complete(provider, REQUEST)
    await record_usage(store, completion, provider=provider.name)
    rows = await store.lifecycle.fetchall("SELECT * FROM usage") + await store.output.fetchall("SELECT * FROM metrics")
    assert rows and all(KEY not in str(tuple(row)) for row in rows)
    assert KEY not in caplog.text and KEY not in repr(completion)


async def test_cancelling_mid_stream_closes_the_response_at_once(loopback_llm):
    loopback_llm.enqueue(Answer("x" * 200, chunks=100, delay=0.05))
    first = asyncio.Event()
    task = asyncio.create_task(complete(provider_for(loopback_llm), REQUEST, lambda delta: first.set()))
    await asyncio.wait_for(first.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(loopback_llm.hung_up.wait(), 10)  # the server saw the connection close
    assert loopback_llm.hangups == 1


async def test_cancelling_while_waiting_for_the_first_byte(loopback_llm):
    loopback_llm.enqueue(Answer(first_byte_delay=30))
    task = asyncio.create_task(complete(provider_for(loopback_llm), REQUEST))
    while not loopback_llm.chat_requests():
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(loopback_llm.hung_up.wait(), 10)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"base_url": "ftp://example.com/v1"}, "http:// or https://"),
        ({"base_url": "not a url"}, "http:// or https://"),
        ({"model": "  "}, "BRAINLOOP_MODEL"),
        ({"timeout": 0}, "request_timeout"),
    ],
)
def test_bad_configuration_is_refused(options, problem):
    with pytest.raises(ConfigError, match=problem):
        HttpProvider(**({"base_url": "https://api.cerebras.ai/v1", "model": "gpt-oss-120b"} | options))


def test_cerebras_and_openai_get_max_completion_tokens_only():
    for base_url in ("https://api.cerebras.ai/v1", "https://api.openai.com/v1"):
        body = HttpProvider(base_url=base_url, model="m").request_body(REQUEST)
        assert body["max_completion_tokens"] == 128 and "max_tokens" not in body


def test_repr_never_shows_the_key():
    provider = HttpProvider(base_url="https://api.cerebras.ai/v1", model="gpt-oss-120b", api_key=KEY)
    assert KEY not in repr(provider) and "api_key=set" in repr(provider)
