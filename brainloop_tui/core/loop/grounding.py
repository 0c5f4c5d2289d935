"""What a prompt is grounded in, and why: the project's conventions, the registered schemas and
contracts, and the digests of the files the target relates to (its imports, its importers and tests,
its package, the files the prompt names), ranked and cut to the prompt budget. Each iteration records
its `Grounding`, so a reviewer sees what the model was shown."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from pydantic import BaseModel, Field

from brainloop_tui.core import readers
from brainloop_tui.core.db import Store
from brainloop_tui.core.loop.related import FileImports, Related, go_module_of, related_files
from brainloop_tui.core.readers.render import token_estimate
from brainloop_tui.core.workspace import PathError, resolve_in_workspace

# A path-like word of the prompt (`docs/api.md`, `config.yaml`): files no import graph knows of.
_MENTIONED_PATH = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w-]+\.[A-Za-z0-9]{1,8})(?![\w/])")
MAX_CANDIDATE_FILES = 12
GIVEN = "given as context"
NAMED = "named in the prompt"


class GroundingFile(BaseModel):
    path: str
    reason: str
    tokens: int


class Grounding(BaseModel):
    """What one iteration's prompt carried."""

    conventions: list[str] = Field(default_factory=list, description="the instructions sent, most certain first")
    conventions_state: str = "none"  # "current", or why the stored set was used
    exemplar: str | None = Field(default=None, description="'path: function' shown whole as the project's style")
    registered_tokens: int = 0  # registered schemas and contracts
    files: list[GroundingFile] = Field(default_factory=list, description="context digests sent, in rank order")
    left_out: list[GroundingFile] = Field(default_factory=list, description="related files over the budget")
    checks: list[str] = Field(default_factory=list, description="the checks the answer went through")

    @property
    def recorded(self) -> bool:
        """False for iterations from before grounding was recorded (and hand-made ones)."""
        return bool(self.conventions or self.exemplar or self.files or self.left_out or self.checks or self.registered_tokens
                    or self.conventions_state != "none")

    def summary(self) -> str:
        """One line for people: 'conventions 6 (current) · 3 files · 1 left out · checks: python, pyflakes'."""
        parts = [f"conventions {len(self.conventions)} ({self.conventions_state})"]
        if self.exemplar:
            parts.append(f"example from {self.exemplar.partition(': ')[0]}")
        if self.registered_tokens:
            parts.append(f"registered sources {self.registered_tokens} tokens")
        parts.append(f"{len(self.files)} context file(s)")
        if self.left_out:
            parts.append(f"{len(self.left_out)} left out (budget)")
        if self.checks:
            parts.append("checks: " + ", ".join(self.checks))
        return " · ".join(parts)

    def lines(self) -> list[str]:
        """Every item, one per line (the block viewer and the Markdown export show these)."""
        found = [self.summary()]
        found += [f"convention: {text}" for text in self.conventions]
        found += [f"example of the style: {self.exemplar}"] if self.exemplar else []
        found += [f"context: {f.path} ({f.reason}, {f.tokens} tokens)" for f in self.files]
        found += [f"left out: {f.path} ({f.reason}, {f.tokens} tokens)" for f in self.left_out]
        return found


async def _go_module(store: Store) -> str | None:
    go_mod = store.workspace / "go.mod"
    try:
        text = await asyncio.to_thread(go_mod.read_text, encoding="utf-8", errors="replace")
    except OSError:
        return None
    return go_module_of(text)


def _mentioned(prompt: str, target: str) -> list[str]:
    return [m for m in dict.fromkeys(_MENTIONED_PATH.findall(prompt)) if m != target]


async def candidates(store: Store, target: str, prompt: str, given: Sequence[str],
                     index: dict[str, tuple[str, list[str]]]) -> list[Related]:
    """The files worth showing for `target`, most relevant first: those given as context, then the
    import graph, the package and the names (see `related_files`), then other files the prompt names."""
    files = {path: FileImports(language, tuple(imports)) for path, (language, imports) in index.items()}
    known = index.get(target)
    related = related_files(target, prompt, files, go_module=await _go_module(store),
                            target_imports=known[1] if known else None, limit=MAX_CANDIDATE_FILES)
    chosen = [Related(path, GIVEN, -1) for path in given if path != target]
    chosen += related
    chosen += [Related(path, NAMED, 0) for path in _mentioned(prompt, target) if path not in files]
    unique: dict[str, Related] = {}
    for item in chosen:
        unique.setdefault(item.path, item)
    return list(unique.values())[:MAX_CANDIDATE_FILES]


async def context_digests(store: Store, related: Sequence[Related], budget_tokens: int,
                          grounding: Grounding) -> list[str]:
    """The digests of `related` that fit in `budget_tokens`, in order; what is left out is recorded."""
    digests = []
    used = 0
    for item in related:
        try:
            resolve_in_workspace(store.workspace, item.path)
            digest = await readers.read_digest(store, item.path)
        except (readers.ReaderError, PathError):
            continue  # a word that looked like a file name, or a file no reader knows
        text = f"{digest.path} ({item.reason})\n{digest.text}"
        cost = token_estimate(text)
        entry = GroundingFile(path=digest.path, reason=item.reason, tokens=cost)
        if used + cost > budget_tokens:
            grounding.left_out.append(entry)
            continue
        used += cost
        digests.append(text)
        grounding.files.append(entry)
    return digests
