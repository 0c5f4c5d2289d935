"""Logging set-up shared by the faces. In MCP mode stdout carries JSON-RPC only, so logs go to stderr
or a file. Every record is scrubbed as it is written, tracebacks included: the values of known secrets
are blanked, and each line is cut at `MAX_LOG_LINE` characters, so that a huge value a client sent
never fills the log."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

_REDACTED = "[redacted]"
MAX_LOG_LINE = 2_000
_secrets: set[str] = set()


def hide_secret(value: str | None) -> None:
    """Never let `value` reach a log line, whoever logs it."""
    if value:
        _secrets.add(value)


class ScrubbingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for value in _secrets:
            text = text.replace(value, _REDACTED)
        return "\n".join(_cut(line) for line in text.split("\n"))


def _cut(line: str) -> str:
    if len(line) <= MAX_LOG_LINE:
        return line
    return f"{line[:MAX_LOG_LINE]}… [{len(line) - MAX_LOG_LINE} characters cut]"


def setup_logging(level: str, log_file: Path | None = None) -> None:
    handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
