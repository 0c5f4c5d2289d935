"""The loop (SPEC §5): propose → audit → refine → commit, over sessions of blocks with numbered iterations.

All state lives in lifecycle.db (results in output.db), so a session proposed by one process (the MCP
face) can be audited, refined and committed by another (the TUI). Every change and every streamed
delta is emitted on the event bus.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The readers, the pattern extractors and the sources are used through their packages, so that they
# are imported at the first generation, not when a face starts (see brainloop_tui.core.lazy).
from brainloop_tui.core import idempotence, sources
from brainloop_tui.core import patterns as conventions
from brainloop_tui.core.config import Settings
from brainloop_tui.core.db import Store, from_row, now
from brainloop_tui.core.errors import BrainloopError
from brainloop_tui.core.events import EventBus, LoopEvent
from brainloop_tui.core.llm import ChatRequest, Completion, LLMError, Provider, clean_code, complete, record_usage
from brainloop_tui.core.loop import files, grounding
from brainloop_tui.core.loop.diffs import unified_diff
from brainloop_tui.core.loop.exemplar import python_exemplar
from brainloop_tui.core.loop.grounding import Grounding
from brainloop_tui.core.loop.models import (
    Audit, Block, BlockKind, BlockState, Candidate, CommitOutcome, Iteration, Origin, Phase, Progress, Session,
    SessionState, SessionSummary, UndoOutcome,
)
from brainloop_tui.core.loop.prompts import FINAL_REVIEW, PromptContext, propose_messages, refine_messages
from brainloop_tui.core.loop.repair import repair
from brainloop_tui.core.loop.review import Review, auto_refine_rounds, review
from brainloop_tui.core.loop.validators import errors_of, language_of
from brainloop_tui.core.patterns.keeper import Conventions
from brainloop_tui.core.patterns.model import LANGUAGES, Pattern
from brainloop_tui.core.readers.render import token_estimate
from brainloop_tui.core.telemetry import record_event, record_metric
from brainloop_tui.core.workspace import relative_name, resolve_in_workspace

log = logging.getLogger(__name__)

ProviderFactory = Callable[[], Awaitable[Provider]]

# Runs a generation apart from the call that asked for it (`wait: false`), as the runtime's tracked work.
Detach = Callable[[Coroutine[Any, Any, Any]], object]
# Candidates of one proposal get temperatures spread around the phase's: the first at it, then below and above.
CANDIDATE_TEMPERATURE_STEP = 0.2
CANDIDATES_BY_PROVIDER = {"local": 1}  # the embedded model generates one answer at a time: more cost time
DEFAULT_CANDIDATES = 3
PROMPT_BUDGET_BY_PROVIDER = {"local": 2000}
DEFAULT_PROMPT_BUDGET = 6000
EXEMPLAR_SHARE = 5  # the exemplar function takes at most a fifth of the prompt budget
REPEAT_TEMPERATURE_STEP = 0.4  # added to an automatic refine's temperature per answer the model repeated
MAX_TEMPERATURE = 1.2
REPEATED_ANSWER = ("\n\nYour last answer repeated code that already failed these checks. Do not return it again:"
                   " change the code that causes them, or write the function another way.")


@dataclass(frozen=True)
class _Answer:
    """One answer of the model, checked."""

    completion: Completion
    usage_id: int
    code: str
    review: Review
    temperature: float


async def _next_number(conn: Any, block_id: str) -> int:
    """The block's next iteration number, taken inside the caller's write transaction: two processes
    never get the same one."""
    cursor = await conn.execute("SELECT coalesce(max(number), 0) + 1 FROM iterations WHERE block_id = ?", (block_id,))
    return (await cursor.fetchone())[0]


class LoopError(BrainloopError):
    """A loop request that cannot be carried out as asked; nothing was changed."""


class StaleFileError(LoopError):
    """The file on disk changed after the block was audited."""


def _new_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(5)}"


def _same_code_key(code: str | None) -> str:
    """Two answers with this key are the same code (blank lines and trailing spaces aside)."""
    return "\n".join(line.rstrip() for line in (code or "").splitlines() if line.strip())


def _title(prompt: str) -> str:
    line = prompt.strip().splitlines()[0]
    return line if len(line) <= 72 else line[:71] + "…"


class Loop:
    """The loop engine of one workspace. Both faces call these methods; none of them blocks the event loop."""

    def __init__(self, store: Store, settings: Settings, provider: ProviderFactory, *, origin: Origin,
                 events: EventBus | None = None, worker_id: str | None = None) -> None:
        self.store = store
        self.worker_id = worker_id  # recorded on each iteration it generates
        self.settings = settings
        self.events = events or EventBus()
        self.origin = origin
        self._provider_factory = provider
        self._provider: Provider | None = None
        self._parallel = asyncio.Semaphore(settings.parallel_blocks)
        self.conventions = Conventions(store, wait_s=settings.conventions_wait)
        self._streamed: dict[str, int] = {}  # block id -> tokens received so far, while this loop generates it

    @property
    def workspace(self) -> Path:
        return self.store.workspace

    async def provider(self) -> Provider:
        if self._provider is None:
            self._provider = await self._provider_factory()
        return self._provider

    # -- reading state ---------------------------------------------------------------------------

    async def session(self, session_id: str) -> Session:
        row = await self.store.lifecycle.fetchone("SELECT * FROM sessions WHERE id = ?", (session_id,))
        if row is None:
            raise LoopError(f"no session {session_id!r}; `loop` with step \"list\" shows the sessions")
        return from_row(Session, row)

    async def block(self, session_id: str, block_id: str | None) -> Block:
        """The block named, or the session's only block when none is named."""
        await self.session(session_id)
        rows = await self.store.lifecycle.fetchall(
            "SELECT * FROM blocks WHERE session_id = ? ORDER BY created_at, path", (session_id,))
        blocks = [from_row(Block, row) for row in rows]
        if block_id is None:
            if len(blocks) == 1:
                return blocks[0]
            raise LoopError(f"session {session_id} has {len(blocks)} blocks; name one with block_id: "
                            + ", ".join(f"{b.id} ({b.path})" for b in blocks))
        found = next((b for b in blocks if b.id == block_id), None)
        if found is None:
            raise LoopError(f"session {session_id} has no block {block_id!r}")
        return found

    async def iterations(self, block_id: str) -> list[Iteration]:
        rows = await self.store.lifecycle.fetchall(
            "SELECT i.*, r.feedback, r.origin AS feedback_origin FROM iterations i"
            " LEFT JOIN block_refinements r ON r.iteration_id = i.id WHERE i.block_id = ? ORDER BY i.number",
            (block_id,))
        return [from_row(Iteration, row) for row in rows]

    async def state(self, session_id: str, errors: dict[str, LLMError] | None = None) -> SessionState:
        session = await self.session(session_id)
        rows = await self.store.lifecycle.fetchall(
            "SELECT * FROM blocks WHERE session_id = ? ORDER BY created_at, path", (session_id,))
        blocks = []
        for row in rows:
            block = from_row(Block, row)
            failure = (errors or {}).get(block.id)
            blocks.append(BlockState(block=block, iterations=await self.iterations(block.id),
                                     error=str(failure) if failure else None,
                                     error_kind=failure.kind if failure else None))
        return SessionState(session=session, blocks=blocks)

    async def list_sessions(self, limit: int = 50, status: str | None = None, offset: int = 0) -> list[SessionSummary]:
        rows = await self.store.lifecycle.fetchall(
            "SELECT s.id, s.title, s.status, s.origin, s.created_at, s.updated_at,"
            " (SELECT count(*) FROM blocks b WHERE b.session_id = s.id) AS blocks,"
            " (SELECT count(*) FROM iterations i JOIN blocks b ON b.id = i.block_id WHERE b.session_id = s.id)"
            " AS iterations FROM sessions s WHERE (? IS NULL OR s.status = ?) ORDER BY s.updated_at DESC LIMIT ? OFFSET ?",
            (status, status, limit, offset),
        )
        return [SessionSummary.model_validate(dict(row)) for row in rows]

    # -- propose -----------------------------------------------------------------------------------

    async def propose(self, prompt: str, paths: Sequence[str], *, language: str | None = None,
                      context: Sequence[str] = (), kind: BlockKind = "file",
                      target_db: str | None = None, detach: Detach | None = None) -> SessionState:
        """Create a session with one block per path and generate iteration 1 of each (in parallel).
        With `detach`, the generation runs there and the session is returned as soon as it exists.

        A `sql` block's path names the script; its `target_db` (a database inside the workspace, which
        may not exist yet) is what the script is validated against and applied to."""
        if not prompt or not prompt.strip():
            raise LoopError("the prompt is empty: say what to write")
        if "\x00" in prompt:
            raise LoopError("the prompt contains a NUL character: send text")
        if not paths:
            raise LoopError("name at least one target path")
        targets = []
        for path in paths:
            resolved = resolve_in_workspace(self.workspace, path, for_write=True)
            targets.append(relative_name(self.workspace, resolved))
        if len(set(targets)) != len(targets):
            raise LoopError("the same target path is named twice")
        for extra in context:
            resolve_in_workspace(self.workspace, extra)
        if target_db is not None:
            target_db = relative_name(self.workspace, resolve_in_workspace(self.workspace, target_db, for_write=True))
        session_id, created = _new_id("s-"), now()
        blocks = [
            Block(id=_new_id("b-"), session_id=session_id, path=target, language=language_of(target, language),
                  kind=kind, target_db=target_db if kind == "sql" else None, status="pending", current_iteration=0,
                  disk_sha256=await asyncio.to_thread(self._disk_sha, target) if kind == "file" else None,
                  created_at=created, updated_at=created)
            for target in targets
        ]
        async with self.store.lifecycle.transaction() as conn:
            await conn.execute(
                "INSERT INTO sessions (id, title, prompt, origin, status, context, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, 'active', ?, ?, ?)",
                (session_id, _title(prompt), prompt, self.origin, json.dumps(list(context)), created, created))
            await conn.executemany(
                "INSERT INTO blocks (id, session_id, path, language, kind, target_db, status, current_iteration,"
                " disk_sha256, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
                [(b.id, session_id, b.path, b.language, b.kind, b.target_db, b.disk_sha256, created, created)
                 for b in blocks])
        await record_event(self.store, "session_created", {"session": session_id, "origin": self.origin,
                                                            "blocks": len(blocks)})
        await self._record_session_counts()
        self._emit("session", session_id, status="active")
        if detach is not None:
            detach(self._detached(self._generate_blocks(blocks), session_id))
            return await self.state(session_id)
        return await self.state(session_id, await self._generate_blocks(blocks))

    async def _generate_blocks(self, blocks: Sequence[Block]) -> dict[str, LLMError]:
        """Iteration 1 of each block, in parallel: the LLM errors by block (each recorded on its iteration)."""
        errors: dict[str, LLMError] = {}

        async def generate(block: Block) -> None:
            async with self._parallel:
                try:
                    await self._generate_with_auto_refine(block, "propose", None)
                except LLMError as exc:
                    errors[block.id] = exc

        # Any other failure cancels the sibling blocks (each ends its iteration) and is raised, not orphaned.
        try:
            async with asyncio.TaskGroup() as group:
                for block in blocks:
                    group.create_task(generate(block))
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return errors

    async def _detached(self, work: Coroutine[Any, Any, Any], session_id: str) -> None:
        """A generation nobody awaits: its outcome is in lifecycle.db (the audit shows it); a failure that
        is not recorded there goes to the log."""
        try:
            await work
        except LLMError:
            pass  # recorded on its iteration
        except Exception:
            log.exception("session %s: the generation running apart from its call failed", session_id)

    async def end_interrupted(self, live_workers: set[str]) -> int:
        """End the iterations left streaming by workers that are gone (killed, crashed) as failed, and put
        their blocks back to what they were before: the number ended."""
        rows = await self.store.lifecycle.fetchall(
            "SELECT id, worker_id FROM iterations WHERE status = 'streaming'")
        gone = [row for row in rows if row["worker_id"] not in live_workers]
        if not gone:
            return 0
        async with self.store.lifecycle.transaction() as conn:
            for row in gone:
                error = f"interrupted: the worker generating it ({row['worker_id'] or 'unknown'}) stopped"
                await conn.execute("UPDATE iterations SET status = 'failed', error = ?, finished_at = ? WHERE id = ?",
                                   (error, now(), row["id"]))
            await conn.execute(
                "UPDATE blocks SET status = CASE current_iteration WHEN 0 THEN 'failed' WHEN 1 THEN 'proposed'"
                " ELSE 'refined' END, updated_at = ? WHERE status = 'generating' AND NOT EXISTS"
                " (SELECT 1 FROM iterations WHERE block_id = blocks.id AND status = 'streaming')", (now(),))
        log.warning("ended %d iteration(s) left streaming by workers that are gone", len(gone))
        return len(gone)

    # -- audit -------------------------------------------------------------------------------------

    async def audit(self, session_id: str, block_id: str | None = None) -> Audit:
        """The current code, its history, diffs against the previous iteration and the disk, and its
        diagnostics. Auditing also records the file on disk as the one the commit may replace."""
        block = await self.block(session_id, block_id)
        iterations = await self.iterations(block.id)
        done = [i for i in iterations if i.status == "done"]
        current = next((i for i in done if i.number == block.current_iteration), None)
        previous = next((i for i in reversed(done) if current and i.number < current.number), None)
        code = current.code if current else None
        disk = await self._disk_text(block)
        if block.kind == "file":
            block = await self._set_block(block, disk_sha256=await asyncio.to_thread(self._disk_sha, block.path))
        diff_previous = await asyncio.to_thread(
            unified_diff, previous.code or "", code or "", block.path, before_label=f"iteration {previous.number}",
            after_label=f"iteration {current.number}") if previous and current else ""
        diff_disk = await asyncio.to_thread(unified_diff, disk or "", code or "", block.path,
                                            after_label=f"iteration {current.number}") if current else ""
        streaming = [i for i in iterations if i.status == "streaming"]
        progress = Progress(iteration=streaming[-1].number, phase=streaming[-1].phase,
                            elapsed_s=round(now() - streaming[-1].created_at, 1),
                            tokens=self._streamed.get(block.id)) if streaming else None
        return Audit(session_id=session_id, block=block, code=code, iterations=iterations,
                     diagnostics=current.diagnostics if current else [], diff_previous=diff_previous,
                     diff_disk=diff_disk, disk_exists=disk is not None, progress=progress)

    # -- refine ------------------------------------------------------------------------------------

    async def refine(self, session_id: str, block_id: str | None, feedback: str, *,
                     detach: Detach | None = None) -> BlockState:
        """A new iteration from the current one and the feedback. With `detach`, the generation runs
        there and the block is returned once the refine is accepted."""
        if not feedback or not feedback.strip():
            raise LoopError("the feedback is empty: say what to change")
        if "\x00" in feedback:
            raise LoopError("the feedback contains a NUL character: send text")
        block = await self.block(session_id, block_id)
        self._check_open(block, "refine")
        if block.current_iteration == 0:
            raise LoopError(f"block {block.id} has no iteration to refine yet")
        if detach is not None:
            detach(self._detached(self._generate_with_auto_refine(block, "refine", feedback), session_id))
        else:
            await self._generate_with_auto_refine(block, "refine", feedback)
        return BlockState(block=await self.block(session_id, block.id), iterations=await self.iterations(block.id))

    async def edit(self, session_id: str, block_id: str | None, code: str, feedback: str | None = None, *,
                   base: int | None = None) -> BlockState:
        """A hand edit (a person in the workbench, an agent over MCP) recorded as a new iteration without
        calling the model; the checks run on it as on an answer. An edit that left its `base` iteration
        (the current one unless said) unchanged records nothing."""
        if not code.strip():
            raise LoopError("the code is empty: send the whole edited file")
        if "\x00" in code:
            raise LoopError("the code contains a NUL character: send text")
        try:
            encoded = code.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise LoopError(f"the code is not valid Unicode text (character {exc.start}: a lone surrogate)") from None
        block = await self.block(session_id, block_id)
        self._check_open(block, "refine")
        base = block.current_iteration if base is None else base
        started = next((i for i in await self.iterations(block.id) if i.number == base), None)
        if started is not None and started.code == code:
            raise LoopError(f"the code is iteration {base} of {block.path} unchanged: nothing was recorded")
        session = await self.session(session_id)
        patterns = (await self.conventions.current(block.language)).patterns if block.language in LANGUAGES else []
        checked = await review(code, workspace=self.workspace, settings=self.settings, path=block.path,
                               language=block.language, kind=block.kind, prompt=session.prompt, patterns=patterns,
                               sql_schema=await self._target_schema(block))
        author = "agent" if self.origin == "mcp" else "user"
        async with self.store.lifecycle.transaction() as conn:
            number = await _next_number(conn, block.id)
            cursor = await conn.execute(
                "INSERT INTO iterations (block_id, number, phase, status, temperature, prompt, code, sha256,"
                " diagnostics, grounding, worker_id, author, created_at, finished_at)"
                " VALUES (?, ?, 'refine', 'done', 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (block.id, number, f"(edited by the {author}: no model was called)", code, files.sha256_of(encoded),
                 json.dumps([d.model_dump() for d in checked.diagnostics]),
                 Grounding(checks=checked.checks).model_dump_json(), self.worker_id, author, now(), now()))
            await conn.execute(
                "INSERT INTO block_refinements (block_id, iteration_id, feedback, origin, created_at)"
                " VALUES (?, ?, ?, 'user', ?)", (block.id, cursor.lastrowid, feedback or f"edited by the {author}", now()))
            await conn.execute("UPDATE blocks SET status = 'refined', current_iteration = max(current_iteration, ?),"
                               " updated_at = ? WHERE id = ?", (number, now(), block.id))
            await conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now(), session_id))
        self._emit("iteration", session_id, block.id, number, status="done")
        return BlockState(block=await self.block(session_id, block.id), iterations=await self.iterations(block.id))

    # -- commit ------------------------------------------------------------------------------------

    async def commit(self, session_id: str, block_id: str | None = None, *, finalize: bool = False,
                     force: bool = False) -> list[CommitOutcome]:
        """Write the current iteration of one block (or of every block) to disk, atomically."""
        session = await self.session(session_id)
        if block_id is None:
            rows = await self.store.lifecycle.fetchall(
                "SELECT * FROM blocks WHERE session_id = ? ORDER BY created_at, path", (session_id,))
            blocks = [from_row(Block, row) for row in rows]
        else:
            blocks = [await self.block(session_id, block_id)]
        outcomes = [await self._commit_block(block, finalize=finalize, force=force) for block in blocks]
        await self._settle_session(session)
        return outcomes

    async def _commit_block(self, block: Block, *, finalize: bool, force: bool) -> CommitOutcome:
        if block.current_iteration == 0:
            raise LoopError(f"block {block.id} ({block.path}) has no finished iteration to commit")
        if finalize and block.status != "committed":
            await self._generate(block, "finalize", FINAL_REVIEW)
            block = await self.block(block.session_id, block.id)
        current = next(i for i in await self.iterations(block.id) if i.number == block.current_iteration)
        code = current.code or ""
        if block.kind == "file" and not code.endswith("\n"):
            code += "\n"
        key = idempotence.input_key("commit", {"block": block.id, "iteration": current.number,
                                               "sha256": current.sha256, "path": block.path})
        if await idempotence.is_done(self.store, key):
            return CommitOutcome(block_id=block.id, path=block.path, iteration=current.number,
                                 status="already_committed",
                                 message=f"{block.path}: iteration {current.number} is already committed; nothing changed")
        if errors_of(current.diagnostics) and not force:
            raise LoopError(f"iteration {current.number} of {block.path} has errors "
                            f"({errors_of(current.diagnostics)[0].describe()}); refine it, or commit with force")
        if block.kind == "sql":
            outcome = await self._apply_sql(block, current.number, code)
        else:
            outcome = await self._write_file(block, current.number, code, force=force)
        await idempotence.mark(self.store, key, "commit", result_ref=f"results:{outcome.result_id}")
        await self._set_block(block, status="committed",
                              disk_sha256=files.sha256_of(code.encode()) if block.kind == "file" else None)
        self._emit("block", block.session_id, block.id, status="committed")
        return outcome

    async def _write_file(self, block: Block, number: int, code: str, *, force: bool) -> CommitOutcome:
        target = resolve_in_workspace(self.workspace, block.path, for_write=True)
        before = await asyncio.to_thread(files.read_bytes, target)
        before_sha = files.sha256_of(before) if before is not None else None
        if before_sha != block.disk_sha256 and not force:
            raise StaleFileError(f"{block.path} changed on disk since it was audited; audit it again to see "
                                 "the new diff, or commit with force to replace it")
        data = code.encode("utf-8")
        diff = await asyncio.to_thread(unified_diff, before.decode("utf-8", "replace") if before else "", code,
                                       block.path, after_label=f"iteration {number}")
        # The pre-image is recorded before the rename: a kill between the two leaves a result whose undo
        # puts back what is already there, never a replaced file whose previous content is saved nowhere.
        result_id = await self.store.output.execute(
            "INSERT INTO results (session_id, block_id, iteration, kind, path, status, sha256_before, sha256_after,"
            " previous_content, diff, created_at) VALUES (?, ?, ?, 'file', ?, 'committed', ?, ?, ?, ?, ?)",
            (block.session_id, block.id, number, block.path, before_sha, files.sha256_of(data), before, diff, now()))
        try:
            await asyncio.to_thread(files.atomic_write, target, data)
        except BaseException:
            await asyncio.shield(self.store.output.execute("DELETE FROM results WHERE id = ?", (result_id,)))
            raise
        verb = "replaced" if before is not None else "created"
        return CommitOutcome(block_id=block.id, path=block.path, iteration=number, status="committed", diff=diff,
                             result_id=result_id, message=f"{block.path}: {verb} with iteration {number}")

    async def _apply_sql(self, block: Block, number: int, script: str) -> CommitOutcome:
        if block.target_db is None:
            raise LoopError(f"block {block.id} is a SQL script with no target_db to apply it to")
        database = resolve_in_workspace(self.workspace, block.target_db, for_write=True)
        backup = None
        if database.exists():
            backup = await asyncio.to_thread(files.backup_database, database,
                                             self.workspace / ".brainloop" / "backups")
        count = await asyncio.to_thread(files.apply_sql, database, script,
                                        busy_timeout_ms=self.settings.busy_timeout_ms)
        result_id = await self.store.output.execute(
            "INSERT INTO results (session_id, block_id, iteration, kind, path, status, backup_path, diff, created_at)"
            " VALUES (?, ?, ?, 'sql', ?, 'committed', ?, ?, ?)",
            (block.session_id, block.id, number, block.path, str(backup) if backup else None, script, now()))
        return CommitOutcome(block_id=block.id, path=block.path, iteration=number, status="applied", diff=script,
                             result_id=result_id, backup=str(backup) if backup else None,
                             message=f"{block.path}: {count} statement(s) applied in one transaction")

    async def undo(self, session_id: str, block_id: str | None = None, *, force: bool = False) -> UndoOutcome:
        """Put back what the block's last commit replaced."""
        block = await self.block(session_id, block_id)
        row = await self.store.output.fetchone(
            "SELECT * FROM results WHERE block_id = ? AND status = 'committed' ORDER BY id DESC LIMIT 1", (block.id,))
        if row is None:
            raise LoopError(f"{block.path}: nothing committed to undo")
        if row["kind"] == "sql":
            if not row["backup_path"]:
                raise LoopError(f"{block.path}: the database did not exist before; delete it to undo")
            target = resolve_in_workspace(self.workspace, block.target_db or "", for_write=True)
            await asyncio.to_thread(files.restore_database, Path(row["backup_path"]), target)
        else:
            target = resolve_in_workspace(self.workspace, block.path, for_write=True)
            current = await asyncio.to_thread(files.read_bytes, target)
            if (files.sha256_of(current) if current is not None else None) != row["sha256_after"] and not force:
                raise StaleFileError(f"{block.path} changed on disk after the commit; undo with force to replace it")
            previous = row["previous_content"]
            if previous is None:
                await asyncio.to_thread(files.remove_file, target)
            else:
                await asyncio.to_thread(files.atomic_write, target, bytes(previous))
        await self.store.output.execute("UPDATE results SET status = 'undone' WHERE id = ?", (row["id"],))
        await self.store.lifecycle.execute("DELETE FROM processed_log WHERE result_ref = ?", (f"results:{row['id']}",))
        await self._set_block(block, status="refined" if block.current_iteration > 1 else "proposed",
                              disk_sha256=row["sha256_before"] if row["kind"] == "file" else None)
        await self.store.lifecycle.execute("UPDATE sessions SET status = 'active', updated_at = ? WHERE id = ?",
                                           (now(), session_id))
        self._emit("block", session_id, block.id, status="undone")
        return UndoOutcome(block_id=block.id, path=block.path,
                           message=f"{block.path}: restored to what it was before iteration {row['iteration']}")

    # -- generation --------------------------------------------------------------------------------

    async def _generate_with_auto_refine(self, block: Block, phase: Phase, feedback: str | None) -> Iteration:
        """One iteration, then as many automatic refines as its checks ask for; when a refine makes things
        worse, the best iteration stays the block's current one."""
        iteration, checked = await self._generate(block, phase, feedback)
        best, best_score = iteration, checked.score()
        answered = {_same_code_key(iteration.code)}
        repeats = 0
        for _ in range(auto_refine_rounds(self.settings, checked)):
            problems = errors_of(iteration.diagnostics)
            if not problems:
                break
            automatic = "Fix these problems found by checking your answer:\n" + "\n".join(
                f"- {p.describe()}" for p in problems)
            if repeats:
                automatic += REPEATED_ANSWER
            iteration, checked = await self._generate(await self.block(block.session_id, block.id), "refine",
                                                      automatic, origin="auto",
                                                      temperature_boost=REPEAT_TEMPERATURE_STEP * repeats)
            # A small model asked to fix its code often returns it unchanged: the next round samples wider.
            if _same_code_key(iteration.code) in answered:
                repeats += 1
            answered.add(_same_code_key(iteration.code))
            if checked.score() < best_score:
                best, best_score = iteration, checked.score()
        if best.number != iteration.number:
            await self._set_block(block, current_iteration=best.number)
            self._emit("iteration", block.session_id, block.id, best.number, status="done")
            log.info("%s: kept iteration %d, the automatic refines after it were worse", block.path, best.number)
        return best

    def _candidate_count(self, phase: Phase, provider: Provider) -> int:
        if phase != "propose":
            return 1
        if self.settings.candidates is not None:
            return self.settings.candidates
        return CANDIDATES_BY_PROVIDER.get(provider.name, DEFAULT_CANDIDATES)

    async def _generate(self, block: Block, phase: Phase, feedback: str | None, *, origin: str = "user",
                        temperature_boost: float = 0.0) -> tuple[Iteration, Review]:
        """One iteration: recorded as streaming, then done, failed or cancelled — never left half-way."""
        session = await self.session(block.session_id)
        temperature = {"propose": self.settings.temperature_propose, "refine": self.settings.temperature_refine,
                       "finalize": self.settings.temperature_finalize}[phase]
        temperature = round(min(temperature + temperature_boost, MAX_TEMPERATURE), 2)
        grounded = Grounding()
        budget = await self._prompt_budget()
        patterns = await self._conventions(block, grounded)
        context = await self._prompt_context(block, session, patterns, grounded, budget)
        previous = None
        if phase != "propose":
            previous = next(i for i in await self.iterations(block.id) if i.number == block.current_iteration)
        messages = (propose_messages(session.prompt, context, budget) if previous is None
                    else refine_messages(session.prompt, context, previous.code or "", feedback or "", budget))
        request = ChatRequest(messages=messages, temperature=temperature,
                              max_completion_tokens=self.settings.max_completion_tokens)
        status_before = block.status
        iteration_id, number = await self._start_iteration(block, phase, temperature, request, feedback, origin,
                                                           grounded)
        self._emit("iteration", block.session_id, block.id, number, status="streaming")
        self._streamed[block.id] = 0
        try:
            provider = await self.provider()
            answers = await self._answers(block, number, request, self._candidate_count(phase, provider), provider,
                                          phase, session.prompt, patterns, context.target_schema,
                                          [f.path for f in (*grounded.files, *grounded.left_out)])
        except BaseException as exc:  # every way out ends the iteration: none is left streaming
            cancelled = isinstance(exc, asyncio.CancelledError)
            if not isinstance(exc, LLMError | asyncio.CancelledError):
                log.exception("generating %s failed", block.path)
            await asyncio.shield(self._end_failed(block, iteration_id, status_before,
                                                  "cancelled" if cancelled else "failed",
                                                  "cancelled" if cancelled else str(exc) or repr(exc)))
            self._emit("iteration", block.session_id, block.id, number, status="cancelled" if cancelled else "failed")
            raise
        finally:
            self._streamed.pop(block.id, None)
        chosen, *others = answers
        completion, code, checked = chosen.completion, chosen.code, chosen.review
        grounded.checks = checked.checks
        candidates = [Candidate(temperature=a.temperature, code=a.code, diagnostics=a.review.diagnostics)
                      for a in others]
        status = "proposed" if phase == "propose" else "refined"
        async with self.store.lifecycle.transaction() as conn:
            await conn.execute(
                "UPDATE iterations SET status = 'done', raw_answer = ?, code = ?, sha256 = ?, model = ?,"
                " diagnostics = ?, usage_id = ?, temperature = ?, grounding = ?, candidates = ?, finished_at = ?"
                " WHERE id = ?",
                (completion.text, code, files.sha256_of(code.encode()), completion.model,
                 json.dumps([d.model_dump() for d in checked.diagnostics]), chosen.usage_id, chosen.temperature,
                 grounded.model_dump_json(), json.dumps([c.model_dump() for c in candidates]), now(), iteration_id))
            # Refines of one block may finish out of order (two servers): the current iteration never goes back.
            await conn.execute("UPDATE blocks SET status = ?, current_iteration = max(current_iteration, ?),"
                               " updated_at = ? WHERE id = ?", (status, number, now(), block.id))
            await conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now(), block.session_id))
        self._emit("iteration", block.session_id, block.id, number, status="done")
        return next(i for i in await self.iterations(block.id) if i.id == iteration_id), checked

    async def _answers(self, block: Block, number: int, request: ChatRequest, count: int, provider: Provider,
                       phase: Phase, prompt: str, patterns: list[Pattern], sql_schema: str,
                       shown: Sequence[str]) -> list[_Answer]:
        """`count` answers generated at once (temperatures spread around the request's), each checked;
        the best first. Only the first streams its deltas to the faces. Answers that failed are dropped
        while one succeeded."""

        async def answer(index: int) -> _Answer:
            offset = CANDIDATE_TEMPERATURE_STEP * ((index + 1) // 2) * (-1 if index % 2 else 1)
            temperature = round(min(max(request.temperature + offset, 0.0), 2.0), 2)
            received = 0

            def on_delta(delta) -> None:
                nonlocal received
                received += 1
                self._streamed[block.id] = received
                self.events.emit(LoopEvent(kind="delta", session_id=block.session_id, block_id=block.id,
                                           iteration=number, text=delta.content, reasoning=delta.reasoning,
                                           completion_tokens=received))

            completion = await complete(provider, request.model_copy(update={"temperature": temperature}),
                                        on_delta if index == 0 else None)
            usage_id = await record_usage(self.store, completion, provider=provider.name, phase=phase,
                                          session_id=block.session_id, block_id=block.id)
            code, repairs = clean_code(completion.text, block.language), []
            if block.kind == "file":
                code, repairs = await asyncio.to_thread(repair, code, language=block.language, path=block.path,
                                                        workspace=self.workspace, shown=shown)
            checked = await review(code, workspace=self.workspace, settings=self.settings, path=block.path,
                                   language=block.language, kind=block.kind, prompt=prompt, patterns=patterns,
                                   sql_schema=sql_schema)
            checked.diagnostics[:0] = repairs
            return _Answer(completion, usage_id, code, checked, temperature)

        results = await asyncio.gather(*(answer(index) for index in range(count)), return_exceptions=True)
        answers = [r for r in results if not isinstance(r, BaseException)]
        if not answers:
            raise next(r for r in results if isinstance(r, BaseException))
        failures = [r for r in results if isinstance(r, BaseException) and not isinstance(r, LLMError)]
        if failures:
            raise failures[0]  # a bug, or a cancel: never hidden behind a sibling's success
        return sorted(answers, key=lambda a: a.review.score())

    async def _conventions(self, block: Block, grounded: Grounding) -> list[Pattern]:
        """The current conventions of the block's language (waiting a bounded time for a refresh)."""
        if block.language not in LANGUAGES:
            grounded.conventions_state = f"none for {block.language or 'this file type'}"
            return []
        found = await self.conventions.current(block.language)
        grounded.conventions_state = found.note
        grounded.conventions = [conventions.instruction(p) or "" for p in conventions.chosen_patterns(
            found.patterns, block.language)]
        return found.patterns

    async def _start_iteration(self, block: Block, phase: Phase, temperature: float, request: ChatRequest,
                               feedback: str | None, origin: str, grounded: Grounding) -> tuple[int, int]:
        prompt_text = "\n\n".join(f"[{m.role}]\n{m.content}" for m in request.messages)
        async with self.store.lifecycle.transaction() as conn:
            number = await _next_number(conn, block.id)
            cursor = await conn.execute(
                "INSERT INTO iterations (block_id, number, phase, status, temperature, prompt, grounding, worker_id,"
                " created_at) VALUES (?, ?, ?, 'streaming', ?, ?, ?, ?, ?)",
                (block.id, number, phase, temperature, prompt_text, grounded.model_dump_json(), self.worker_id, now()))
            iteration_id = cursor.lastrowid
            if feedback is not None and phase == "refine":
                await conn.execute(
                    "INSERT INTO block_refinements (block_id, iteration_id, feedback, origin, created_at)"
                    " VALUES (?, ?, ?, ?, ?)", (block.id, iteration_id, feedback, origin, now()))
            await conn.execute("UPDATE blocks SET status = 'generating', updated_at = ? WHERE id = ?", (now(), block.id))
        return iteration_id, number

    async def _end_failed(self, block: Block, iteration_id: int, status_before: str, status: str, error: str) -> None:
        restored = status_before if block.current_iteration else ("cancelled" if status == "cancelled" else "failed")
        async with self.store.lifecycle.transaction() as conn:
            await conn.execute("UPDATE iterations SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                               (status, error, now(), iteration_id))
            await conn.execute("UPDATE blocks SET status = ?, updated_at = ? WHERE id = ?",
                               (restored, now(), block.id))
        await record_event(self.store, "error", {"session": block.session_id, "block": block.id, "error": error})

    async def _prompt_budget(self) -> int:
        """The setting, else what the provider affords: the embedded model reads a prompt at tens of
        tokens a second on a laptop's cores, so its prompts are kept short."""
        if self.settings.prompt_budget_tokens is not None:
            return self.settings.prompt_budget_tokens
        try:
            provider = await self.provider()
        except Exception:  # the generation reports it, as a failed iteration
            return DEFAULT_PROMPT_BUDGET
        return PROMPT_BUDGET_BY_PROVIDER.get(provider.name, DEFAULT_PROMPT_BUDGET)

    async def _prompt_context(self, block: Block, session: Session, patterns: list[Pattern],
                              grounded: Grounding, budget: int) -> PromptContext:
        registered = await sources.prompt_context(self.store, budget // 4)
        grounded.registered_tokens = token_estimate(registered) if registered.strip() else 0
        context = PromptContext(path=block.path, language=block.language, kind=block.kind,
                                patterns=conventions.render_patterns(patterns, block.language), registered=registered)
        if block.kind == "sql":
            context.target_schema = await self._target_schema(block)
        else:
            context.target_content = await self._disk_text(block)
        # Half the budget goes to the task and the target's content; the conventions, sources, schema and
        # exemplar take from the other half first, and the context files have what they leave of it.
        spent = sum(token_estimate(part) for part in (context.patterns, context.registered, context.target_schema))
        related = await grounding.candidates(self.store, block.path, session.prompt, session.context,
                                             await conventions.import_index(self.store))
        if block.language == "python" and block.kind == "file":
            found = await asyncio.to_thread(python_exemplar, self.workspace, block.path, [r.path for r in related],
                                            budget // EXEMPLAR_SHARE)
            if found is not None:
                context.exemplar, context.exemplar_path, grounded.exemplar = found.code, found.path, found.label
                spent += token_estimate(found.code)
        context.context_digests = await grounding.context_digests(self.store, related, max(budget // 2 - spent, 0),
                                                                  grounded)
        return context

    # -- helpers -----------------------------------------------------------------------------------

    async def _target_schema(self, block: Block) -> str:
        """The DDL of a SQL block's target database ("" when it has none yet)."""
        if block.kind != "sql" or not block.target_db:
            return ""
        database = resolve_in_workspace(self.workspace, block.target_db)
        return await asyncio.to_thread(files.database_schema, database) if database.exists() else ""

    def _check_open(self, block: Block, action: str) -> None:
        if block.status == "committed":
            raise LoopError(f"block {block.id} ({block.path}) is committed; {action} needs a new session, "
                            "or undo the commit first")

    def _disk_sha(self, path: str) -> str | None:
        data = files.read_bytes(resolve_in_workspace(self.workspace, path))
        return files.sha256_of(data) if data is not None else None

    async def _disk_text(self, block: Block) -> str | None:
        if block.kind != "file":
            return None
        data = await asyncio.to_thread(files.read_bytes, resolve_in_workspace(self.workspace, block.path))
        return data.decode("utf-8", "replace") if data is not None else None

    async def _set_block(self, block: Block, **changes: object) -> Block:
        assignments = ", ".join(f"{column} = ?" for column in changes)
        await self.store.lifecycle.execute(f"UPDATE blocks SET {assignments}, updated_at = ? WHERE id = ?",
                                           (*changes.values(), now(), block.id))
        return block.model_copy(update=changes)

    async def _settle_session(self, session: Session) -> None:
        row = await self.store.lifecycle.fetchone(
            "SELECT count(*), sum(status = 'committed') FROM blocks WHERE session_id = ?", (session.id,))
        if row[0] and row[0] == row[1] and session.status != "committed":
            await self.store.lifecycle.execute("UPDATE sessions SET status = 'committed', updated_at = ? WHERE id = ?",
                                               (now(), session.id))
            await record_event(self.store, "session_committed", {"session": session.id})
            await self._record_session_counts()
            self._emit("session", session.id, status="committed")

    async def _record_session_counts(self) -> None:
        row = await self.store.lifecycle.fetchone(
            "SELECT sum(status = 'active'), sum(status = 'committed') FROM sessions")
        await record_metric(self.store, "sessions_active", row[0] or 0)
        await record_metric(self.store, "sessions_completed", row[1] or 0)

    def _emit(self, kind: str, session_id: str, block_id: str | None = None, iteration: int | None = None, *,
              status: str | None = None) -> None:
        self.events.emit(LoopEvent(kind=kind, session_id=session_id, block_id=block_id, iteration=iteration,
                                   status=status))
