"""LLM summaries of digests: asked for once, kept until the file changes."""

from __future__ import annotations

import os
from pathlib import Path

from loopback_llm import Answer, LoopbackLLM

from brainloop_tui.core.db import Store
from brainloop_tui.core.llm import HttpProvider
from brainloop_tui.core.readers import read_digest
from brainloop_tui.core.readers.summary import summarize


async def test_a_summary_is_written_once_and_kept_until_the_file_changes(
    store: Store, workspace: Path, loopback_llm: LoopbackLLM
) -> None:
    notes = workspace / "NOTES.md"
    notes.write_text("# Billing\n\nInvoices go out monthly.\n")
    provider = HttpProvider(base_url=loopback_llm.base_url, model=loopback_llm.model, api_key="k")
    loopback_llm.enqueue(Answer("How billing works:\n invoices are monthly."))
    digest = await summarize(store, "NOTES.md", provider)
    assert digest.summary == "How billing works: invoices are monthly."
    assert "Invoices go out monthly" in loopback_llm.chat_requests()[0].body["messages"][-1]["content"]
    assert (await read_digest(store, "NOTES.md")).summary == digest.summary
    assert (await summarize(store, "NOTES.md", provider)).summary == digest.summary
    assert len(loopback_llm.chat_requests()) == 1
    row = await store.output.fetchone("SELECT summary FROM digests WHERE path = 'NOTES.md'")
    assert row["summary"] == digest.summary
    notes.write_text("# Billing\n\nInvoices go out weekly now.\n")
    os.utime(notes, ns=(1, 1))
    assert (await read_digest(store, "NOTES.md")).summary is None
    usage = await store.lifecycle.fetchone("SELECT phase FROM usage")
    assert usage["phase"] == "summary"


async def test_secrets_in_the_excerpt_are_redacted(store: Store, workspace: Path, loopback_llm: LoopbackLLM) -> None:
    (workspace / "client.py").write_text('API_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"\n\ndef call():\n    pass\n')
    provider = HttpProvider(base_url=loopback_llm.base_url, model=loopback_llm.model, api_key="k")
    await summarize(store, "client.py", provider)
    sent = loopback_llm.chat_requests()[0].body["messages"][-1]["content"]
    assert "def call" in sent and "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789" not in sent
