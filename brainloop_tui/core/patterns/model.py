"""What a detected convention is, and how evidence turns into one.

Confidence is always a share smoothed by `PRIOR` pseudo-observations, so that one file of evidence
never reads as certainty: `supporting / (total + PRIOR)`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Literal, NamedTuple

from pydantic import BaseModel, Field

Language = Literal["go", "sql", "python"]
LANGUAGES: tuple[Language, ...] = ("go", "python", "sql")
PRIOR = 2
MAX_EVIDENCE_FILES = 5

NOT_USED = "not used"
USED_SOMEWHERE = "used in some files"
USED_MOSTLY = "used in most files"


class SourceText(NamedTuple):
    """One file handed to an extractor: its workspace-relative path and its text."""

    path: str
    text: str


class Evidence(BaseModel):
    counts: dict[str, int] = Field(default_factory=dict, description="what was counted, by observation")
    files: list[str] = Field(default_factory=list, max_length=MAX_EVIDENCE_FILES, description="files supporting the value")


class Pattern(BaseModel):
    language: Language
    name: str
    value: str
    confidence: float = Field(ge=0, le=1)
    evidence: Evidence


def confidence(supporting: int, total: int) -> float:
    return round(supporting / (total + PRIOR), 2)


def naming_style(name: str) -> str | None:
    """snake_case, camelCase, PascalCase or mixed; None when a name says nothing (one word, CONSTANT)."""
    core = name.strip("_")
    if not core or not any(char.isalpha() for char in core) or core.upper() == core:
        return None
    if "_" in core:
        return "snake_case" if core.lower() == core else "mixed"
    if not any(char.isupper() for char in core[1:]):
        return None
    return "PascalCase" if core[0].isupper() else "camelCase"


class Tally:
    """Votes for the values a pattern can take, and the first files behind each value."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._files: dict[str, dict[str, None]] = {}  # value -> files, in the order they were seen

    def add(self, value: str, path: str, count: int = 1) -> None:
        if count <= 0:
            return
        self.counts[value] += count
        files = self._files.setdefault(value, {})
        if len(files) < MAX_EVIDENCE_FILES:
            files[path] = None

    def files(self, value: str) -> list[str]:
        return list(self._files.get(value, {}))

    def ranked(self) -> list[tuple[str, int]]:
        """Values by count, ties broken by name (deterministic)."""
        return sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))

    def majority(self, language: Language, name: str, extra: Mapping[str, int] | None = None) -> Pattern | None:
        """The most voted value; None without a single vote."""
        if not self.counts:
            return None
        value, supporting = self.ranked()[0]
        return Pattern(
            language=language,
            name=name,
            value=value,
            confidence=confidence(supporting, self.counts.total()),
            evidence=Evidence(counts={**self.counts, **(extra or {})}, files=self.files(value)),
        )

    def top(self, language: Language, name: str, *, limit: int, seen: int) -> Pattern | None:
        """The `limit` most voted values as a list; confidence grows with `seen` (the sample size)."""
        if not self.counts:
            return None
        leaders = self.ranked()[:limit]
        return Pattern(
            language=language,
            name=name,
            value=", ".join(value for value, _ in leaders),
            confidence=confidence(seen, seen),
            evidence=Evidence(counts=dict(leaders), files=self.files(leaders[0][0])),
        )


class Usage:
    """How widely a feature is used across the files of a language.

    The value is a plain observation (not used / some files / most files), so its confidence only
    reflects how many files were looked at.
    """

    def __init__(self) -> None:
        self.using = Tally()
        self.seen = 0
        self.files_using = 0

    def observe(self, path: str, uses: int) -> None:
        """Count one file of the language, and how often it uses the feature (0: not at all)."""
        self.seen += 1
        if uses > 0:
            self.files_using += 1
            self.using.add("uses", path, uses)

    def pattern(self, language: Language, name: str, extra: Mapping[str, int] | None = None) -> Pattern | None:
        if not self.seen:
            return None
        if self.files_using == 0:
            value = NOT_USED
        else:
            value = USED_MOSTLY if 2 * self.files_using >= self.seen else USED_SOMEWHERE
        counts = {"files": self.seen, "files_using": self.files_using, "uses": self.using.counts["uses"], **(extra or {})}
        return Pattern(
            language=language,
            name=name,
            value=value,
            confidence=confidence(self.seen, self.seen),
            evidence=Evidence(counts=counts, files=self.using.files("uses")),
        )
