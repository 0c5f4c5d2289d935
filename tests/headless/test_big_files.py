"""A proposal that changes a 1 MB file line by line: its audit and commit answer with a summary instead
of a diff that would take minutes, and the server keeps answering meanwhile."""

from __future__ import annotations

import asyncio
from pathlib import Path

from files import write
from loopback_llm import Answer, LoopbackLLM

from .mcp_helpers import call, mcp_client, ok, server_parameters

BEFORE = "".join(f"entry {i}: old note\nvalue {i}\n" for i in range(30_000))  # 1 MB, 60,000 lines
AFTER = BEFORE.replace("old note", "new note")


async def test_a_1_mb_audit_and_commit_summarize_the_diff_and_the_server_keeps_answering(
        workspace: Path, tmp_path: Path, loopback_llm: LoopbackLLM) -> None:
    write(workspace, "notes/big.txt", BEFORE)
    loopback_llm.enqueue(Answer(f"```text\n{AFTER}```"))
    async with mcp_client(server_parameters(workspace, loopback_llm), tmp_path / "err.log") as client:
        proposed = ok(await call(client, "loop", {"step": "propose", "prompt": "say new note", "path": "notes/big.txt"}))
        session = proposed["session_id"]
        audit, stats = await asyncio.gather(call(client, "loop", {"step": "audit", "session_id": session}),
                                            call(client, "get_stats"))
        assert ok(stats)["sessions_total"] == 1
        summary = ("@@ -1,59999 +1,59999 @@ too many changed lines to diff: 59,999 lines from line 1 replaced by "
                   "59,999 (diff not shown)\n")
        assert ok(audit)["diff"].endswith(summary)
        (commit,) = ok(await call(client, "loop", {"step": "commit", "session_id": session, "detail": "full"}))["commits"]
        assert commit["status"] == "committed" and commit["diff"].endswith(summary)
    assert (workspace / "notes/big.txt").read_text(encoding="utf-8") == AFTER
