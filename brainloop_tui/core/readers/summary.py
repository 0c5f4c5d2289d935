"""An LLM-written summary for a digest, asked for by a person (the digest browser); kept with the digest
in the cache and in output.db until the file changes."""

from __future__ import annotations

from pathlib import Path

from brainloop_tui.core.db import Store
from brainloop_tui.core.llm import ChatRequest, Provider, complete, record_usage
from brainloop_tui.core.readers.cache import cache_key, file_signature, read_digest, remember_digest
from brainloop_tui.core.readers.models import Digest
from brainloop_tui.core.readers.redact import Redactor
from brainloop_tui.core.readers.source import load_text
from brainloop_tui.core.workspace import resolve_in_workspace

SUMMARY_SYSTEM = ("You summarize one file of a software project for a developer who has not opened it. "
                  "Answer in two or three plain sentences: what the file is for and what matters in it. "
                  "No Markdown, no lists, no preamble.")
SUMMARY_MAX_TOKENS = 200
SUMMARY_TEMPERATURE = 0.2
# Prose and code are summarized from their beginning too (secrets by shape redacted), since their
# digest keeps the structure, not the words; configs and databases from their redacted digest alone.
EXCERPT_KINDS = frozenset({"markdown", "code"})
EXCERPT_CHARS = 6000


async def summarize(store: Store, path: str | Path, provider: Provider) -> Digest:
    """The file's digest with a summary written from its (already redacted) compact text."""
    digest = await read_digest(store, path)
    if digest.summary:
        return digest
    resolved = resolve_in_workspace(store.workspace, digest.path)
    prompt = f"{digest.path}\n\n{digest.text}"
    if digest.kind in EXCERPT_KINDS:
        head = load_text(resolved, digest.path, max_bytes=EXCERPT_CHARS).text
        prompt += f"\n\nBeginning of the file:\n{Redactor().text(head)}"
    request = ChatRequest.of(prompt, system=SUMMARY_SYSTEM, temperature=SUMMARY_TEMPERATURE,
                             max_completion_tokens=SUMMARY_MAX_TOKENS)
    completion = await complete(provider, request)
    await record_usage(store, completion, provider=provider.name, phase="summary")
    summarized = digest.model_copy(update={"summary": " ".join(completion.text.split())})
    signature = file_signature(resolved, digest.path, digest.kind)
    await remember_digest(store, cache_key(digest.path, signature, digest.kind), summarized)
    return summarized
