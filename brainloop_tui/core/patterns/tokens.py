"""Pygments tokens with comments and layout removed: what the Go and SQL extractors read, so that a
word inside a comment or a string never counts as code."""

from __future__ import annotations

from typing import NamedTuple

from pygments.lexer import Lexer
from pygments.token import Comment, String, Text, _TokenType


class Tok(NamedTuple):
    kind: _TokenType
    text: str

    def is_string(self) -> bool:
        return self.kind in String


NEWLINE = Tok(Text, "\n")


def code_tokens(lexer: Lexer, text: str, *, keep_newlines: bool = False) -> list[Tok]:
    """Every token but comments and whitespace; with `keep_newlines`, one NEWLINE per line break
    (Go ends statements at line breaks)."""
    tokens: list[Tok] = []
    for kind, value in lexer.get_tokens(text):
        if kind in Comment or not value.strip():
            if keep_newlines and "\n" in value and (not tokens or tokens[-1] is not NEWLINE):
                tokens.append(NEWLINE)
            continue
        tokens.append(Tok(kind, value))
    return tokens
