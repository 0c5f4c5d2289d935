"""Checks that build or test the candidate with the project's own tools, in the sandbox with the candidate in
place of its target: the project's `check_command` (say `pytest -q -x {tests}` or `go test ./{package}`) and,
for Go, `go vet` of the target's package. Their failures become diagnostics that auto-refine feeds back."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from pydantic import BaseModel

from brainloop_tui.core.loop.sandbox import SandboxResult, run_sandboxed
from brainloop_tui.core.loop.testfiles import tests_for
from brainloop_tui.core.loop.validators import Diagnostic

CHECK_OUTPUT_LIMIT = 200_000  # bytes of each stream kept (its first and last halves): the verdict is at the end
MESSAGE_LINES = 20  # lines of a failure's output a diagnostic carries
MESSAGE_LIMIT = 2_000  # characters
PYTEST_NO_TESTS_COLLECTED = 5
# A project's tools need more than generated code run alone: the Go toolchain maps far more address space than
# it uses (it does not start below 1 GB), and each of its processes runs a thread per core, which the process
# bound counts.
CHECK_MEMORY_MB = 4096
CHECK_MAX_PROCESSES = 512
# No colour codes in output parsed as text; Go never reaches the network (nor downloads a toolchain).
CHECK_ENVIRONMENT = {"NO_COLOR": "1", "TERM": "dumb"}
GO_ENVIRONMENT = {**CHECK_ENVIRONMENT, "GOPROXY": "off", "GOTOOLCHAIN": "local", "GOTELEMETRY": "off"}

# A command that succeeded without running a test, unless something else in its output shows tests ran
# (a `go test ./...` whose other packages have tests).
_RAN_NOTHING = re.compile(r"no tests ran|\[no test files\]|no test files|collected 0 items|\bRan 0 tests\b"
                          r"|(?<![\d.])0 tests\b|Tests:\s+0 total", re.IGNORECASE)
_RAN_SOMETHING = re.compile(r"\b[1-9]\d* (?:passed|tests? passed)\b|^ok\s|^PASS\b|\bRan [1-9]\d* tests?\b"
                            r"|Tests:\s+[1-9]", re.MULTILINE)
_PYTEST_SUMMARY_HEADER = re.compile(r"^=+ short test summary info =+$")
# pytest's last line, framed by '=' or (with -q) bare: "1 failed, 2 passed in 0.12s", "no tests ran in 0.01s".
_PYTEST_FINAL_LINE = re.compile(r"^=*\s*((?:\d+ \w+(?:, )?)+ in [\d.]+s\b.*?|no tests ran in [\d.]+s\b.*?)\s*=*$")
_PYTEST_LOCATION = re.compile(r"^\S+\.py:\d+: \S")
_GO_POSITION = re.compile(r"^(?:vet: )?(?P<file>[^\s:]+\.go):(?P<line>\d+)(?::(?P<column>\d+))?: (?P<message>.+)$")
_GO_OFFLINE = re.compile(r"module lookup disabled by GOPROXY=off|missing go\.sum entry|cannot find module providing")


class CheckOutcome(BaseModel):
    diagnostics: list[Diagnostic]
    summary: str  # one line: "passed", "ran no test", "failed: 1 failed, 3 passed", "timed out after 60 s"…


def module_name(workspace: Path, target: str) -> str:
    """The dotted module name of a Python target, as imported from the folder above its top package:
    `src/app/units.py` is `app.units` when src/app has an __init__.py, `units` for a file outside packages."""
    path = PurePosixPath(target)
    parts = [*path.parent.parts, path.stem] if path.stem != "__init__" else list(path.parent.parts)
    top = len(parts) - 1
    while top > 0 and (workspace.joinpath(*parts[:top]) / "__init__.py").is_file():
        top -= 1
    return ".".join(parts[top:])


def command_argv(workspace: Path, target: str, command: str) -> list[str]:
    """`command` split as a shell would (no shell runs it) with its placeholders filled in: {target} the
    target's path, {tests} its test files (see `testfiles.tests_for`), {package} its folder ("." at the
    root), {module} its dotted module name. A word that is just {tests} becomes one word per test file.
    Without a test file, {tests} is the target itself: pytest given a file runs only the tests in it (none,
    so "ran no test" is what it says), where the conventional tests folder could run the whole suite."""
    words = shlex.split(command)
    tests = tests_for(workspace, target) if any("{tests}" in word for word in words) else []
    tests = tests or [target]
    values = {"{target}": target, "{package}": str(PurePosixPath(target).parent), "{module}": module_name(
        workspace, target), "{tests}": " ".join(tests)}
    argv: list[str] = []
    for word in words:
        if word == "{tests}":
            argv.extend(tests)
            continue
        for placeholder, value in values.items():
            word = word.replace(placeholder, value)
        argv.append(word)
    return argv


def _target_position(output: str, target: str) -> tuple[int | None, int | None]:
    """The first line (and column) of the target that the output names: `pkg/x.py:42`, `File ".../pkg/x.py",
    line 42`, `pkg/x.go:12:5`, relative or absolute."""
    escaped = re.escape(target)
    found = re.search(rf'(?:^|[\s/"\'(]){escaped}(?::(\d+)(?::(\d+))?|", line (\d+))', output, re.MULTILINE)
    if not found:
        return None, None
    line = found.group(1) or found.group(3)
    return int(line), int(found.group(2)) if found.group(2) else None


def _pytest_excerpt(lines: Sequence[str]) -> list[str] | None:
    """The useful part of a pytest run: its short summary lines, then the first error lines (`E   …`) and
    locations (`pkg/x.py:42: ValueError`) of the failures; None when the output is not pytest's."""
    header = next((index for index, line in enumerate(lines) if _PYTEST_SUMMARY_HEADER.match(line)), None)
    if header is None:
        return None
    summary = [line for line in lines[header + 1:] if line.startswith(("FAILED", "ERROR"))][:MESSAGE_LINES // 2]
    details = [line.rstrip() for line in lines[:header] if line.startswith("E  ") or _PYTEST_LOCATION.match(line)]
    return [*summary, *details[:MESSAGE_LINES - len(summary)]]


def _excerpt(result: SandboxResult) -> str:
    lines = (result.stdout + "\n" + result.stderr).splitlines()
    useful = _pytest_excerpt(lines)
    if useful is None:
        useful = [line for line in lines if line.strip()][-MESSAGE_LINES:]
    text = "\n".join(useful).strip() or "no output"
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT - 1] + "…"


