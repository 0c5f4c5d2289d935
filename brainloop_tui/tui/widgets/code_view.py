"""Syntax-highlighted code with line numbers, and the validators' diagnostics beside it."""

from __future__ import annotations

from textual.containers import ScrollableContainer
from textual.content import Content
from textual.highlight import highlight
from textual.widgets import Static

from brainloop_tui.core.loop.validators import Diagnostic
from brainloop_tui.tui.format import SEVERITY_MARKS, diagnostic_line

SEVERITY_STYLES = {"error": "$text-error", "warning": "$text-warning", "info": "$text-primary"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def numbered(code: str, *, path: str, language: str | None, diagnostics: list[Diagnostic]) -> Content:
    """The code highlighted, each line numbered; the number of a line with a diagnostic takes its colour."""
    lines = highlight(code, language=language, path=path).split("\n") if code else [Content("")]
    worst: dict[int, str] = {}
    for diagnostic in sorted(diagnostics, key=lambda d: SEVERITY_ORDER[d.severity], reverse=True):
        if diagnostic.line:
            worst[diagnostic.line] = SEVERITY_STYLES[diagnostic.severity]
    width = len(str(len(lines)))
    numbered_lines = [
        Content.assemble((f"{number:>{width}} ", worst.get(number, "$text-muted")), ("│ ", "$text-muted"), line)
        for number, line in enumerate(lines, start=1)
    ]
    return Content("\n").join(numbered_lines)


class CodeView(ScrollableContainer):
    """Scrolls both ways: long lines are not wrapped (code is read as it is written)."""

    def __init__(self, code: str, *, path: str, language: str | None, diagnostics: list[Diagnostic]) -> None:
        super().__init__(classes="code-view")
        self._content = numbered(code, path=path, language=language, diagnostics=diagnostics)

    def compose(self):
        yield Static(self._content, classes="code")


def diagnostics_summary(diagnostics: list[Diagnostic]) -> Content:
    """E.g. "✖ 1 error, 2 warnings", coloured by the worst."""
    counts = {severity: sum(d.severity == severity for d in diagnostics) for severity in SEVERITY_ORDER}
    worst = next(severity for severity, count in counts.items() if count)
    text = ", ".join(f"{count} {severity}{'s' * (count != 1)}" for severity, count in counts.items() if count)
    return Content.styled(f"{SEVERITY_MARKS[worst]} {text}", SEVERITY_STYLES[worst])


def diagnostics_content(diagnostics: list[Diagnostic]) -> Content:
    ordered = sorted(diagnostics, key=lambda d: (SEVERITY_ORDER[d.severity], d.line or 0))
    return Content("\n").join(Content.styled(diagnostic_line(d), SEVERITY_STYLES[d.severity]) for d in ordered)
