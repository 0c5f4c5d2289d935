"""Model calls: one streaming interface over an OpenAI-compatible endpoint or the embedded model.

    provider = await select_provider(settings, store)
    completion = await complete(provider, ChatRequest.of(prompt, temperature=0.6, max_completion_tokens=4096),
                                on_delta=show)
    usage_id = await record_usage(store, completion, provider=provider.name, phase="propose")
    code = clean_code(completion.text, language)

Importing this package imports neither httpx nor llama_cpp: each name is imported from its module on
first use (see `brainloop_tui.core.lazy`), and the embedded provider loads llama_cpp on first use.
"""

from brainloop_tui.core.lazy import lazy_exports

_EXPORTS = {
    "clean_code": ".clean",
    **dict.fromkeys(("AuthenticationError", "BadResponseError", "LLMError", "LLMTimeoutError", "LocalModelError",
                     "ModelNotServedError", "NoProviderError", "ProviderUnavailableError", "RateLimitedError",
                     "RequestRejectedError", "StreamInterruptedError"), ".errors"),
    "close_shared_client": ".client",
    "HttpProvider": ".http",
    "LocalProvider": ".local",
    "local_available": ".local",
    "Provider": ".provider",
    "complete": ".provider",
    "RetryPolicy": ".retry",
    "select_provider": ".select",
    **dict.fromkeys(("ChatMessage", "ChatRequest", "Completion", "Delta"), ".types"),
    "record_usage": ".usage",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
