"""The messages sent for each phase: an output contract, the project's conventions, what is known of
the target and the context files, and for refine the previous iteration plus the feedback."""

from __future__ import annotations

from pydantic import BaseModel

from brainloop_tui.core.llm import ChatMessage
from brainloop_tui.core.readers.render import CHARS_PER_TOKEN


class PromptContext(BaseModel):
    """What the prompt is grounded in, gathered by the engine."""

    path: str
    language: str | None
    kind: str  # file or sql
    patterns: str = ""  # rendered conventions section
    registered: str = ""  # registered schemas and contracts
    target_content: str | None = None  # the file as it is on disk now
    target_schema: str = ""  # for SQL: the DDL of the target database
    context_digests: list[str] = []  # compact digests of context files, most relevant first, within budget
    exemplar: str = ""  # one function of the project, whole, with the imports and names it uses
    exemplar_path: str = ""  # the file it comes from


FINAL_REVIEW = (
    "Final review before this is written to disk: fix any bug, unfinished part or convention the project "
    "breaks, change nothing else."
)


def _fence_language(context: PromptContext) -> str:
    return context.language or ("sql" if context.kind == "sql" else "")


def system_prompt(context: PromptContext) -> str:
    what = (
        f"a SQLite SQL script to run against {context.path}" if context.kind == "sql"
        else f"the complete content of the file {context.path}" + (f" ({context.language})" if context.language else "")
    )
    parts = [
        f"You write {what} for the user's project.",
        f"Answer with exactly one fenced code block (```{_fence_language(context)}) holding the whole "
        "result, and nothing before or after it: no explanation, no second block.",
    ]
    if context.kind == "sql":
        parts.append("Do not write BEGIN or COMMIT: the script runs inside one transaction.")
    for title, body in (
        ("Registered schemas and contracts", context.registered),
        ("Schema of the target database", context.target_schema),
    ):
        if body.strip():
            parts.append(f"## {title}\n{body.strip()}")
    # Already cut to the budget, and recorded, by the grounding (core/loop/grounding.py).
    parts += [f"## Context file\n{digest.strip()}" for digest in context.context_digests]
    return "\n\n".join(parts)


def _conventions(context: PromptContext) -> str:
    # Next to the task, not in the system message: small models follow what they read last.
    parts = []
    if context.exemplar:
        parts.append(f"## How this project writes code (from {context.exemplar_path}: write like this, do not "
                     f"copy it)\n```{_fence_language(context)}\n{context.exemplar.strip()}\n```")
    if body := context.patterns.strip():
        parts.append(f"## Conventions of this project (follow them)\n{body}")
    return "".join(f"\n\n{part}" for part in parts)


def _task(prompt: str, context: PromptContext, budget_tokens: int) -> str:
    if context.target_content is None:
        return f"{prompt.strip()}{_conventions(context)}\n\nWrite {context.path}."
    content = context.target_content
    limit = budget_tokens * CHARS_PER_TOKEN
    if len(content) > limit:
        content = content[:limit] + "\n… (cut: the file is longer)"
    fence = _fence_language(context)
    return (f"{prompt.strip()}\n\n{context.path} exists; its current content:\n```{fence}\n{content}\n```"
            f"{_conventions(context)}\n\nReturn the complete new content of {context.path}.")


def propose_messages(prompt: str, context: PromptContext, budget_tokens: int) -> list[ChatMessage]:
    return [
        ChatMessage(role="system", content=system_prompt(context)),
        ChatMessage(role="user", content=_task(prompt, context, budget_tokens // 2)),
    ]


def refine_messages(prompt: str, context: PromptContext, previous_code: str, feedback: str,
                    budget_tokens: int) -> list[ChatMessage]:
    fence = _fence_language(context)
    return [
        *propose_messages(prompt, context, budget_tokens),
        ChatMessage(role="assistant", content=f"```{fence}\n{previous_code}\n```"),
        ChatMessage(role="user", content=f"{feedback.strip()}\n\nReturn the complete revised result."),
    ]
