"""The patterns as a compact prompt section."""

from __future__ import annotations

from collections.abc import Iterable

from brainloop_tui.core.patterns.model import Language, Pattern
from brainloop_tui.core.patterns.store import PatternError, check_language
from brainloop_tui.core.readers.render import MIN_SECTION_TOKENS, token_budget

PATTERNS_MAX_TOKENS = 400
HEADER = "Conventions of this project (detected from its files; most certain first):"


def render_pattern(pattern: Pattern) -> str:
    return f"- {pattern.language} {pattern.name.replace('_', ' ')}: {pattern.value} ({pattern.confidence:.2f})"


def render_patterns(
    patterns: Iterable[Pattern], language: Language | None = None, max_tokens: int = PATTERNS_MAX_TOKENS
) -> str:
    """At most `max_tokens`, most confident first; empty when there is nothing to say."""
    check_language(language)
    if max_tokens < MIN_SECTION_TOKENS:
        raise PatternError(f"max_tokens {max_tokens} is too small for a patterns section (at least {MIN_SECTION_TOKENS})")
    chosen = [pattern for pattern in patterns if language is None or pattern.language == language]
    if not chosen:
        return ""
    budget = token_budget(max_tokens)
    budget.add(HEADER)
    for pattern in sorted(chosen, key=lambda p: (-p.confidence, p.language, p.name)):
        budget.add(render_pattern(pattern))
    return budget.render()
