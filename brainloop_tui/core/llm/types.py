"""What goes into a model call and what comes out of it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant"]


class ChatMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Role
    content: str


class ChatRequest(BaseModel):
    """One chat completion: the model and endpoint are the provider's, everything else is here."""

    model_config = ConfigDict(frozen=True)

    messages: list[ChatMessage] = Field(min_length=1)
    temperature: float = Field(ge=0, le=2)
    max_completion_tokens: int = Field(gt=0)

    @classmethod
    def of(
        cls, prompt: str, *, temperature: float, max_completion_tokens: int, system: str | None = None
    ) -> ChatRequest:
        """A single user prompt, optionally after a system message."""
        messages = [ChatMessage(role="system", content=system)] if system else []
        messages.append(ChatMessage(role="user", content=prompt))
        return cls(messages=messages, temperature=temperature, max_completion_tokens=max_completion_tokens)


class Delta(BaseModel):
    """A piece of the answer as it streams. Reasoning (thinking) text never mixes with the content."""

    model_config = ConfigDict(frozen=True)

    content: str = ""
    reasoning: str = ""


class Completion(BaseModel):
    """The record that ends every successful stream."""

    model_config = ConfigDict(frozen=True)

    text: str
    reasoning: str = ""
    finish_reason: str | None  # "stop", "length", ...; None when the endpoint did not say
    model: str
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)
    usage_estimated: bool = False  # True when the endpoint sent no usage and the counts are ours
    latency_ms: float = Field(ge=0)  # from the call to the last byte, retries included
    ttft_ms: float | None = Field(default=None, ge=0)  # to the first content or reasoning delta
    tokens_per_s: float | None = Field(default=None, ge=0)  # completion tokens over generation time
    attempts: int = Field(default=1, ge=1)
