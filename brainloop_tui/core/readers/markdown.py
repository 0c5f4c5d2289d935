"""Markdown reader: one pass over markdown-it-py's tokens (CommonMark with tables)."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from brainloop_tui.core.readers.models import ReaderOutput
from brainloop_tui.core.readers.render import TextBudget, one_line, plural
from brainloop_tui.core.readers.structures import (
    MARKDOWN_MAX_LISTED,
    MarkdownCodeBlock,
    MarkdownImage,
    MarkdownLink,
    MarkdownSection,
    MarkdownStructure,
    MarkdownTable,
)

_PARSER = MarkdownIt("commonmark").enable("table")
_NOT_SLUG = re.compile(r"[^\w\- ]")
_LINE_BREAKS = ("softbreak", "hardbreak")
LinkKind = Literal["anchor", "relative", "external"]


def slugify(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return _NOT_SLUG.sub("", title.strip().lower()).replace(" ", "-")


def inline_text(token: Token) -> str:
    return "".join(child.content for child in token.children or () if child.type in ("text", "code_inline"))


class _Collector:
    """Walks the block tokens once and fills every part of the structure."""

    def __init__(self, path: Path) -> None:
        self.folder = path.parent
        self.sections: list[MarkdownSection] = []
        self.open_sections: list[MarkdownSection] = []
        self.section_count = 0
        self.slug_counts: Counter[str] = Counter()
        self.anchors: set[str] = set()
        self.code_blocks: list[MarkdownCodeBlock] = []
        self.code_block_count = 0
        self.links: list[MarkdownLink] = []
        self.link_count: Counter[LinkKind] = Counter({"anchor": 0, "relative": 0, "external": 0})
        self.images: list[MarkdownImage] = []
        self.image_count = 0
        self.tables: list[MarkdownTable] = []
        self.table_count = 0
        self.files_seen: dict[str, bool] = {}
        self.list_depth = self.list_max_depth = self.list_count = self.list_items = 0

    def collect(self, tokens: list[Token]) -> None:
        table: MarkdownTable | None = None
        in_body = False
        for index, token in enumerate(tokens):
            kind = token.type
            line = token.map[0] + 1 if token.map else 0
            if kind == "heading_open":
                self.heading(int(token.tag[1]), inline_text(tokens[index + 1]), line)
            elif kind in ("fence", "code_block"):
                self.code_block_count += 1
                if len(self.code_blocks) < MARKDOWN_MAX_LISTED:
                    language = token.info.split()[0] if token.info.strip() else None
                    self.code_blocks.append(MarkdownCodeBlock(language=language, line=line, lines=token.content.count("\n")))
            elif kind == "inline":
                self.inline(token, line)
                if table is not None and not in_body and tokens[index - 1].type == "th_open":
                    table.columns.append(token.content.strip())
            elif kind in ("bullet_list_open", "ordered_list_open"):
                self.list_count += 1
                self.list_depth += 1
                self.list_max_depth = max(self.list_max_depth, self.list_depth)
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.list_depth -= 1
            elif kind == "list_item_open":
                self.list_items += 1
            elif kind == "table_open":
                self.table_count += 1
                table, in_body = MarkdownTable(line=line, columns=[], rows=0), False
                if len(self.tables) < MARKDOWN_MAX_LISTED:
                    self.tables.append(table)
            elif kind == "tbody_open":
                in_body = True
            elif kind == "tr_open" and in_body and table is not None:
                table.rows += 1
            elif kind == "table_close":
                table = None

    def heading(self, level: int, title: str, line: int) -> None:
        self.section_count += 1
        slug = slugify(title)
        seen = self.slug_counts[slug]  # GitHub numbers repeated headings: "usage", "usage-1", ...
        self.anchors.add(f"{slug}-{seen}" if seen else slug)
        self.slug_counts[slug] += 1
        if self.section_count > MARKDOWN_MAX_LISTED:
            return
        section = MarkdownSection(level=level, title=title, line=line)
        while self.open_sections and self.open_sections[-1].level >= level:
            self.open_sections.pop()
        (self.open_sections[-1].children if self.open_sections else self.sections).append(section)
        self.open_sections.append(section)

    def inline(self, token: Token, line: int) -> None:
        """Links and images; the line is the block's first line plus the line breaks before them."""
        children = token.children or []
        for position, child in enumerate(children):
            if child.type in _LINE_BREAKS:
                line += 1
            elif child.type == "image":
                self.image_count += 1
                if len(self.images) < MARKDOWN_MAX_LISTED:
                    self.images.append(MarkdownImage(source=str(child.attrGet("src") or ""), alt=child.content, line=line))
            elif child.type == "link_open":
                text = []
                for inner in children[position + 1 :]:
                    if inner.type == "link_close":
                        break
                    text.append(inner.content)
                self.link(str(child.attrGet("href") or ""), "".join(text), line)

    def link(self, target: str, text: str, line: int) -> None:
        parts = urlsplit(target)
        kind: LinkKind = "external" if len(parts.scheme) > 1 or target.startswith("//") else "relative"
        kind = "anchor" if target.startswith("#") else kind
        self.link_count[kind] += 1
        if len(self.links) >= MARKDOWN_MAX_LISTED:
            return
        resolves = None  # anchors are checked at the end; external links never (no network)
        if kind == "relative":
            file_part = unquote(parts.path)
            resolves = None if not file_part or file_part.startswith("/") else self.file_exists(file_part)
        self.links.append(MarkdownLink(target=target, text=text, line=line, kind=kind, resolves=resolves))

    def file_exists(self, relative: str) -> bool:
        if relative not in self.files_seen:
            self.files_seen[relative] = os.path.exists(os.path.join(self.folder, relative))
        return self.files_seen[relative]

    def resolve_anchors(self) -> None:
        """Anchors are checked once every heading is known (a link may point further down)."""
        for link in self.links:
            if link.kind == "anchor":
                link.resolves = unquote(link.target[1:]).lower() in self.anchors


