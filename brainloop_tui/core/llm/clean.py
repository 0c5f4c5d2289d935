"""Answer cleaning: the code out of a model's answer, without the Markdown fences and the chatter.

Fences are found by markdown-it (CommonMark: backtick and tilde fences, longer outer fences around
inner ones, fences indented in lists or quotes). Language tags are compared through pygments'
aliases, so `py`, `python3` and `Python` are one language.
"""

from __future__ import annotations

import re
from functools import lru_cache

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_BARE_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*$")
_ANY_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_MARKDOWN = "markdown"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # imported on first use: it costs ~0.1 s at start-up

    # Raw HTML blocks are off: an answer opening with "<pre>" or "<!--" would otherwise swallow its fences.
    return MarkdownIt("commonmark").disable("html_block")


@lru_cache(maxsize=256)
def canonical_language(tag: str) -> str:
    """One name per language: "py", "python3", "Python" -> "python"; every SQL dialect -> "sql"."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    tag = tag.strip().strip("{}.").lower()
    try:
        name = get_lexer_by_name(tag).name.lower()
    except ClassNotFound:
        name = tag
    # Models tag SQL with whatever dialect they think of; for choosing a block they are all SQL.
    return "sql" if "sql" in name or tag.startswith("sqlite") else name


def _tag(fence: Token) -> str:
    words = fence.info.split()
    return canonical_language(words[0]) if words else ""


def _tidy(code: str) -> str:
    """Without the blank lines around it (indentation kept), ending in one newline; "" if empty."""
    lines = code.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def _markdown_content(fence: Token, lines: list[str]) -> str:
    """A Markdown block whose inner fences have the same length as its own (the usual model error:
    ```markdown ... ```python ... ``` ... ```) is cut short by CommonMark at its first inner bare fence;
    the block really ends at the last bare fence of the answer."""
    inner = fence.content.split("\n")
    if sum(1 for line in inner if _ANY_FENCE.match(line)) % 2 == 0:
        return fence.content
    start = fence.map[0] if fence.map else 0
    for end in range(len(lines) - 1, start, -1):
        match = _BARE_FENCE.match(lines[end])
        if match and match.group(2)[0] == fence.markup[0] and len(match.group(2)) >= len(fence.markup):
            indent = len(lines[start]) - len(lines[start].lstrip(" "))
            return "\n".join(_dedent(line, indent) for line in lines[start + 1 : end])
    return fence.content


def _dedent(line: str, spaces: int) -> str:
    removable = len(line) - len(line.lstrip(" "))
    return line[min(spaces, removable) :]


def clean_code(answer: str, language: str | None = None) -> str:
    """The code of a model's answer.

    Fenced blocks: the content of the one tagged with `language` (the longest if several are), else
    the longest block; text around the blocks is dropped. No fence: the whole answer. Either way the
    result has CRLF turned into LF, no blank lines around it, and one final newline ("" when empty).
    """
    text = answer.replace("\r\n", "\n").replace("\r", "\n")
    fences = [token for token in _parser().parse(text) if token.type == "fence"]
    if not fences:
        return _tidy(text)
    wanted = canonical_language(language) if language else None
    matching = [fence for fence in fences if wanted and _tag(fence) == wanted]
    chosen = max(matching or fences, key=lambda fence: len(fence.content))
    content = chosen.content
    if _tag(chosen) == _MARKDOWN:
        content = _markdown_content(chosen, text.split("\n"))
    return _tidy(content)
