"""Does the loop make the model better than itself? The same model writes small functions twice in one
run: through Brainloop's public path (`brainloop --headless`, `generate_file` over MCP: the project's
conventions, context digests, validators and auto-refine) and called directly with a plain prompt.
Hidden tests, never shown in a prompt, say pass or fail; each generated Python file's own conventions
are compared with the workspace's.

Tasks: benchmarks/quality/tasks_python.toml (32) and tasks_go.toml (10; they need `go`, else they are
skipped and the run says so). Each task runs in a fresh copy of benchmarks/quality/workspace/: a typed,
documented, logged Python package `inventory/` with its own exceptions and tests, and a Go module in
`service/`. Per task the two arms run one after the other (the first arm alternates), never at once:
the machine's cores would be shared. One server per task, because a server's workspace is fixed.

Conformance: the share of generated Python files (those that parse) whose conventions, read from the
file alone by `collect_patterns`, all agree with the workspace's where the file shows them: naming,
class naming, typing, docstrings and their style, logging, own or built-in exceptions. Go files are
tested, not judged on conventions. Both arms get the same temperature (Brainloop's propose phase; its
refine rounds keep their own) and the same completion limit.

Goals: brainloop's pass rate >= direct's + 15 points; conformance >= 95 %; wall time <= 2.5x direct.

The brainloop arm's time is its tool calls (generate_file, and the audit that fetches a refused
answer); they include the server's loading of the embedded model (its first generation does it),
which the direct arm pays once. Server start-up is reported apart.

Seeds: the direct arm samples with seed `--seed` + the task's position in the full list; Brainloop has
no seed setting, so its arm varies from run to run: judge rates over many tasks, not single tasks.

    .venv/bin/python benchmarks/quality.py [--tasks N | --only name,name] [--arm both|brainloop|direct]
        [--seed 0] [--temperature 0.6] [--max-tokens 1024] [--timeout 600] [--json out.json]
        [--provider local [--local-model GGUF] | --provider http --base-url URL --model M]
    .venv/bin/python benchmarks/quality.py --check-references   # the hidden tests on the reference solutions

With `--provider http` the key is read from BRAINLOOP_API_KEY (else CEREBRAS_API_KEY).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import mcp_types as types
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

import brainloop_tui
from brainloop_tui.core.llm import clean_code
from brainloop_tui.core.patterns import collect_patterns
from brainloop_tui.core.patterns.python import python_facts

DATA = Path(__file__).resolve().parent / "quality"
TEMPLATE = DATA / "workspace"
TASK_FILES = {"python": DATA / "tasks_python.toml", "go": DATA / "tasks_go.toml"}
GO_MODULE = "service"  # the workspace's folder holding go.mod
COPY_IGNORED = shutil.ignore_patterns("__pycache__", ".brainloop", ".pytest_cache")
DIRECT_SYSTEM = "Reply with the code only, one fenced block."
# The Python conventions a file is judged on: naming, typing, docstrings, logging, error handling.
COMPARED = ("naming", "class_naming", "typing", "docstrings", "docstring_style", "logging", "error_handling")
OWN_EXCEPTIONS = "own exceptions"  # how the extractor's error_handling value starts, then names the classes
BUILT_IN_EXCEPTIONS = "built-in exceptions"
SESSION_ID = re.compile(r"\bs-[0-9a-f]+\b")
TEST_TIMEOUT_S = 120  # Go's first build in a fresh copy compiles the module: seconds, not minutes
GO_EVERY = 3  # in the run order a Go task follows every three Python tasks, so a short run sees both
GOAL_POINTS, GOAL_CONFORMANCE, GOAL_RATIO = 15.0, 95.0, 2.5
ARMS = ("brainloop", "direct")


@dataclass(frozen=True)
class Task:
    name: str
    language: str  # "python" or "go"
    path: str  # inside the workspace
    prompt: str
    tests: str  # hidden: never in a prompt
    reference: str  # a solution the hidden tests pass on (--check-references)

    @property
    def test_path(self) -> str:
        if self.language == "go":  # a _test.go file in the package of the written file
            return f"{Path(self.path).parent.as_posix()}/hidden_{self.name}_test.go"
        return f"tests/test_hidden_{self.name}.py"


@dataclass
class Outcome:
    code: str | None = None
    seconds: float = 0.0
    passed: bool = False
    refused: bool = False  # generate_file wrote nothing (errors left): scored on its best iteration
    iterations: int | None = None  # brainloop: 1, or more when auto-refine fed errors back
    conforms: bool | None = None  # None: no Python file that parses
    disagreements: list[str] = field(default_factory=list)
    error: str = ""
    test_output: str = ""


@dataclass(frozen=True)
class Run:
    """What both arms share: the model, how it samples, and the limits."""

    provider: str
    base_url: str | None
    model: str | None
    api_key: str | None
    local_model: Path | None
    temperature: float
    max_tokens: int
    timeout: float
    seed: int

    def server_env(self, config_home: Path) -> dict[str, str]:
        # An empty user config folder: the settings are these, whatever the user's own config says.
        env = {"XDG_CONFIG_HOME": str(config_home), "BRAINLOOP_PROVIDER": self.provider,
               "BRAINLOOP_LOG_LEVEL": "WARNING", "BRAINLOOP_TEMPERATURE_PROPOSE": str(self.temperature),
               "BRAINLOOP_MAX_COMPLETION_TOKENS": str(self.max_tokens),
               # the server runs the code this benchmark imports (a copy of the tree, during a long run)
               "PYTHONPATH": str(Path(brainloop_tui.__file__).resolve().parents[1])}
        if self.provider == "http":
            env |= {"BRAINLOOP_BASE_URL": self.base_url or "", "BRAINLOOP_MODEL": self.model or ""}
            if self.api_key:
                env["BRAINLOOP_API_KEY"] = self.api_key
        if self.local_model is not None:
            env["BRAINLOOP_LOCAL_MODEL"] = str(self.local_model)
        return env


def load_tasks(with_go: bool) -> list[Task]:
    """Every task in run order: Python tasks with a Go task after every `GO_EVERY` of them."""
    by_language = {
        language: [Task(language=language, **entry) for entry in tomllib.loads(file.read_text("utf-8"))["task"]]
        for language, file in TASK_FILES.items()
    }
    python, go = by_language["python"], by_language["go"] if with_go else []
    ordered: list[Task] = []
    for index, task in enumerate(python, start=1):
        ordered.append(task)
        if index % GO_EVERY == 0 and go:
            ordered.append(go.pop(0))
    return ordered + go


def fresh_workspace(parent: Path) -> Path:
    return Path(shutil.copytree(TEMPLATE, parent / "workspace", ignore=COPY_IGNORED))


def last_lines(text: str, count: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-count:])


def failure_lines(output: str, count: int = 3) -> str:
    """The first lines of a test run that say what failed: pytest's FAILED/E lines, Go's file.go:N: lines."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    telling = [line for line in lines if line.startswith(("FAILED", "ERROR", "E ")) or ".go:" in line]
    return " | ".join(telling[:count]) if telling else last_lines(output, count)


