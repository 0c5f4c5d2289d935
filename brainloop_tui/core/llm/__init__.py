"""Model calls: one streaming interface over an OpenAI-compatible endpoint or the embedded model.

    provider = await select_provider(settings, store)
    completion = await complete(provider, ChatRequest.of(prompt, temperature=0.6, max_completion_tokens=4096),
                                on_delta=show)
    usage_id = await record_usage(store, completion, provider=provider.name, phase="propose")
    code = clean_code(completion.text, language)

Importing this package never imports llama_cpp: the embedded provider loads it on first use.
"""

from brainloop_tui.core.llm.clean import clean_code
from brainloop_tui.core.llm.errors import (
    AuthenticationError,
    BadResponseError,
    LLMError,
    LLMTimeoutError,
    LocalModelError,
    ModelNotServedError,
    NoProviderError,
    ProviderUnavailableError,
    RateLimitedError,
    RequestRejectedError,
    StreamInterruptedError,
)
from brainloop_tui.core.llm.client import close_shared_client
from brainloop_tui.core.llm.http import HttpProvider
from brainloop_tui.core.llm.local import LocalProvider, local_available
from brainloop_tui.core.llm.provider import Provider, complete
from brainloop_tui.core.llm.retry import RetryPolicy
from brainloop_tui.core.llm.select import select_provider
from brainloop_tui.core.llm.types import ChatMessage, ChatRequest, Completion, Delta
from brainloop_tui.core.llm.usage import record_usage

__all__ = [
    "AuthenticationError",
    "BadResponseError",
    "ChatMessage",
    "ChatRequest",
    "Completion",
    "Delta",
    "HttpProvider",
    "LLMError",
    "LLMTimeoutError",
    "LocalModelError",
    "LocalProvider",
    "ModelNotServedError",
    "NoProviderError",
    "Provider",
    "ProviderUnavailableError",
    "RateLimitedError",
    "RequestRejectedError",
    "RetryPolicy",
    "StreamInterruptedError",
    "clean_code",
    "close_shared_client",
    "complete",
    "local_available",
    "record_usage",
    "select_provider",
]