def _pytest_verdict(output: str) -> str | None:
    for line in reversed(output.splitlines()):
        found = _PYTEST_FINAL_LINE.match(line.strip())
        if found:
            return found.group(1).strip()
    return None


def _error(message: str, source: str = "check", line: int | None = None, column: int | None = None) -> Diagnostic:
    return Diagnostic(severity="error", source=source, message=message, line=line, column=column)


def run_check_command(workspace: Path, target: str, code: str, command: str, *, timeout_s: float) -> CheckOutcome:
    """Run the project's `check_command` (placeholders as `command_argv` says) in the sandbox with `code` in
    place of `target`. Passing is no diagnostic; passing without running a test is a warning; a failure, a
    timeout or a command that cannot start is an error (source "check") with the useful part of the output
    and the target's line when the output names one."""
    try:
        argv = command_argv(workspace, target, command)
    except ValueError as exc:  # shlex: an unclosed quote
        return CheckOutcome(diagnostics=[_error(f"check_command {command!r} cannot be split into words: {exc}")],
                            summary="cannot start")
    if not argv:
        return CheckOutcome(diagnostics=[_error("check_command is empty")], summary="cannot start")
    result = run_sandboxed(workspace, {target: code}, argv, timeout_s=timeout_s, memory_mb=CHECK_MEMORY_MB,
                           max_processes=CHECK_MAX_PROCESSES, output_limit=CHECK_OUTPUT_LIMIT, env=CHECK_ENVIRONMENT)
    output = result.stdout + "\n" + result.stderr
    if result.error:
        return CheckOutcome(diagnostics=[_error(f"check_command {shlex.join(argv)!r}: {result.error}")],
                            summary="cannot start")
    if result.timed_out:
        return CheckOutcome(diagnostics=[_error(f"check_command timed out after {timeout_s:g} s")],
                            summary=f"timed out after {timeout_s:g} s")
    verdict = _pytest_verdict(output)
    ran_nothing = result.returncode == PYTEST_NO_TESTS_COLLECTED and verdict is not None or (
        result.returncode == 0 and _RAN_NOTHING.search(output) is not None and not _RAN_SOMETHING.search(output))
    if ran_nothing:
        return CheckOutcome(diagnostics=[Diagnostic(severity="warning", source="check",
                                                    message="the check ran no test")], summary="ran no test")
    if result.returncode == 0:
        return CheckOutcome(diagnostics=[], summary=f"passed: {verdict}" if verdict else "passed")
    line, column = _target_position(output, target)
    ended = f"exit code {result.returncode}" if result.returncode >= 0 else f"killed by signal {-result.returncode}"
    message = f"check_command failed ({ended}):\n{_excerpt(result)}"
    return CheckOutcome(diagnostics=[_error(message, line=line, column=column)],
                        summary=f"failed: {verdict}" if verdict else f"failed ({ended})")