def run_command(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """(exit code, output); None on a timeout, after the whole process group is killed (go test runs a
    test binary of its own, which a plain kill would leave behind)."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return None, output
    return process.returncode, output


def run_hidden_tests(task: Task, code: str) -> tuple[bool, str]:
    """Pass or fail of the hidden tests on `code` written into a fresh workspace, and the output's end."""
    with tempfile.TemporaryDirectory(prefix="quality-score-") as scratch:
        workspace = fresh_workspace(Path(scratch))
        target = workspace / task.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")
        (workspace / task.test_path).write_text(task.tests, encoding="utf-8")
        if task.language == "go":
            package = Path(task.path).parent.relative_to(GO_MODULE).as_posix()
            command, cwd = ["go", "test", "-count=1", f"./{package}"], workspace / GO_MODULE
            env = os.environ | {"GOPROXY": "off", "GOFLAGS": "-mod=mod"}  # the module has no dependencies
        else:
            command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", task.test_path]
            cwd = workspace
            # Only pytest itself: the venv's plugins (asyncio, snapshots, hypothesis) are Brainloop's, not the task's.
            env = os.environ | {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        code_or_none, output = run_command(command, cwd, env, TEST_TIMEOUT_S)
    if code_or_none is None:
        return False, f"tests timed out after {TEST_TIMEOUT_S} s"
    return code_or_none == 0, failure_lines(output) if code_or_none else last_lines(output, 1)


class Conventions:
    """The workspace's Python conventions, and the check of one generated file against them."""

    def __init__(self, workspace: Path) -> None:
        self.expected = {p.name: p.value for p in collect_patterns(workspace) if p.language == "python"}
        # A file alone cannot tell that the ValidationError it raises is the project's own (it is
        # defined in inventory/errors.py): the workspace's exception classes are known here.
        self.own_exceptions: set[str] = set()
        for path in workspace.rglob("*.py"):
            facts = python_facts(path.relative_to(workspace).as_posix(), path.read_text("utf-8")) or {}
            self.own_exceptions.update(facts.get("module", {}).get("exception_classes", []))

    def check(self, task: Task, code: str | None) -> tuple[bool | None, list[str]]:
        """(conforms, the disagreements); None when there is no Python file that parses to judge.
        A convention the file does not show (no logging at all, say) is no disagreement."""
        facts = python_facts(task.path, code) if task.language == "python" and code else None
        if facts is None:
            return None, []
        with tempfile.TemporaryDirectory(prefix="quality-conventions-") as scratch:
            target = Path(scratch) / task.path
            target.parent.mkdir(parents=True)
            target.write_text(code or "", encoding="utf-8")
            shown = {p.name: p.value for p in collect_patterns(Path(scratch)) if p.language == "python"}
        if "error_handling" in shown:
            shown["error_handling"] = self._error_kind(facts["module"], shown["error_handling"])
        disagreements = [
            f"{name}: {shown[name]!r} (project: {self.expected[name]!r})" for name in COMPARED
            if name in shown and name in self.expected and _kind(name, shown[name]) != _kind(name, self.expected[name])
        ]
        return not disagreements, disagreements

    def _error_kind(self, module: dict[str, Any], alone: str) -> str:
        if "raised" not in module:  # facts of an older extractor: keep what the file alone says
            return alone
        own = self.own_exceptions | set(module.get("exception_classes", []))
        raised = Counter(name in own for name in module["raised"])
        # Ties go to built-in, as in the extractor (its majority breaks ties by name).
        return OWN_EXCEPTIONS if raised[True] > raised[False] else BUILT_IN_EXCEPTIONS


def _kind(name: str, value: str) -> str:
    """What is compared: for error handling, own or built-in exceptions, not which ones."""
    return OWN_EXCEPTIONS if name == "error_handling" and value.startswith(OWN_EXCEPTIONS) else value


def error_text(exc: BaseException) -> str:
    """What went wrong, from inside the exception groups the MCP client's task groups wrap it in."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"


def direct_messages(task: Task) -> list[dict[str, str]]:
    return [{"role": "system", "content": DIRECT_SYSTEM},
            {"role": "user", "content": f"{task.prompt.strip()}\n\nWrite {task.path}."}]


class LocalDirect:
    """The embedded model called directly, on the provider's generation thread (one OpenMP team for the
    whole process: see benchmarks/llm_local.py and core/llm/local.py)."""

    def __init__(self, model_path: Path | None) -> None:
        self.model_path = model_path
        self.llama: Any = None
        self.load_seconds = 0.0

    async def prepare(self) -> None:
        """Load the model (the first time only): outside the arm's time, as a server keeps its model."""
        from brainloop_tui.core.llm.local import load_llama

        if self.llama is None:
            started = time.perf_counter()
            _, self.llama = await asyncio.to_thread(load_llama, self.model_path)
            self.load_seconds = time.perf_counter() - started

    async def complete(self, task: Task, run: Run, seed: int) -> str:
        from brainloop_tui.core.llm.local import generation_thread

        deadline = time.monotonic() + run.timeout
        return await asyncio.wrap_future(generation_thread().submit(self._generate, task, run, seed, deadline))

    def _generate(self, task: Task, run: Run, seed: int, deadline: float) -> str:
        pieces = []
        for chunk in self.llama.create_chat_completion(messages=direct_messages(task), temperature=run.temperature,
                                                       max_tokens=run.max_tokens, seed=seed, stream=True):
            pieces.append(chunk["choices"][0]["delta"].get("content") or "")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer within {run.timeout:.0f} s")
        return "".join(pieces)


class HttpDirect:
    """The endpoint called with one plain POST."""

    load_seconds = 0.0

    async def prepare(self) -> None:
        """Nothing to load."""

    async def complete(self, task: Task, run: Run, seed: int) -> str:
        import httpx

        from brainloop_tui.core.llm.http import _uses_max_tokens  # the provider's own rule for the field

        url = f"{(run.base_url or '').rstrip('/')}/chat/completions"
        body: dict[str, Any] = {"model": run.model, "messages": direct_messages(task), "temperature": run.temperature,
                                "max_completion_tokens": run.max_tokens, "seed": seed, "stream": False}
        if _uses_max_tokens(httpx.URL(url).host):
            body["max_tokens"] = run.max_tokens
        headers = {"Authorization": f"Bearer {run.api_key}"} if run.api_key else {}
        async with httpx.AsyncClient(timeout=run.timeout) as client:
            response = await client.post(url, json=body, headers=headers)
        response.raise_for_status()
        return response.json()["choices"][0]["message"].get("content") or ""


async def run_direct(task: Task, run: Run, seed: int, model: LocalDirect | HttpDirect) -> Outcome:
    outcome = Outcome()
    started = time.perf_counter()
    try:
        await model.prepare()
        started = time.perf_counter()
        outcome.code = clean_code(await model.complete(task, run, seed), task.language)
    except Exception as exc:  # a failed or timed-out call fails the task; the run goes on
        outcome.error = error_text(exc)
    outcome.seconds = time.perf_counter() - started
    return outcome


def text_of(result: types.CallToolResult) -> str:
    return " ".join(part.text for part in result.content if isinstance(part, types.TextContent))


async def call(client: Client, action: str, params: dict[str, Any], timeout: float) -> types.CallToolResult:
    return await client.call_tool("brainloop", {"action": action, "params": params}, read_timeout_seconds=timeout)


async def brainloop_code(client: Client, workspace: Path, task: Task, run: Run, outcome: Outcome) -> None:
    """generate_file; when it wrote nothing because errors were left, the best iteration's code (from
    an audit of the session its message names), so that the arm is judged on code, not on refusals."""
    result = await call(client, "generate_file", {"path": task.path, "prompt": task.prompt}, run.timeout)
    if not result.is_error:
        outcome.code = (workspace / task.path).read_text(encoding="utf-8")
        outcome.iterations = (result.structured_content or {}).get("iteration")
        return
    message = text_of(result)
    session = SESSION_ID.search(message)
    if session is None:  # refused before anything was generated
        outcome.error = message
        return
    audit = await call(client, "loop", {"step": "audit", "session_id": session.group()}, run.timeout)
    audited = {} if audit.is_error else audit.structured_content or {}
    outcome.code, outcome.iterations = audited.get("code"), audited.get("block", {}).get("current_iteration")
    outcome.refused = outcome.code is not None
    if not outcome.refused:
        outcome.error = message


async def run_brainloop(task: Task, run: Run) -> tuple[Outcome, float]:
    """The outcome, and the seconds the server took to start and answer `initialize`."""
    outcome, start_up = Outcome(), 0.0
    with tempfile.TemporaryDirectory(prefix="quality-brainloop-") as scratch:
        workspace = fresh_workspace(Path(scratch))
        config_home = Path(scratch) / "config"
        config_home.mkdir()
        params = StdioServerParameters(command=sys.executable,
                                       args=["-m", "brainloop_tui", "--headless", "--workspace", str(workspace)],
                                       env=run.server_env(config_home), cwd=str(workspace))
        errlog = Path(scratch) / "server.log"
        spawned = time.perf_counter()
        started = None
        try:
            with errlog.open("w", encoding="utf-8") as err:
                async with Client(stdio_client(params, errlog=err), mode="legacy") as client:
                    started = time.perf_counter()
                    start_up = started - spawned
                    await brainloop_code(client, workspace, task, run, outcome)
                    outcome.seconds = time.perf_counter() - started
        except Exception as exc:  # a crash, a timeout, a server that died: the task fails, the run goes on
            outcome.seconds = time.perf_counter() - (started or spawned)
            log = last_lines(errlog.read_text(encoding="utf-8", errors="replace")) if errlog.exists() else ""
            outcome.error = error_text(exc) + (f" (server: {log})" if log else "")
    return outcome, start_up


def score(task: Task, outcome: Outcome, conventions: Conventions) -> None:
    if outcome.code:
        outcome.passed, outcome.test_output = run_hidden_tests(task, outcome.code)
    outcome.conforms, outcome.disagreements = conventions.check(task, outcome.code)


def describe(outcome: Outcome) -> str:
    notes = "".join([" refined" * ((outcome.iterations or 0) > 1), " refused" * outcome.refused,
                     " unconventional" * (outcome.conforms is False), " error" * bool(outcome.error)])
    return f"{'PASS' if outcome.passed else 'fail'} {outcome.seconds:6.1f} s{notes:<24}"


def print_task(task: Task, results: dict[str, Outcome]) -> None:
    cells = "  ".join(f"{arm} {describe(outcome)}" for arm, outcome in results.items())
    print(f"{task.name:<22} {task.language:<6} {cells}".rstrip(), flush=True)
    for arm, outcome in results.items():
        if outcome.error:
            print(f"    {arm}: {outcome.error[:300]}", flush=True)
        if outcome.disagreements:
            print(f"    {arm} conventions: {'; '.join(outcome.disagreements)}", flush=True)


def percent(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


def arm_summary(tasks: list[Task], outcomes: list[Outcome]) -> dict[str, Any]:
    judged = [outcome for outcome in outcomes if outcome.conforms is not None]
    passed = sum(outcome.passed for outcome in outcomes)
    conforming = sum(bool(outcome.conforms) for outcome in judged)
    return {
        "passed": passed, "tasks": len(outcomes), "pass_rate": percent(passed, len(outcomes)),
        "passed_by_language": {
            language: [sum(o.passed for o, t in zip(outcomes, tasks, strict=True) if t.language == language),
                       sum(t.language == language for t in tasks)]
            for language in TASK_FILES},
        "refused": sum(outcome.refused for outcome in outcomes),
        "errors": sum(bool(outcome.error) for outcome in outcomes),
        "conforming": conforming, "judged": len(judged), "conformance": percent(conforming, len(judged)),
        "disagreements": dict(Counter(d.split(":")[0] for outcome in outcomes for d in outcome.disagreements)),
        "seconds": sum(outcome.seconds for outcome in outcomes),
    }


def print_arm(arm: str, numbers: dict[str, Any]) -> None:
    languages = ", ".join(f"{language} {passed}/{count}"
                          for language, (passed, count) in numbers["passed_by_language"].items() if count)
    disagreeing = ", ".join(f"{name} {count}" for name, count in numbers["disagreements"].items())
    print(f"{arm:<9}  passed {numbers['passed']}/{numbers['tasks']} ({numbers['pass_rate']:.1f}%: {languages}); "
          f"{numbers['seconds']:.0f} s; errors {numbers['errors']}"
          + (f"; refused by generate_file {numbers['refused']} (scored on their best iteration)"
             if arm == "brainloop" else ""))
    print(f"{'':<9}  conformance {numbers['conforming']}/{numbers['judged']} Python files "
          f"({numbers['conformance']:.1f}%)" + (f"; disagreeing on {disagreeing}" if disagreeing else ""))


def summarize(tasks: list[Task], results: list[dict[str, Outcome]], start_up: float, load_seconds: float,
              ) -> dict[str, Any]:
    """Print the rates, conformance and time of each arm against the goals; return them for --json."""
    summary: dict[str, Any] = {}
    for arm in (arm for arm in ARMS if results and arm in results[0]):
        summary[arm] = arm_summary(tasks, [result[arm] for result in results])
        print_arm(arm, summary[arm])
    if "brainloop" in summary:
        summary["brainloop"]["server_start_up_seconds"] = start_up
        conformance = summary["brainloop"]["conformance"]
        if summary["brainloop"]["judged"]:
            print(f"conformance of brainloop {conformance:.1f}% ({goal(conformance >= GOAL_CONFORMANCE)}: "
                  f">= {GOAL_CONFORMANCE:.0f}%)")
        print(f"server start-ups (spawn to initialize answered) took {start_up:.1f} s, not counted")
    if len(summary) == len(ARMS):
        ours, theirs = summary["brainloop"], summary["direct"]
        points = ours["pass_rate"] - theirs["pass_rate"]
        ratio = ours["seconds"] / theirs["seconds"] if theirs["seconds"] else float("inf")
        summary |= {"points": points, "time_ratio": ratio}
        print(f"pass rate brainloop - direct = {points:+.1f} points ({goal(points >= GOAL_POINTS)}: "
              f">= +{GOAL_POINTS:.0f})")
        loaded = f"; the direct arm's model loaded once in {load_seconds:.1f} s, not counted" if load_seconds else ""
        print(f"wall time brainloop / direct = {ratio:.2f}x ({goal(ratio <= GOAL_RATIO)}: <= {GOAL_RATIO}x){loaded}")
    return summary


def goal(met: bool) -> str:
    return "goal met" if met else "goal NOT met"


def select(tasks: list[Task], count: int | None, only: str | None) -> list[Task]:
    if only:
        names = [name.strip() for name in only.split(",") if name.strip()]
        unknown = sorted(set(names) - {task.name for task in tasks})
        if unknown:
            sys.exit(f"unknown task(s): {', '.join(unknown)}; known: {', '.join(task.name for task in tasks)}")
        return [task for task in tasks if task.name in names]
    return tasks[:count] if count else tasks


async def benchmark(args: argparse.Namespace, run: Run) -> None:
    has_go = shutil.which("go") is not None
    if not has_go:
        print("go is not installed: the Go tasks are skipped (apt-get install golang-go)")
    everything = load_tasks(with_go=has_go)
    tasks = select(everything, args.tasks, args.only)
    arms = ARMS if args.arm == "both" else (args.arm,)
    conventions = Conventions(TEMPLATE)
    direct_model: LocalDirect | HttpDirect = LocalDirect(run.local_model) if run.provider == "local" else HttpDirect()
    print(f"{len(tasks)} task(s), arms {', '.join(arms)}; provider {run.provider}"
          f"{' ' + str(run.model) if run.provider == 'http' else ''}, temperature {run.temperature}, "
          f"max tokens {run.max_tokens}, seed {run.seed}", flush=True)
    results: list[dict[str, Outcome]] = []
    start_up = 0.0
    for task in tasks:
        position = everything.index(task)  # the seed of a task does not depend on the subset run
        order = arms if position % 2 == 0 else arms[::-1]  # the first arm alternates: drifts of the machine cancel
        result: dict[str, Outcome] = {}
        for arm in order:
            if arm == "brainloop":
                outcome, seconds = await run_brainloop(task, run)
                start_up += seconds
            else:
                outcome = await run_direct(task, run, run.seed + position, direct_model)
            await asyncio.to_thread(score, task, outcome, conventions)
            result[arm] = outcome
        results.append({arm: result[arm] for arm in ARMS if arm in result})
        print_task(task, results[-1])
    print()
    summary = summarize(tasks, results, start_up, direct_model.load_seconds)
    if args.json:
        settings = {key: value for key, value in asdict(run).items() if key != "api_key"}
        Path(args.json).write_text(json.dumps({
            "settings": {**settings, "local_model": str(run.local_model) if run.local_model else None},
            "summary": summary,
            "tasks": [{"name": task.name, "language": task.language, "path": task.path,
                       **{arm: asdict(outcome) for arm, outcome in result.items()}}
                      for task, result in zip(tasks, results, strict=True)],
        }, indent=2), encoding="utf-8")
        print(f"results written to {args.json}")


def check_references(args: argparse.Namespace) -> None:
    """Every hidden test suite on its reference solution: a task whose reference fails is broken."""
    tasks = select(load_tasks(with_go=shutil.which("go") is not None), args.tasks, args.only)
    conventions = Conventions(TEMPLATE)
    broken = 0
    for task in tasks:
        outcome = Outcome(code=task.reference)
        score(task, outcome, conventions)
        broken += not outcome.passed
        conforms = {None: "", True: " conforms", False: " UNCONVENTIONAL"}[outcome.conforms]
        print(f"{task.name:<22} {task.language:<6} {'ok' if outcome.passed else 'BROKEN: ' + outcome.test_output}"
              f"{conforms}{' (' + '; '.join(outcome.disagreements) + ')' if outcome.disagreements else ''}", flush=True)
    print(f"{len(tasks) - broken}/{len(tasks)} references pass their hidden tests")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, help="the first N tasks of the run order")
    parser.add_argument("--only", help="comma-separated task names")
    parser.add_argument("--arm", choices=("both", *ARMS), default="both")
    parser.add_argument("--seed", type=int, default=0, help="the direct arm's sampling seed (plus the task's index)")
    parser.add_argument("--temperature", type=float, default=0.6, help="both arms' (Brainloop's propose) temperature")
    parser.add_argument("--max-tokens", type=int, default=1024, help="both arms' completion limit")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per arm and task")
    parser.add_argument("--provider", choices=("local", "http"), default="local")
    parser.add_argument("--base-url", help="--provider http: the OpenAI-compatible endpoint")
    parser.add_argument("--model", help="--provider http: the model name")
    parser.add_argument("--local-model", type=Path, help="--provider local: a GGUF instead of the bundled model")
    parser.add_argument("--json", help="write the settings, summary and every outcome (with its code) here")
    parser.add_argument("--check-references", action="store_true", help="run the hidden tests on the references")
    args = parser.parse_args()
    if args.check_references:
        check_references(args)
        return
    if args.provider == "http" and not (args.base_url and args.model):
        parser.error("--provider http needs --base-url and --model")
    run = Run(provider=args.provider, base_url=args.base_url, model=args.model,
              api_key=os.environ.get("BRAINLOOP_API_KEY") or os.environ.get("CEREBRAS_API_KEY"),
              local_model=args.local_model, temperature=args.temperature, max_tokens=args.max_tokens,
              timeout=args.timeout, seed=args.seed)
    asyncio.run(benchmark(args, run))


if __name__ == "__main__":
    main()
