"""Markdown reader: sections, code blocks, links, images, lists, tables, counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from reader_fixtures import MARKDOWN

from brainloop_tui.core.readers import MarkdownStructure, build_digest
from brainloop_tui.core.readers.structures import MARKDOWN_MAX_LISTED


@pytest.fixture
def guide(workspace: Path) -> Path:
    (workspace / "SPEC.md").write_text("# Spec\n", encoding="utf-8")
    path = workspace / "guide.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    return path


def structure_of(path: Path) -> MarkdownStructure:
    structure = build_digest(path, path.name).structure
    assert isinstance(structure, MarkdownStructure)
    return structure


def test_section_tree_with_line_numbers(guide: Path) -> None:
    structure = structure_of(guide)
    assert structure.title == "Brainloop guide" and structure.section_count == 5
    (top,) = structure.sections
    assert (top.level, top.title, top.line) == (1, "Brainloop guide", 1)
    assert [(s.title, s.line) for s in top.children] == [("Install", 6), ("Usage", 22), ("Usage", 40)]
    install = top.children[0]
    assert [(s.level, s.title, s.line) for s in install.children] == [(3, "From source", 12)]


def test_code_blocks_with_language_and_length(guide: Path) -> None:
    blocks = [(b.language, b.line, b.lines) for b in structure_of(guide).code_blocks]
    assert blocks == [("bash", 8, 1), (None, 14, 1), ("python", 31, 2), (None, 36, 1)]


def test_links_are_classified_and_checked(guide: Path) -> None:
    links = {link.text: link for link in structure_of(guide).links}
    assert (links["the spec"].kind, links["the spec"].resolves, links["the spec"].line) == ("relative", True, 3)
    assert (links["install notes"].kind, links["install notes"].resolves) == ("anchor", True)
    assert (links["upstream"].kind, links["upstream"].resolves) == ("external", None)
    assert (links["broken anchor"].resolves, links["broken anchor"].line) == (False, 4)
    assert (links["missing file"].kind, links["missing file"].resolves) == ("relative", False)
    warnings = build_digest(guide, "guide.md").warnings
    assert any("#nowhere" in w for w in warnings) and any("docs/missing.md" in w for w in warnings)


def test_repeated_headings_get_numbered_anchors(workspace: Path) -> None:
    path = workspace / "a.md"
    path.write_text("# A\n## Usage\n## Usage\n[second](#usage-1) [third](#usage-2)\n", encoding="utf-8")
    assert [link.resolves for link in structure_of(path).links] == [True, False]


def test_images_lists_tables_and_counts(guide: Path) -> None:
    structure = structure_of(guide)
    assert [(i.source, i.alt, i.line) for i in structure.images] == [("img/loop.png", "diagram", 29)]
    assert (structure.list_count, structure.list_items, structure.list_max_depth) == (3, 5, 3)
    (table,) = structure.tables
    assert (table.line, table.columns, table.rows) == (24, ["key", "action", "scope"], 2)
    assert structure.lines == MARKDOWN.count("\n") and structure.words == len(MARKDOWN.split())


def test_digest_text_and_headline(guide: Path) -> None:
    digest = build_digest(guide, "guide.md")
    assert digest.headline.startswith("Markdown: Brainloop guide (5 sections")
    assert digest.symbols == ["Brainloop guide", "Install", "Usage", "Usage"]
    assert "## Install (L6)" in digest.text and "code: " in digest.text
    assert digest.token_estimate == -(-len(digest.text) // 4)


def test_an_empty_file_is_an_empty_digest(workspace: Path) -> None:
    path = workspace / "empty.md"
    path.write_text("", encoding="utf-8")
    structure = structure_of(path)
    assert (structure.lines, structure.words, structure.sections, structure.title) == (0, 0, [], None)


def test_long_lists_are_counted_beyond_what_is_listed(workspace: Path) -> None:
    path = workspace / "many.md"
    path.write_text(
        "".join(f"## S{i}\n\n[l{i}](#s{i}) [e](https://x.org/{i}) ![i](i{i}.png)\n\n```\nx\n```\n\n" for i in range(400)),
        encoding="utf-8",
    )
    structure = structure_of(path)
    assert (structure.section_count, len(structure.sections)) == (400, MARKDOWN_MAX_LISTED)
    assert structure.link_count == {"anchor": 400, "relative": 0, "external": 400}
    assert len(structure.links) == MARKDOWN_MAX_LISTED and all(link.resolves for link in structure.links if link.kind == "anchor")
    assert (structure.image_count, len(structure.images)) == (400, MARKDOWN_MAX_LISTED)
    assert (structure.code_block_count, len(structure.code_blocks)) == (400, MARKDOWN_MAX_LISTED)
    assert "400 sections, 400 code blocks, 800 links" in build_digest(path, "many.md").text