def _go_module_root(workspace: Path, target: str) -> PurePosixPath | None:
    """The workspace-relative folder of the go.mod nearest above the target, None when there is none."""
    folder = PurePosixPath(target).parent
    while True:
        if (workspace / folder / "go.mod").is_file():
            return folder
        if folder == PurePosixPath("."):
            return None
        folder = folder.parent


def _go_module_cache() -> str | None:
    """The user's Go module cache, which the sandbox reads (never writes): there the dependencies are,
    since the sandbox downloads nothing."""
    configured = os.environ.get("GOMODCACHE") or os.path.join(
        os.environ.get("GOPATH", "").split(os.pathsep)[0] or os.path.join(os.path.expanduser("~"), "go"), "pkg", "mod")
    return configured if os.path.isdir(configured) else None


def check_go_package(workspace: Path, target: str, code: str, *, timeout_s: float) -> list[Diagnostic]:
    """`go vet` (which builds it) of the target's package in the sandbox with `code` in place of `target`:
    each `file.go:line:col: message` of the target is an error diagnostic (source "go"); a failure that names
    only other files is one error with the output. Offline: missing dependencies are a warning. An `info`
    diagnostic when go is not installed."""
    go = shutil.which("go")
    if go is None:
        return [Diagnostic(severity="info", source="go", message="skipped: go is not installed")]
    target_path = PurePosixPath(target)
    module_root = _go_module_root(workspace, target)
    if module_root is None:  # no module: vet the folder's files as one package
        cwd = target_path.parent
        files = {path.name for path in (workspace / cwd).glob("*.go") if not path.name.endswith("_test.go")}
        packages = sorted(files | {target_path.name})
    else:
        cwd = module_root
        packages = ["./" + str(target_path.parent.relative_to(module_root))]
    environment = dict(GO_ENVIRONMENT)
    cache = _go_module_cache()
    if cache:
        environment["GOMODCACHE"] = cache
    result = run_sandboxed(workspace, {target: code}, [go, "vet", *packages], cwd=str(cwd), timeout_s=timeout_s,
                           memory_mb=CHECK_MEMORY_MB, max_processes=CHECK_MAX_PROCESSES,
                           output_limit=CHECK_OUTPUT_LIMIT, env=environment)
    if result.error:
        return [_error(f"go vet: {result.error}", source="go")]
    if result.timed_out:
        return [_error(f"go vet timed out after {timeout_s:g} s", source="go")]
    diagnostics = []
    for line in (result.stdout + "\n" + result.stderr).splitlines():
        found = _GO_POSITION.match(line.strip())
        if found and (cwd / found.group("file").removeprefix("./")).as_posix() == target_path.as_posix():
            diagnostics.append(_error(found.group("message"), source="go", line=int(found.group("line")),
                                      column=int(found.group("column")) if found.group("column") else None))
    if diagnostics or result.returncode == 0:
        return diagnostics
    offline = next((line.strip() for line in result.stderr.splitlines() if _GO_OFFLINE.search(line)), None)
    if offline:
        return [Diagnostic(severity="warning", source="go",
                           message=f"go vet could not load the package's dependencies offline: {offline}")]
    return [_error(f"go vet failed (exit code {result.returncode}):\n{_excerpt(result)}", source="go")]
