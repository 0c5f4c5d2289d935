"""The eleven actions (SPEC §6): typed params in, a typed result out. The MCP face exposes them as one
tool; the TUI and its command palette call the same functions. Nothing here knows which face asked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from brainloop_tui.core import readers  # imported when an action first reads (brainloop_tui.core.lazy)
from brainloop_tui.core.config import Settings
from brainloop_tui.core.db import Store
from brainloop_tui.core.errors import BrainloopError
from brainloop_tui.core.loop.engine import Detach, Loop
from brainloop_tui.core.loop.models import Audit, CommitOutcome, SessionState, SessionSummary
from brainloop_tui.core.loop.validators import errors_of
from brainloop_tui.core.readers.render import EXPLORE_MAX_TOKENS, MIN_SECTION_TOKENS
from brainloop_tui.core.stats import collect_stats
from brainloop_tui.core.views import (
    LIST_PAGE_SESSIONS,
    Detail,
    audit_view,
    block_view,
    commits_view,
    diagnostics_view,
    digest_view,
    explore_view,
    session_view,
    sessions_view,
)
from brainloop_tui.core.workspace import resolve_in_workspace

ActionName = Literal["generate_file", "generate_sql", "explore", "loop", "read_sqlite", "read_markdown",
                     "read_code", "read_config", "list_actions", "get_schema", "get_stats"]
ACTION_NAMES: tuple[str, ...] = get_args(ActionName)


class ActionError(BrainloopError):
    """An action cannot run as asked: unknown, bad params, or refused. The message says how to fix it."""


# Caps on what a call may carry: far above any real use, low enough that a fuzzer's 10 MB path is refused
# before it is resolved, logged, or stored in lifecycle.db with every prompt.
MAX_PATH_CHARS = 4096
MAX_TEXT_CHARS = 1_000_000
MAX_NAME_CHARS = 200
PathText = Annotated[str, Field(max_length=MAX_PATH_CHARS)]
LongText = Annotated[str, Field(max_length=MAX_TEXT_CHARS)]
NameText = Annotated[str, Field(max_length=MAX_NAME_CHARS)]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GenerateFileParams(Params):
    path: PathText = Field(description="file to write, relative to the workspace")
    prompt: LongText = Field(description="what the file must do")
    language: NameText | None = Field(None, description="language, when the file ending does not say")
    overwrite: bool = Field(False, description="replace the file when it exists")


class GenerateSqlParams(Params):
    prompt: LongText = Field(description="what the SQL must do")
    target_db: PathText | None = Field(None, description="SQLite database inside the workspace to check against and change")
    apply: bool = Field(False, description="run it against target_db (after a backup); false only validates")


class ExploreParams(Params):
    path: PathText = Field(".", description="folder to map, relative to the workspace")
    max_depth: int | None = Field(None, ge=0, description="folder levels to descend")
    max_files: int | None = Field(None, ge=1, description="files to include at most")
    max_tokens: int = Field(EXPLORE_MAX_TOKENS, ge=MIN_SECTION_TOKENS, le=100_000, description="size of the map")
    detail: Detail = Field("compact", description='"full": every entry as structured data, beside the map')


class LoopParams(Params):
    step: Literal["propose", "audit", "refine", "commit", "list"]
    session_id: NameText | None = None
    block_id: NameText | None = None
    prompt: LongText | None = Field(None, description="propose: what to write")
    path: PathText | Annotated[list[PathText], Field(max_length=100)] | None = Field(
        None, description="propose: target file(s); several make several blocks")
    language: NameText | None = None
    feedback: LongText | None = Field(None, description="refine: what to change")
    finalize: bool = Field(False, description="commit: one last low-temperature pass first")
    code: LongText | None = Field(None, description="refine: the edited file itself, recorded without calling the model")
    page: int = Field(1, ge=1, description="list: page of sessions, newest first")
    wait: bool = Field(True, description="propose, refine: false answers at once; audit then reports progress")
    detail: Detail = Field("compact", description='"full": every iteration with its prompt and grounding')


class ReadParams(Params):
    path: PathText = Field(description="file relative to the workspace")
    refresh: bool = Field(False, description="ignore the cache")
    detail: Detail = Field("compact", description='"full": the whole typed structure, beside the text')
    summarize: bool = Field(False, description="add an LLM-written summary (made once, kept until the file changes)")


class NoParams(Params):
    pass


class GetSchemaParams(Params):
    action: ActionName


class ActionResult(BaseModel):
    """`message` is a short line for people; `data` the structured answer."""

    message: str
    data: dict[str, Any]


@dataclass(frozen=True)
class ActionContext:
    store: Store
    settings: Settings
    loop: Loop
    started_at: float | None = None
    detach: Detach | None = None  # where `wait: false` generations run (the runtime's tracked work)


@dataclass(frozen=True)
class Action:
    name: str
    params: type[Params]
    summary: str
    run: Callable[[ActionContext, Any], Awaitable[ActionResult]]

    @property
    def signature(self) -> str:
        """One line, e.g. `read_code {path, refresh?}`: generated from the params model."""
        fields = []
        for name, info in self.params.model_fields.items():
            if info.is_required():
                fields.append(name)
            elif info.default in (None, "") or info.default_factory is not None:
                fields.append(f"{name}?")
            else:
                default = str(info.default).lower() if isinstance(info.default, bool) else repr(info.default)
                fields.append(f"{name}?={default}".replace("'", '"'))
        if self.name == "loop":
            fields[0] = 'step: "propose"|"audit"|"refine"|"commit"|"list"'
        return f"{self.name} {{{', '.join(fields)}}}"


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _check_diagnostics(state: SessionState, what: str) -> None:
    """A one-shot generation stops here when the model failed or its answer still has errors."""
    block = state.blocks[0]
    if block.error:
        raise ActionError(f"{what}: the LLM call failed: {block.error} (session {state.session.id})",
                          kind=block.error_kind)
    current = block.current
    problems = errors_of(current.diagnostics) if current else []
    if problems:
        listed = "; ".join(p.describe() for p in problems[:3])
        raise ActionError(
            f"{what}: iteration {current.number} still has errors after auto-refine ({listed}); nothing was written. "
            f'Continue with loop {{step: "refine", session_id: "{state.session.id}", feedback}} or audit it.')


async def run_generate_file(ctx: ActionContext, p: GenerateFileParams) -> ActionResult:
    target = resolve_in_workspace(ctx.store.workspace, p.path, for_write=True)
    if target.exists() and not p.overwrite:
        raise ActionError(f"{p.path} exists; pass overwrite=true to replace it")
    state = await ctx.loop.propose(p.prompt, [p.path], language=p.language)
    _check_diagnostics(state, p.path)
    (outcome,) = await ctx.loop.commit(state.session.id, state.blocks[0].block.id)
    block = state.blocks[0]
    return ActionResult(message=outcome.message, data={
        "session_id": state.session.id, "block_id": block.block.id, "path": outcome.path,
        "iteration": outcome.iteration, "status": outcome.status, "diff": outcome.diff,
        "diagnostics": diagnostics_view(block.current.diagnostics)})


async def run_generate_sql(ctx: ActionContext, p: GenerateSqlParams) -> ActionResult:
    if p.apply and not p.target_db:
        raise ActionError("apply=true needs target_db: the database to change")
    state = await ctx.loop.propose(p.prompt, ["generated.sql"], language="sql", kind="sql", target_db=p.target_db)
    _check_diagnostics(state, "generate_sql")
    block = state.blocks[0]
    data: dict[str, Any] = {"session_id": state.session.id, "block_id": block.block.id, "sql": block.current.code,
                            "diagnostics": diagnostics_view(block.current.diagnostics), "applied": False}
    if not p.apply:
        against = f" against {p.target_db}" if p.target_db else ""
        return ActionResult(message=f"SQL validated{against}; not applied (apply=false)", data=data)
    (outcome,) = await ctx.loop.commit(state.session.id, block.block.id)
    return ActionResult(message=outcome.message, data={**data, "applied": True, "backup": outcome.backup})


async def run_explore(ctx: ActionContext, p: ExploreParams) -> ActionResult:
    from brainloop_tui.core.explore import explore  # with its process pool: imported on first use

    result = await explore(ctx.store, p.path, max_depth=p.max_depth, max_files=p.max_files, max_tokens=p.max_tokens)
    cut = f"; cut at max_files={result.max_files}" if result.cut else ""
    return ActionResult(message=f"{result.path}: {len(result.entries)} file(s) mapped{cut}\n{result.text}",
                        data=explore_view(result, p.detail))


def _detach(ctx: ActionContext, p: LoopParams) -> Detach | None:
    if p.wait:
        return None
    if ctx.detach is None:
        raise ActionError("wait: false needs a running Brainloop worker to generate in; this one has none")
    return ctx.detach


GENERATING = 'generating: loop {step: "audit", session_id} reports its progress, then its result'


def _require(p: LoopParams, *names: str) -> None:
    missing = [name for name in names if not getattr(p, name)]
    if missing:
        raise ActionError(f"loop step {p.step!r} needs {', '.join(missing)}; expected {ACTIONS['loop'].signature}")


async def run_loop(ctx: ActionContext, p: LoopParams) -> ActionResult:
    if p.step == "list":
        sessions: list[SessionSummary] = await ctx.loop.list_sessions(
            limit=LIST_PAGE_SESSIONS + 1, offset=(p.page - 1) * LIST_PAGE_SESSIONS)
        page = sessions[:LIST_PAGE_SESSIONS]
        view = (sessions_view(page, p.page, more=len(sessions) > LIST_PAGE_SESSIONS) if p.detail == "compact"
                else {"page": p.page, "sessions": [_dump(s) for s in page]})
        return ActionResult(message=f"{len(view['sessions'])} session(s) on page {p.page}", data=view)
    if p.step == "propose":
        _require(p, "prompt", "path")
        paths = [p.path] if isinstance(p.path, str) else list(p.path or [])
        state = await ctx.loop.propose(p.prompt or "", paths, language=p.language, detach=_detach(ctx, p))
        if not p.wait:
            return ActionResult(message=f"session {state.session.id}: {GENERATING}", data={
                "session_id": state.session.id, "status": "generating", "next": GENERATING,
                "blocks": [{"block_id": b.block.id, "path": b.block.path} for b in state.blocks]})
        failed = [b for b in state.blocks if b.error]
        message = f"session {state.session.id}: {len(state.blocks) - len(failed)} of {len(state.blocks)} block(s) proposed"
        if failed:
            message += "; failed: " + "; ".join(f"{b.block.path}: {b.error}" for b in failed)
        if len(failed) == len(state.blocks):  # nothing was proposed: a failure, of the first block's kind
            raise ActionError(message, kind=failed[0].error_kind)
        return ActionResult(message=message, data=session_view(state) if p.detail == "compact" else _dump(state))
    _require(p, "session_id")
    if p.step == "audit":
        audit: Audit = await ctx.loop.audit(p.session_id or "", p.block_id)
        count = len(errors_of(audit.diagnostics))
        return ActionResult(message=f"{audit.block.path}: iteration {audit.block.current_iteration}, "
                                    f"{count} error(s)",
                            data=audit_view(audit) if p.detail == "compact" else _dump(audit))
    if p.step == "refine" and p.code is not None:
        state = await ctx.loop.edit(p.session_id or "", p.block_id, p.code, p.feedback)
        return ActionResult(message=f"{state.block.path}: iteration {state.block.current_iteration} (your edit)",
                            data={"session_id": state.block.session_id, **block_view(state)} if p.detail == "compact"
                            else _dump(state))
    if p.step == "refine":
        _require(p, "feedback")
        state = await ctx.loop.refine(p.session_id or "", p.block_id, p.feedback or "", detach=_detach(ctx, p))
        if not p.wait:
            return ActionResult(message=f"{state.block.path}: {GENERATING}", data={
                "session_id": state.block.session_id, "block_id": state.block.id, "path": state.block.path,
                "status": "generating", "next": GENERATING})
        return ActionResult(message=f"{state.block.path}: iteration {state.block.current_iteration}",
                            data={"session_id": state.block.session_id, **block_view(state)} if p.detail == "compact"
                            else _dump(state))
    outcomes: list[CommitOutcome] = await ctx.loop.commit(p.session_id or "", p.block_id, finalize=p.finalize)
    return ActionResult(message="; ".join(o.message for o in outcomes),
                        data=commits_view(outcomes) if p.detail == "compact" else {"commits": [_dump(o) for o in outcomes]})


def _reader(kind: readers.DigestKind) -> Callable[[ActionContext, ReadParams], Awaitable[ActionResult]]:
    async def run(ctx: ActionContext, p: ReadParams) -> ActionResult:
        digest = await readers.read_digest(ctx.store, p.path, kind=kind, refresh=p.refresh)
        if p.summarize and not digest.summary:
            from brainloop_tui.core.readers.summary import summarize  # with the LLM client: on first use

            digest = await summarize(ctx.store, digest.path, await ctx.loop.provider())
        return ActionResult(message=f"{digest.path}: {digest.headline}", data=digest_view(digest, p.detail))

    return run


async def run_list_actions(ctx: ActionContext, p: NoParams) -> ActionResult:
    rows = [{"name": a.name, "signature": a.signature, "summary": a.summary} for a in ACTIONS.values()]
    return ActionResult(message="\n".join(f"{a.signature}: {a.summary}" for a in ACTIONS.values()),
                        data={"actions": rows})


async def run_get_schema(ctx: ActionContext, p: GetSchemaParams) -> ActionResult:
    action = ACTIONS[p.action]
    return ActionResult(message=action.signature, data={"action": p.action, "schema": action.params.model_json_schema()})


async def run_get_stats(ctx: ActionContext, p: NoParams) -> ActionResult:
    stats = await collect_stats(ctx.store, started_at=ctx.started_at)
    return ActionResult(message=f"{stats.llm_calls} LLM call(s), {stats.tokens_completion} completion tokens, "
                                f"{stats.sessions_total} session(s)", data=_dump(stats))


ACTIONS: dict[str, Action] = {action.name: action for action in (
    Action("generate_file", GenerateFileParams, "write one file from a prompt (propose + auto-refine + commit)",
           run_generate_file),
    Action("generate_sql", GenerateSqlParams, "write SQL from a prompt; validate it, and apply it when asked",
           run_generate_sql),
    Action("explore", ExploreParams, "map a folder: tree, one line per file, top symbols", run_explore),
    Action("loop", LoopParams, "the reviewed loop, one step per call", run_loop),
    Action("read_sqlite", ReadParams, "digest of a SQLite database: tables, indexes, counts, advice",
           _reader("sqlite")),
    Action("read_markdown", ReadParams, "digest of a Markdown file: sections, code blocks, links", _reader("markdown")),
    Action("read_code", ReadParams, "digest of a source file: imports, functions, types", _reader("code")),
    Action("read_config", ReadParams, "digest of JSON/YAML/TOML/.env/INI: keys, settings, secrets redacted",
           _reader("config")),
    Action("list_actions", NoParams, "these actions, one line each", run_list_actions),
    Action("get_schema", GetSchemaParams, "JSON Schema of one action's params", run_get_schema),
    Action("get_stats", NoParams, "tokens, latency, cache hit rate, sessions, workers", run_get_stats),
)}


def parse_params(action: str, params: Any) -> tuple[Action, Params]:
    """The action and its validated params, or an `ActionError` a model can correct itself from."""
    if action not in ACTIONS:
        raise ActionError(f"unknown action {action!r}; the actions are: {', '.join(ACTION_NAMES)}")
    spec = ACTIONS[action]
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ActionError(f"params must be an object; expected {spec.signature}")
    try:
        return spec, spec.params.model_validate(params)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or 'params'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False))
        raise ActionError(f"bad params for {action}: {problems}; expected {spec.signature}") from None


async def run_action(ctx: ActionContext, action: str, params: Any) -> ActionResult:
    spec, parsed = parse_params(action, params)
    return await spec.run(ctx, parsed)
