"""Every check an answer goes through, in order of cost: the language's own check (syntax, SQL in a
rolled-back transaction, naming), static analysis of Python (pyflakes, workspace imports), then the
executing checks, each in a sandboxed copy of the workspace with the candidate in place: the examples
of the prompt and the candidate's doctests, `go vet` of the package, and the project's own
`check_command`. Code that does not even parse goes no further."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from brainloop_tui.core.config import Settings
from brainloop_tui.core.loop.validators import Diagnostic, errors_of, validate
from brainloop_tui.core.patterns.model import Pattern

# Checks that run the code: with one of them, auto-refine gets a second round by default.
EXECUTING = frozenset({"examples", "go vet", "check_command"})
AUTO_REFINE_WITHOUT_EXECUTION = 1
AUTO_REFINE_WITH_EXECUTION = 2


@dataclass
class Review:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # what ran: "python", "pyflakes", "examples", ...

    @property
    def executed(self) -> bool:
        return bool(EXECUTING.intersection(self.checks))

    def score(self) -> tuple[int, int]:
        """Lower is better: errors, then warnings."""
        return (len(errors_of(self.diagnostics)), sum(d.severity == "warning" for d in self.diagnostics))


def auto_refine_rounds(settings: Settings, review: Review) -> int:
    if settings.auto_refine is not None:
        return settings.auto_refine
    return AUTO_REFINE_WITH_EXECUTION if review.executed else AUTO_REFINE_WITHOUT_EXECUTION


async def review(code: str, *, workspace: Path, settings: Settings, path: str, language: str | None, kind: str,
                 prompt: str, patterns: Sequence[Pattern] = (), sql_schema: str = "") -> Review:
    """Check one answer; nothing runs in this process but parsing."""
    found = Review(await asyncio.to_thread(validate, code, path=path, language=language, patterns=patterns,
                                           sql_schema=sql_schema))
    found.checks.append(language or "output")
    if errors_of(found.diagnostics) or kind != "file":
        return found
    timeout = settings.check_timeout
    if language == "python":
        from brainloop_tui.core.loop.examples import check_examples, find_examples
        from brainloop_tui.core.loop.static import check_python_static

        found.diagnostics += await asyncio.to_thread(check_python_static, code, path, workspace)
        found.checks.append("pyflakes")
        if errors_of(found.diagnostics):
            return found  # an undefined name fails every example the same way: say it once
        examples = await asyncio.to_thread(find_examples, prompt, code)
        if examples:
            found.diagnostics += await asyncio.to_thread(check_examples, workspace, path, code, examples,
                                                         timeout_s=timeout)
            found.checks.append("examples")
    elif language == "go":
        from brainloop_tui.core.loop.checks import check_go_package

        found.diagnostics += await asyncio.to_thread(check_go_package, workspace, path, code, timeout_s=timeout)
        if shutil.which("go") is not None:  # else the check said it was skipped
            found.checks.append("go vet")
    if settings.check_command and not errors_of(found.diagnostics):
        from brainloop_tui.core.loop.checks import run_check_command

        outcome = await asyncio.to_thread(run_check_command, workspace, path, code, settings.check_command,
                                          timeout_s=timeout)
        found.diagnostics += outcome.diagnostics
        found.checks.append("check_command")
    return found
