"""The block viewer: one tab per block of the selected session.

A tab shows one iteration of its block as highlighted code, or as a diff (`textual_diff_view.DiffView`)
against another iteration or against the file on disk, with the validators' diagnostics beside it.
While an iteration streams, the answer shows live with tokens/s and time to first token.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Literal

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane

from brainloop_tui.core.loop.grounding import Grounding
from brainloop_tui.core.loop.models import Block, BlockState, Iteration, SessionState
from brainloop_tui.core.loop.validators import Diagnostic
from brainloop_tui.tui.format import mark, style_of
from brainloop_tui.tui.messages import StreamChunk
from brainloop_tui.tui.widgets.code_view import CodeView, diagnostics_content, diagnostics_summary
from brainloop_tui.tui.widgets.diff import StableDiffView

Mode = Literal["code", "iterations", "disk"]
MODES: tuple[Mode, ...] = ("code", "iterations", "disk")


def pane_id(index: int) -> str:
    """Tabs are by position and reused from session to session (Textual keeps every tab ever removed)."""
    return f"block-{index}"


@dataclass
class BlockView:
    """What one tab shows: which iteration, compared with which (a marked base, else the one before)."""

    state: BlockState
    disk: str | None  # the file on disk (None: no such file, or a SQL block)
    viewed: int | None = None
    base: int | None = None

    def __post_init__(self) -> None:
        if self.viewed is None:
            self.viewed = self._default()

    @property
    def block(self) -> Block:
        return self.state.block

    def _default(self) -> int | None:
        numbers = [i.number for i in self.state.iterations]
        return self.block.current_iteration or (numbers[-1] if numbers else None)

    def iteration(self, number: int | None) -> Iteration | None:
        return next((i for i in self.state.iterations if i.number == number), None)

    @property
    def shown(self) -> Iteration | None:
        return self.iteration(self.viewed)

    @property
    def compared(self) -> Iteration | None:
        """The base of the iteration diff: the marked one, else the last finished one before."""
        if self.base is not None and self.base != self.viewed and self.iteration(self.base):
            return self.iteration(self.base)
        earlier = [i for i in self.state.iterations if i.status == "done" and self.viewed and i.number < self.viewed]
        return earlier[-1] if earlier else None

    def update(self, state: BlockState, disk: str | None) -> None:
        following = self.viewed in (None, self._default())
        self.state, self.disk = state, disk
        if following or self.iteration(self.viewed) is None:
            self.viewed = self._default()

    def step(self, delta: int) -> bool:
        numbers = [i.number for i in self.state.iterations]
        if self.viewed not in numbers:
            return False
        index = numbers.index(self.viewed) + delta
        if not 0 <= index < len(numbers):
            return False
        self.viewed = numbers[index]
        return True


@dataclass
class StreamState:
    """A streaming iteration as this process receives it (kept even before its tab exists)."""

    iteration: int
    started: float = field(default_factory=time.monotonic)
    first_at: float | None = None
    deltas: int = 0
    reasoning_chars: int = 0
    text: str = ""

    def add(self, chunk: StreamChunk, at: float) -> None:
        if self.first_at is None and (chunk.text or chunk.reasoning):
            self.first_at = at
        self.deltas = chunk.deltas
        self.reasoning_chars += len(chunk.reasoning)
        self.text += chunk.text

    def line(self, at: float) -> str:
        parts = [f"⟳ iteration {self.iteration} streaming", f"{self.deltas:,} tokens"]
        if self.first_at is not None:
            elapsed = at - self.first_at
            if elapsed > 0:
                parts.append(f"{self.deltas / elapsed:,.0f} tok/s")
            parts.append(f"first token {1000 * (self.first_at - self.started):,.0f} ms")
        if self.reasoning_chars and not self.text:
            parts.append(f"thinking ({self.reasoning_chars:,} chars)")
        parts.append("esc cancels")
        return " · ".join(parts)


def _problems(view: BlockView) -> Content | None:
    shown = view.shown
    if shown is None or shown.code is None:
        return None
    if not shown.diagnostics:
        return Content.styled("✔ no problems", "$text-success")
    return diagnostics_summary(shown.diagnostics)


def _header(view: BlockView, mode: Mode) -> Content:
    block, shown = view.block, view.shown
    parts: list[Content | str] = [Content.styled(block.path, "bold")]
    if block.kind == "sql":
        parts.append(f"SQL → {block.target_db or 'no database'}")
    elif block.language:
        parts.append(block.language)
    parts.append(Content.styled(f"{mark(block.status)} {block.status}", style_of(block.status)))
    if shown is not None:
        parts.append(f"iteration {shown.number}/{len(view.state.iterations)} {shown.phase}")
    if mode == "iterations" and shown is not None:
        base = view.compared
        parts.append(f"diff {base.number} → {shown.number}" if base else "diff: nothing earlier")
    elif mode == "disk":
        parts.append("diff disk → iteration" if view.disk is not None else "diff: not on disk yet")
    if (problems := _problems(view)) is not None:
        parts.append(problems)
    return Content(" · ").join(Content(p) if isinstance(p, str) else p for p in parts)


def _grounding_line(shown: Iteration) -> str:
    line = "grounded in " + shown.grounding.summary()
    if shown.candidates:
        line += f" · best of {len(shown.candidates) + 1} candidates"
    return line


def _aside(diagnostics: list[Diagnostic], grounding: Grounding | None) -> Content:
    """The diagnostics, then what the prompt carried (each convention and context file, and why)."""
    parts = [diagnostics_content(diagnostics)] if diagnostics else []
    if grounding is not None:
        lines = [f"• {text}" for text in grounding.conventions]
        lines += [f"◦ {f.path} — {f.reason}" for f in grounding.files]
        lines += [f"✗ {f.path} — over the budget" for f in grounding.left_out]
        if lines:
            parts.append(Content.styled("Grounding", "bold") + Content("\n" + "\n".join(lines)))
    return Content("\n\n").join(parts)


def _note(text: str) -> Static:
    return Static(Content.styled(text, "$text-muted"), classes="note")


def _body(view: BlockView, mode: Mode, split: bool) -> Widget:
    shown, block = view.shown, view.block
    if shown is None:
        return _note("No iteration yet.")
    if shown.status != "done" or shown.code is None:
        detail = f": {shown.error}" if shown.error else ""
        return _note(f"Iteration {shown.number} is {shown.status}{detail}")
    if mode == "code":
        return CodeView(shown.code, path=block.path, language=block.language, diagnostics=shown.diagnostics)
    if mode == "iterations":
        base = view.compared
        if base is None or base.code is None:
            return _note("Only one finished iteration: nothing to compare yet (d: diff against disk).")
        return VerticalScroll(StableDiffView(block.path, block.path, base.code, shown.code, split=split),
                              classes="diff-scroll")
    if block.kind == "sql":
        return _note(f"A SQL block is applied to {block.target_db or 'its database'}: there is no file to compare.")
    return VerticalScroll(StableDiffView(block.path, block.path, view.disk or "", shown.code, split=split),
                          classes="diff-scroll")


class BlockPane(TabPane):
    def __init__(self, view: BlockView, index: int, stream: StreamState | None = None) -> None:
        super().__init__(Content(view.block.path), id=pane_id(index))
        self.view = view
        self._shown_key: tuple | None = None
        self._stream = stream  # shown once mounted: deltas may arrive before the pane is composed
        self._ready = False

    def compose(self) -> ComposeResult:
        yield Static(classes="block-header")
        yield Static(classes="grounding")
        yield Static(classes="stream-meter")
        yield Static(classes="stream")
        with Horizontal(classes="block-body"):
            yield Vertical(classes="block-main")
            yield VerticalScroll(Static(classes="diagnostics-text"), classes="diagnostics")

    def show(self, view: BlockView, stream: StreamState | None) -> None:
        """Another block (of another session) in this tab."""
        if view is not self.view:
            self.view, self._shown_key = view, None
        if stream is not None:
            self.stream_started(stream)
        elif self._stream is not None:
            self.stream_ended()

    def on_mount(self) -> None:
        self._ready = True
        if self._stream is not None:
            self.stream_started(self._stream)
        viewer = self.query_ancestor(BlockViewer)
        self.call_later(self.render_view, viewer.mode, viewer.split)

    async def render_view(self, mode: Mode, split: bool) -> None:
        view = self.view
        key = (mode, split, view.viewed, view.compared and view.compared.number, view.disk,
               tuple((i.number, i.status, i.sha256) for i in view.state.iterations), view.block.status)
        if not self._ready or key == self._shown_key:
            return
        try:
            header, aside = self.query_one(".block-header", Static), self.query_one(".diagnostics")
            aside_text, main = self.query_one(".diagnostics-text", Static), self.query_one(".block-main", Vertical)
        except NoMatches:  # the app is closing: the children went first
            return
        self._shown_key = key
        header.update(_header(view, mode))
        shown = view.shown
        grounding = self.query_one(".grounding", Static)
        grounded = shown.grounding if shown is not None and shown.grounding.recorded else None
        grounding.display = grounded is not None
        grounding.update(Content.styled(_grounding_line(shown), "$text-muted") if shown and grounded else "")
        diagnostics = shown.diagnostics if shown is not None and shown.code is not None else []
        # Beside the code only when there is something to say: the header says "no problems" otherwise.
        aside_content = _aside(diagnostics, grounded)
        aside.display = bool(aside_content.plain)
        aside_text.update(aside_content)
        await main.remove_children()
        await main.mount(_body(view, mode, split))

    def stream_started(self, stream: StreamState) -> None:
        self._stream = stream
        if self._ready:
            self.add_class("-streaming")
            self.stream_written(stream)

    def stream_written(self, stream: StreamState) -> None:
        """The meter, and the tail of the answer that fits: a fixed-size update, so no layout pass."""
        if not self._ready:
            return  # on_mount shows it
        shown = self.query_one(".stream", Static)
        rows = max(1, shown.size.height or 1)
        shown.update(Content("\n".join(stream.text.rsplit("\n", rows)[-rows:])))
        self.query_one(".stream-meter", Static).update(stream.line(time.monotonic()))

    def stream_ended(self) -> None:
        self._stream = None
        self.remove_class("-streaming")


class BlockViewer(Vertical):
    def __init__(self, *, split: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state: SessionState | None = None
        self.views: dict[str, BlockView] = {}
        self.streams: dict[str, StreamState] = {}
        self.mode: Mode = "code"
        self.split = split
        self._showing = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield Static(id="session-header")
        yield TabbedContent(id="block-tabs")

    def on_mount(self) -> None:
        self._show_header()

    def _show_header(self) -> None:
        header = self.query_one("#session-header", Static)
        self.query_one("#block-tabs").display = self.state is not None
        if self.state is None:
            header.update(Content.from_markup(
                "No session selected.\n\nPress [b]n[/b] to propose code, or pick a session on the left."))
            return
        session = self.state.session
        blocks = len(self.state.blocks)
        prompt = session.prompt.strip().splitlines()
        lines = [
            Content.styled(session.title, "bold"),
            Content(" · ").join([Content.styled(f"{mark(session.status)} {session.status}", style_of(session.status)),
                                 Content(f"proposed by {session.origin}"),
                                 Content(f"{blocks} block{'s' * (blocks != 1)}")]),
        ]
        if prompt and prompt[0] != session.title:
            lines.append(Content.styled(prompt[0], "$text-muted"))
        header.update(Content("\n").join(lines))

    # -- the session ------------------------------------------------------------------------------

    async def show_session(self, state: SessionState, disk: dict[str, str | None]) -> None:
        """Show a session (or its new state). One at a time, and never left half-done: callers shield it."""
        async with self._showing:
            tabs = self.query_one(TabbedContent)
            new_session = self.state is None or self.state.session.id != state.session.id
            if new_session:
                self.views = {}
            self.state = state
            self._show_header()
            panes = {pane.id: pane for pane in tabs.query(BlockPane)}
            for index, block_state in enumerate(state.blocks):
                block = block_state.block
                view = self.views.get(block.id)
                if view is None:
                    view = self.views[block.id] = BlockView(block_state, disk.get(block.id))
                else:
                    view.update(block_state, disk.get(block.id))
                pane = panes.pop(pane_id(index), None)
                if pane is None:
                    await tabs.add_pane(BlockPane(view, index, self.streams.get(block.id)))
                else:
                    pane.show(view, self.streams.get(block.id))
                    tabs.get_tab(pane_id(index)).label = Content(block.path)
            for unused in panes:
                await tabs.remove_pane(unused)
            if new_session and state.blocks:
                tabs.active = pane_id(0)
            await self.render_current()

    @property
    def current_pane(self) -> BlockPane | None:
        pane = self.query_one(TabbedContent).active_pane
        return pane if isinstance(pane, BlockPane) else None

    @property
    def current(self) -> BlockView | None:
        pane = self.current_pane
        return pane.view if pane else None

    async def render_current(self) -> None:
        pane = self.current_pane
        if pane is not None:
            await pane.render_view(self.mode, self.split)

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        await self.render_current()

    # -- navigation -------------------------------------------------------------------------------

    async def step_iteration(self, delta: int) -> bool:
        view = self.current
        if view is None or not view.step(delta):
            return False
        await self.render_current()
        return True

    async def mark_base(self) -> int | None:
        view = self.current
        if view is None or view.viewed is None:
            return None
        view.base = view.viewed
        await self.render_current()
        return view.base

    async def cycle_mode(self) -> Mode:
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]
        await self.render_current()
        return self.mode

    async def set_mode(self, mode: Mode) -> None:
        self.mode = mode
        await self.render_current()

    async def toggle_split(self) -> bool:
        self.split = not self.split
        await self.render_current()
        return self.split

    def next_block(self) -> None:
        tabs = self.query_one(TabbedContent)
        ids = [pane_id(index) for index in range(len(self.state.blocks))] if self.state else []
        if len(ids) > 1 and tabs.active in ids:
            tabs.active = ids[(ids.index(tabs.active) + 1) % len(ids)]

    # -- streaming --------------------------------------------------------------------------------

    def _pane(self, block_id: str) -> BlockPane | None:
        blocks = [b.block.id for b in self.state.blocks] if self.state else []
        if block_id not in blocks:
            return None
        found = self.query(f"#{pane_id(blocks.index(block_id))}")
        return found.first(BlockPane) if found else None

    def stream_started(self, block_id: str, iteration: int) -> None:
        stream = self.streams[block_id] = StreamState(iteration)
        if pane := self._pane(block_id):
            pane.stream_started(stream)

    def stream_received(self, chunks: dict[str, StreamChunk]) -> None:
        at = time.monotonic()
        for block_id, chunk in chunks.items():
            stream = self.streams.get(block_id)
            fresh = stream is None or stream.iteration != chunk.iteration
            if fresh:
                stream = self.streams[block_id] = StreamState(chunk.iteration)
            stream.add(chunk, at)
            if pane := self._pane(block_id):
                if fresh:
                    pane.stream_started(stream)
                else:
                    pane.stream_written(stream)

    def stream_ended(self, block_id: str) -> None:
        self.streams.pop(block_id, None)
        if pane := self._pane(block_id):
            pane.stream_ended()

    @property
    def streaming(self) -> bool:
        return bool(self.streams)
