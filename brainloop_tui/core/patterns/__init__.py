"""Conventions of the user's project (Go, SQL, Python), extracted from its files and injected into
every generation prompt (SPEC §4)."""

from brainloop_tui.core.patterns.extract import MAX_PATTERN_FILES, collect_patterns
from brainloop_tui.core.patterns.model import LANGUAGES, Evidence, Language, Pattern
from brainloop_tui.core.patterns.render import PATTERNS_MAX_TOKENS, render_patterns
from brainloop_tui.core.patterns.store import PatternError, extract_patterns, load_patterns, save_patterns

__all__ = [
    "LANGUAGES",
    "MAX_PATTERN_FILES",
    "PATTERNS_MAX_TOKENS",
    "Evidence",
    "Language",
    "Pattern",
    "PatternError",
    "collect_patterns",
    "extract_patterns",
    "load_patterns",
    "render_patterns",
    "save_patterns",
]
