"""The loop's rows (lifecycle.db) and the views the faces get back."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from brainloop_tui.core.loop.grounding import Grounding
from brainloop_tui.core.loop.validators import Diagnostic

Origin = Literal["tui", "mcp", "cli"]
SessionStatus = Literal["active", "committed", "failed", "cancelled"]
BlockStatus = Literal["pending", "generating", "proposed", "refined", "committed", "failed", "cancelled"]
BlockKind = Literal["file", "sql"]
IterationStatus = Literal["streaming", "done", "failed", "cancelled"]
Phase = Literal["propose", "refine", "finalize"]


def _json_column(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class Session(BaseModel):
    id: str
    title: str
    prompt: str
    origin: Origin
    status: SessionStatus
    context: list[str] = Field(default_factory=list)
    created_at: float
    updated_at: float

    _context = field_validator("context", mode="before")(_json_column)


class Block(BaseModel):
    id: str
    session_id: str
    path: str
    language: str | None
    kind: BlockKind
    target_db: str | None
    status: BlockStatus
    current_iteration: int
    disk_sha256: str | None
    created_at: float
    updated_at: float


class Candidate(BaseModel):
    """One of the other answers a proposal generated: not chosen, kept for the reviewer."""

    temperature: float
    code: str
    diagnostics: list[Diagnostic] = Field(default_factory=list)


class Iteration(BaseModel):
    id: int
    block_id: str
    number: int
    phase: Phase
    status: IterationStatus
    temperature: float
    prompt: str
    raw_answer: str | None
    code: str | None
    sha256: str | None
    model: str | None
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    error: str | None
    usage_id: int | None
    created_at: float
    finished_at: float | None
    feedback: str | None = None  # what the refinement that produced this iteration asked for
    feedback_origin: Literal["user", "auto"] | None = None  # a person (or agent), or the validators
    grounding: Grounding = Field(default_factory=Grounding)  # what the prompt carried, and why
    candidates: list[Candidate] = Field(default_factory=list)  # the answers not chosen (propose with candidates)
    author: Literal["user", "agent"] | None = None  # a hand edit's author; None: the model wrote it

    _json_columns = field_validator("diagnostics", "grounding", "candidates", mode="before")(_json_column)


class BlockState(BaseModel):
    """A block with its iterations, newest last."""

    block: Block
    iterations: list[Iteration]
    error: str | None = None  # why its latest generation failed, when it did
    error_kind: str | None = None  # the LLMError's kind: RateLimitedError, ProviderUnreachableError, ...

    @property
    def current(self) -> Iteration | None:
        return next((i for i in self.iterations if i.number == self.block.current_iteration), None)


class SessionState(BaseModel):
    session: Session
    blocks: list[BlockState]


class SessionSummary(BaseModel):
    """One line of the sessions list."""

    id: str
    title: str
    status: SessionStatus
    origin: Origin
    blocks: int
    iterations: int
    created_at: float
    updated_at: float


class Progress(BaseModel):
    """A generation under way on a block, as its audit reports it."""

    iteration: int
    phase: Phase
    elapsed_s: float
    tokens: int | None = None  # received so far; None when another process generates it


class Audit(BaseModel):
    """Everything a reviewer needs to judge a block's current iteration."""

    session_id: str
    block: Block
    code: str | None
    iterations: list[Iteration]
    diagnostics: list[Diagnostic]
    diff_previous: str  # previous done iteration -> current
    diff_disk: str  # file on disk -> current
    disk_exists: bool
    progress: Progress | None = None  # while an iteration is streaming


class CommitOutcome(BaseModel):
    block_id: str
    path: str
    iteration: int
    status: Literal["committed", "applied", "already_committed"]
    message: str
    diff: str = ""
    result_id: int | None = None
    backup: str | None = None  # for SQL: where the database was copied before the change


class UndoOutcome(BaseModel):
    block_id: str
    path: str
    message: str
