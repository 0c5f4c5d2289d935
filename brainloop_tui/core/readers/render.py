"""Small pieces every reader uses to render its compact text: it goes into LLM prompts, so it is bounded."""

from __future__ import annotations

import math
import re

# About 2,000 tokens: a digest is a summary of a file, never a copy of it.
TEXT_MAX_CHARS = 8_000
# explore's map of a folder, unless the caller gives another size
EXPLORE_MAX_TOKENS = 4_000
_OMISSION_RESERVE = 40
CHARS_PER_TOKEN = 4  # the usual rule of thumb for English and code; every token estimate uses it
# Below this a prompt section cannot say anything useful: callers refuse smaller budgets.
MIN_SECTION_TOKENS = 40


def one_line(text: str, limit: int) -> str:
    """Whitespace collapsed to single spaces, cut to `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)] + "…"


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"


def token_estimate(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def token_budget(max_tokens: int) -> TextBudget:
    """Lines whose rendering, closing omission line included, stays within `max_tokens`."""
    return TextBudget(max_tokens * CHARS_PER_TOKEN)


_OMISSION_LINE = re.compile(r"\n… ([\d,]+) more lines? omitted$")


def omitted_lines(text: str) -> int:
    """How many lines a `TextBudget` left out of `text` (its closing line says so), 0 when none."""
    found = _OMISSION_LINE.search(text)
    return int(found.group(1).replace(",", "")) if found else 0


class TextBudget:
    """Lines added until the budget is spent; the rest is counted and said in one last line."""

    def __init__(self, max_chars: int = TEXT_MAX_CHARS) -> None:
        self._lines: list[str] = []
        self._left = max_chars - _OMISSION_RESERVE  # room for the "… N more lines omitted" line
        self._omitted = 0

    def add(self, line: str) -> bool:
        """False once the budget is spent (the line is then only counted)."""
        if self._omitted or len(line) + 1 > self._left:
            self._omitted += 1
            return False
        self._lines.append(line)
        self._left -= len(line) + 1
        return True

    def render(self) -> str:
        lines = list(self._lines)
        if self._omitted:
            lines.append(f"… {plural(self._omitted, 'more line')} omitted")
        return "\n".join(lines)


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size:,} bytes"
    value = size / 1000
    for unit in ("kB", "MB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def split_lines(text: str) -> list[str]:
    """Lines as Python's tokenizer and most editors count them (not `str.splitlines`, which also
    breaks at form feeds and other separators that occur inside real source files)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines
