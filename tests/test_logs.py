"""The log a face writes: secrets blanked, and no line longer than MAX_LOG_LINE whatever a client sent."""

from __future__ import annotations

import logging
from pathlib import Path

from brainloop_tui.core.logs import MAX_LOG_LINE, hide_secret, setup_logging


def test_long_values_are_cut_and_secrets_blanked_in_messages_and_tracebacks(tmp_path: Path) -> None:
    log_file = tmp_path / "brainloop.log"
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging("INFO", log_file)
        hide_secret("csk-secret-value")
        log = logging.getLogger("test")
        log.info("a path of %s", "p" * 10_000_000)
        try:
            raise OSError(36, "File name too long", "q" * 100_000 + "csk-secret-value")
        except OSError:
            log.exception("a read failed for csk-secret-value")
        for handler in root.handlers:
            handler.close()
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    text = log_file.read_text(encoding="utf-8")
    assert "csk-secret-value" not in text and "[redacted]" in text
    assert "characters cut]" in text and "Traceback" in text
    assert max(len(line) for line in text.splitlines()) <= MAX_LOG_LINE + 40
    assert len(text) < 20_000