def read_markdown(text: str, path: Path) -> ReaderOutput:
    collector = _Collector(path)
    collector.collect(_PARSER.parse(text))
    collector.resolve_anchors()
    structure = MarkdownStructure(
        title=next((s.title for s in _walk(collector.sections) if s.level == 1), None),
        sections=collector.sections,
        section_count=collector.section_count,
        code_blocks=collector.code_blocks,
        code_block_count=collector.code_block_count,
        links=collector.links,
        link_count=dict(collector.link_count),
        images=collector.images,
        image_count=collector.image_count,
        list_count=collector.list_count,
        list_items=collector.list_items,
        list_max_depth=collector.list_max_depth,
        tables=collector.tables,
        table_count=collector.table_count,
        lines=text.count("\n") + (0 if text.endswith("\n") or not text else 1),
        words=len(text.split()),
    )
    broken = [link for link in structure.links if link.resolves is False]
    return ReaderOutput(
        structure=structure,
        headline=_headline(structure),
        symbols=[section.title for section in _walk(structure.sections) if section.level <= 2][:30],
        text=render(structure),
        warnings=[f"line {link.line}: link {link.target} leads nowhere ({link.kind})" for link in broken[:20]],
    )


def _walk(sections: list[MarkdownSection]):
    for section in sections:
        yield section
        yield from _walk(section.children)


def _headline(structure: MarkdownStructure) -> str:
    title = structure.title or next((s.title for s in _walk(structure.sections)), None)
    counts = f"{plural(structure.section_count, 'section')}, {plural(structure.lines, 'line')}"
    if structure.code_block_count:
        counts += f", {plural(structure.code_block_count, 'code block')}"
    return one_line(f"Markdown: {title} ({counts})" if title else f"Markdown ({counts})", 100)


def render(structure: MarkdownStructure) -> str:
    budget = TextBudget()
    links = structure.link_count
    budget.add(
        f"markdown: {plural(structure.lines, 'line')}, {plural(structure.words, 'word')}, "
        f"{plural(structure.section_count, 'section')}, {plural(structure.code_block_count, 'code block')}, "
        f"{plural(sum(links.values()), 'link')} ({links['anchor']} anchor, {links['relative']} relative, "
        f"{links['external']} external), {plural(structure.image_count, 'image')}, "
        f"{plural(structure.list_count, 'list')} ({plural(structure.list_items, 'item')}, depth {structure.list_max_depth}), "
        f"{plural(structure.table_count, 'table')}"
    )
    if structure.code_blocks:
        languages = Counter(block.language or "plain" for block in structure.code_blocks)
        budget.add("code: " + ", ".join(f"{language} ×{count}" for language, count in languages.most_common()))
    for table in structure.tables[:10]:
        budget.add(f"table L{table.line}: {' | '.join(table.columns)} ({plural(table.rows, 'row')})")
    targets = sorted({link.target for link in structure.links if link.kind != "anchor"})
    if targets:
        budget.add("links: " + one_line(", ".join(targets[:20]), 600))
    listed = 0
    for section in _walk(structure.sections):
        listed += 1
        budget.add(f"{'  ' * (section.level - 1)}{'#' * section.level} {one_line(section.title, 120)} (L{section.line})")
    if structure.section_count > listed:
        budget.add(f"… {plural(structure.section_count - listed, 'more section')} not listed")
    return budget.render()
