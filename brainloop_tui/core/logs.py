"""Logging set-up shared by the faces. In MCP mode stdout carries JSON-RPC only, so logs go to stderr
or a file; every record passes a filter that blanks the values of known secrets."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

_REDACTED = "[redacted]"


class SecretRedactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.values: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.values:
            message = record.getMessage()
            for value in self.values:
                message = message.replace(value, _REDACTED)
            record.msg, record.args = message, None
        return True


redactor = SecretRedactor()


def hide_secret(value: str | None) -> None:
    """Never let `value` reach a log line, whoever logs it."""
    if value:
        redactor.values.add(value)


def setup_logging(level: str, log_file: Path | None = None) -> None:
    handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redactor)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
