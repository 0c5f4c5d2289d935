"""Conventions of the user's project (Go, SQL, Python), extracted from its files and injected into
every generation prompt (SPEC §4). The extractors are imported on first use (`brainloop_tui.core.lazy`)."""

from brainloop_tui.core.lazy import lazy_exports

_EXPORTS = {
    "MAX_PATTERN_FILES": ".extract",
    "collect_patterns": ".extract",
    **dict.fromkeys(("LANGUAGES", "Evidence", "Language", "Pattern"), ".model"),
    **dict.fromkeys(("PATTERNS_MAX_TOKENS", "render_patterns"), ".render"),
    **dict.fromkeys(("PatternError", "Refresh", "extract_patterns", "import_index", "load_patterns", "save_patterns"),
                    ".store"),
    **dict.fromkeys(("Conventions", "CurrentConventions"), ".keeper"),
    "chosen_patterns": ".render",
    "instruction": ".render",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
