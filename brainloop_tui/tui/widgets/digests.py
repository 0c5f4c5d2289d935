"""The Digests browser: the workspace's sources as a tree grouped by reader kind, the selected one's
digest rendered as Markdown, and on request a summary of it written by the LLM (kept with the digest
until the file changes). The listing is the core's `explore` (registered sources first, then the walk
with `.gitignore` respected), so the tree shows what an agent's map shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from brainloop_tui.core import readers  # the readers are imported when the tab is first shown
from brainloop_tui.tui import keys
from brainloop_tui.tui.format import digest_markdown
from brainloop_tui.tui.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from textual.widgets import Markdown

    from brainloop_tui.core.explore import ExploreEntry
    from brainloop_tui.core.readers import DigestKind

KIND_TITLES: dict[DigestKind, str] = {"code": "Code", "markdown": "Markdown", "config": "Config",
                                      "sqlite": "SQLite"}
MAX_LISTED_FILES = 500
HINT = ("Pick a file on the left to see its digest: what an LLM or an agent reads instead of the raw text. "
        "s asks the LLM for a summary of it.")


def group_by_kind(entries: list[ExploreEntry]) -> dict[DigestKind, list[ExploreEntry]]:
    """Entries a reader handles, by kind (in the readers' order), each group sorted by path."""
    groups: dict[DigestKind, list[ExploreEntry]] = {kind: [] for kind in readers.DIGEST_KINDS}
    for entry in entries:
        if entry.kind is not None:
            groups[entry.kind].append(entry)
    return {kind: sorted(found, key=lambda e: e.path) for kind, found in groups.items() if found}


class DigestsPane(ReportsWorkerErrors, Horizontal):
    BINDINGS = keys.bindings(keys.DIGEST_KEYS)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.selected: ExploreEntry | None = None
        self.summarizing: ExploreEntry | None = None
        self.markdown: Markdown | None = None  # made with the tree, when the tab is first shown

    async def on_show(self) -> None:
        """The tab is shown. Its widgets and the listing are made the first time, not at start-up (the
        first frame of the workbench shows the Loop tab)."""
        if self.markdown is not None:
            return
        from textual.widgets import Markdown  # markdown-it: ~0.1 s of imports, paid when the tab is first shown

        tree: Tree[ExploreEntry | None] = Tree("workspace", id="digest-tree")
        tree.show_root = False
        self.markdown = Markdown(HINT, id="digest-markdown")
        await self.mount_all([tree, VerticalScroll(Static(id="digest-status"), self.markdown, id="digest-body")])
        tree.focus()
        self.load_tree()

    def action_refresh(self) -> None:
        self.load_tree()
        if self.selected is not None:
            self.load_digest(self.selected, refresh=True)

    @work(exclusive=True, group="digest-tree", exit_on_error=False)
    async def load_tree(self) -> None:
        tree = self.query_one("#digest-tree", Tree)
        if not tree.root.children:
            tree.root.add_leaf("reading the workspace…")
        from brainloop_tui.core.explore import explore  # with its process pool: imported on first use

        result = await self.app.call_core("explore", explore(self.app.wb.store, ".", max_files=MAX_LISTED_FILES))
        if result is None:
            return
        tree.clear()
        groups = group_by_kind(result.entries)
        if not groups:
            tree.root.add_leaf("no file here has a reader (code, Markdown, config, SQLite)")
        for kind, entries in groups.items():
            node = tree.root.add(f"{KIND_TITLES[kind]} ({len(entries)})", expand=True)
            for entry in entries:
                label = f"✖ {entry.path}" if entry.error else entry.path
                node.add_leaf(Text(label), data=entry)  # Text, not str: a Tree reads a str label as markup
        if result.cut:
            tree.root.add_leaf(f"… more files than {MAX_LISTED_FILES}: not listed")

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[ExploreEntry | None]) -> None:
        event.stop()
        self._select(event.node)

    def on_tree_node_selected(self, event: Tree.NodeSelected[ExploreEntry | None]) -> None:
        event.stop()
        self._select(event.node)

    def _select(self, node: TreeNode[ExploreEntry | None]) -> None:
        entry = node.data
        if entry is not None and entry != self.selected:
            self.selected = entry
            self.load_digest(entry)

    @work(exclusive=True, group="digest", exit_on_error=False)
    async def load_digest(self, entry: ExploreEntry, refresh: bool = False) -> None:
        markdown = self.markdown
        assert markdown is not None  # a digest is picked in the tree, made with it
        digest = await self.app.call_core(f"digest of {entry.path}", readers.read_digest(
            self.app.wb.store, entry.path, kind=entry.kind, refresh=refresh))
        if digest is None:
            await markdown.update(f"# {entry.path}\n\nNo digest: {entry.error or 'the reader failed (see the notice)'}")
            return
        await markdown.update(digest_markdown(digest))
        self.query_one("#digest-body", VerticalScroll).scroll_home(animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_summary":
            return self.summarizing is not None  # hidden unless a summary is being written
        return True

    def action_cancel_summary(self) -> None:
        self.workers.cancel_group(self, "digest-summary")
        self.notify("Summary cancelled.", severity="warning")

    def action_summarize(self) -> None:
        entry = self.selected
        if entry is None:
            self.notify("Pick a file first: s summarizes the selected one.", severity="warning")
        elif entry.error:
            self.notify(f"{entry.path} has no digest to summarize: {entry.error}", severity="warning")
        elif self.summarizing is not None:
            self.notify(f"The LLM is summarizing {self.summarizing.path}; one at a time.", severity="warning")
        else:
            self.write_summary(entry)

    # Its own group: moving to another file (which loads that digest) must not cancel the LLM call.
    @work(exclusive=True, group="digest-summary", exit_on_error=False)
    async def write_summary(self, entry: ExploreEntry) -> None:
        from brainloop_tui.core.readers.summary import summarize  # with the readers: on first use

        self.summarizing = entry
        self.refresh_bindings()
        status = f"⟳ the LLM is writing a summary of {entry.path}… (esc stops it)"
        self.query_one("#digest-status", Static).update(Content(status))
        self.add_class("-summarizing")  # shown above whichever digest is in view until the summary is in
        try:
            provider = await self.app.call_core("model", self.app.wb.loop.provider())
            digest = provider and await self.app.call_core(
                f"summary of {entry.path}", summarize(self.app.wb.store, entry.path, provider))
        finally:
            self.summarizing = None
            self.remove_class("-summarizing")
            self.refresh_bindings()
        if digest is None:
            return
        if entry == self.selected:
            await self.markdown.update(digest_markdown(digest))
        else:
            self.notify(f"The summary of {entry.path} is ready (shown with its digest).", title="summary")
