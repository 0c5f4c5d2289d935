"""The main screen: Loop (sessions + block viewer), Digests and Stats tabs, and every loop key.

Core work runs in Textual workers (`@work(exclusive=True, group=..., exit_on_error=False)`), tracked by the core's worker
runtime through `app.call_core`; core events arrive as messages (see `messages.py`). Changes written by
another process (the MCP face) are noticed by polling lifecycle.db's `PRAGMA data_version`.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult, SuspendNotSupported
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane

from brainloop_tui.core.loop.models import Block, Iteration, SessionState
from brainloop_tui.core.loop.validators import errors_of
from brainloop_tui.core.preferences import PreferenceName, set_preference
from brainloop_tui.core.workspace import PathError, resolve_in_workspace
from brainloop_tui.tui import keys
from brainloop_tui.tui.export import export_path, session_markdown
from brainloop_tui.tui.gc_pause import pause_full_collections
from brainloop_tui.tui.messages import LoopChanged, StreamBuffer, StreamFlush, core_listener
from brainloop_tui.tui.screens.commit import CommitChoice, CommitItem, CommitScreen
from brainloop_tui.tui.screens.propose import ProposeRequest, ProposeScreen
from brainloop_tui.tui.screens.refine import RefineScreen
from brainloop_tui.tui.screens.simple import ConfirmScreen
from brainloop_tui.tui.widgets.block_viewer import BlockView, BlockViewer
from brainloop_tui.tui.widgets.digests import DigestsPane
from brainloop_tui.tui.widgets.sessions import SessionsPane
from brainloop_tui.tui.widgets.stats import StatsPane
from brainloop_tui.tui.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from brainloop_tui.tui.app import BrainloopApp

POLL_SECONDS = 1.0  # another process's sessions appear within 2 s
AGES_SECONDS = 30.0
STREAM_FPS = 30
SESSION_LIMIT = 500
TAB_FOCUS = {"loop": "#session-table", "digests": "#digest-tree", "stats": "#stats-pane"}
BLOCK_ACTIONS = frozenset({"audit", "refine", "commit", "commit_all", "undo", "step_iteration", "mark_base",
                           "copy", "editor", "export", "next_block"})
# Keys about the block viewer: on the Digests and Stats tabs they are hidden (and do nothing), so the
# footer shows what works where the reader is looking.
VIEWER_ACTIONS = BLOCK_ACTIONS | {"cycle_mode", "toggle_split"}


def read_disk(workspace: Path, block: Block) -> str | None:
    """The block's file as it is on disk; None when there is none (or for a SQL block)."""
    if block.kind != "file":
        return None
    try:
        return resolve_in_workspace(workspace, block.path).read_text(encoding="utf-8", errors="replace")
    except (PathError, OSError):
        return None


def disk_texts(workspace: Path, state: SessionState) -> dict[str, str | None]:
    return {b.block.id: read_disk(workspace, b.block) for b in state.blocks}


class MainScreen(ReportsWorkerErrors, Screen[None]):
    BINDINGS = keys.bindings(keys.MAIN_KEYS)
    AUTO_FOCUS = "#session-table"  # keys work at once; `/` goes to the filter
    app: BrainloopApp

    def __init__(self, preferences: dict[str, str]) -> None:
        super().__init__()
        self.preferences = preferences
        self.session_id: str | None = None
        self.generating = False
        self._awaiting_proposal = False
        self._buffer = StreamBuffer()
        self._data_version: int | None = None
        self._last_flush = 0.0
        self._unsubscribe = lambda: None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        with TabbedContent(id="panes", initial="loop"):
            with TabPane("Loop", id="loop"):
                with Horizontal(id="loop-pane"):
                    yield SessionsPane(initial_filter=self.preferences.get("session_filter", ""), id="sessions")
                    yield BlockViewer(split=self.preferences.get("diff_split", "split") == "split", id="viewer")
            with TabPane("Digests", id="digests"):
                yield DigestsPane(id="digests-pane")
            with TabPane("Stats", id="stats"):
                yield StatsPane(id="stats-pane")
        yield Footer()

    @property
    def viewer(self) -> BlockViewer:
        return self.query_one(BlockViewer)

    @property
    def sessions(self) -> SessionsPane:
        return self.query_one(SessionsPane)

    @property
    def workspace(self) -> Path:
        return self.app.wb.store.workspace

    def on_mount(self) -> None:
        self._unsubscribe = self.app.wb.events.subscribe(core_listener(self.post_message, self._buffer))
        self.set_interval(POLL_SECONDS, self.poll_changes)
        self.set_interval(AGES_SECONDS, lambda: self.sessions.refresh_ages(self.app.clock()))
        self.load_sessions()

    def on_unmount(self) -> None:
        self._unsubscribe()
        pause_full_collections(False)

    # -- loading -------------------------------------------------------------------------------------

    @work(exclusive=True, group="load-sessions", exit_on_error=False)
    async def load_sessions(self) -> None:
        if self._data_version is None:  # the baseline of change detection: what this first list shows
            self._data_version = await self.app.call_core("poll", self.app.wb.store.lifecycle.data_version())
        sessions = await self.app.call_core("sessions", self.app.wb.loop.list_sessions(limit=SESSION_LIMIT))
        if sessions is not None:
            self.sessions.show(sessions, self.app.clock())

    @work(exclusive=True, group="load-state", exit_on_error=False)
    async def load_state(self, session_id: str) -> None:
        state = await self.app.call_core("session", self.app.wb.loop.state(session_id))
        if state is None or session_id != self.session_id:
            return
        disk = await asyncio.to_thread(disk_texts, self.workspace, state)
        await asyncio.shield(self.viewer.show_session(state, disk))  # a newer load waits, never cuts it
        self.refresh_bindings()

    def on_sessions_pane_selected(self, message: SessionsPane.Selected) -> None:
        self.session_id = message.session_id
        self.load_state(message.session_id)

    def on_sessions_pane_filter_changed(self, message: SessionsPane.FilterChanged) -> None:
        self.remember("session_filter", message.text)

    @work(group="preferences", exit_on_error=False)
    async def remember(self, name: PreferenceName, value: str) -> None:
        await self.app.call_core("remember", set_preference(self.app.wb.store, name, value))

    # -- live ----------------------------------------------------------------------------------------

    def on_loop_changed(self, message: LoopChanged) -> None:
        event = message.event
        if event.kind == "iteration" and event.block_id is not None:
            if event.status == "streaming" and event.iteration is not None:
                self.viewer.stream_started(event.block_id, event.iteration)
            else:
                self.viewer.stream_ended(event.block_id)
            pause_full_collections(self.viewer.streaming)
        if event.kind == "session" and event.status == "active" and self._awaiting_proposal:
            self._awaiting_proposal = False  # our own proposal: show it while it streams
            self.session_id = event.session_id
            self.sessions.select(event.session_id)
        self.load_sessions()
        if event.session_id == self.session_id:
            self.load_state(event.session_id)

    def on_stream_flush(self, message: StreamFlush) -> None:
        # At most STREAM_FPS draws a second: deltas keep queueing (no new message) until the next one.
        wait = self._last_flush + 1 / STREAM_FPS - time.monotonic()
        if wait > 0:
            self.set_timer(wait, self._flush_stream)
        else:
            self._flush_stream()

    def _flush_stream(self) -> None:
        self._last_flush = time.monotonic()
        self.viewer.stream_received(self._buffer.drain())

    @work(exclusive=True, group="poll", exit_on_error=False)
    async def poll_changes(self) -> None:
        if self.app.wb.worker.status not in ("starting", "running"):
            return  # shutting down: the store is closing
        version = await self.app.call_core("poll", self.app.wb.store.lifecycle.data_version())
        if version is None:
            return
        if self._data_version is not None and version != self._data_version:
            self.load_sessions()
            if self.session_id:
                self.load_state(self.session_id)
        self._data_version = version

    # -- key availability ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.generating  # hidden unless there is something to cancel
        if action in VIEWER_ACTIONS and self.is_mounted and self.query_one("#panes", TabbedContent).active != "loop":
            return False
        if action in BLOCK_ACTIONS and (not self.is_mounted or self.viewer.current is None):
            return None  # shown dimmed: no block selected
        return True

    @contextmanager
    def _generation(self) -> Iterator[None]:
        self.generating = True
        self.refresh_bindings()
        try:
            yield
        finally:
            self.generating = False
            self.refresh_bindings()

    def _current(self) -> BlockView | None:
        view = self.viewer.current
        if view is None:
            self.notify("Select a session with a block first.", severity="warning")
        return view

    def _busy(self) -> bool:
        if self.generating:
            self.notify("A generation is running: Esc cancels it.", severity="warning")
        return self.generating

    # -- propose / refine / commit / undo ----------------------------------------------------------

    def action_propose(self) -> None:
        if not self._busy():
            self.app.push_screen(ProposeScreen(self.workspace), self._proposed)

    def _proposed(self, request: ProposeRequest | None) -> None:
        if request is not None:
            self.run_propose(request)

    @work(exclusive=True, group="generation", exit_on_error=False)
    async def run_propose(self, request: ProposeRequest) -> None:
        with self._generation():
            self._awaiting_proposal = True
            try:
                state = await self.app.call_core("propose", self.app.wb.loop.propose(
                    request.prompt, request.paths, language=request.language))
            finally:
                self._awaiting_proposal = False
        if state is None:
            return
        failed = [b for b in state.blocks if b.error]
        for block in failed:
            self.notify(f"{block.block.path}: {block.error}", title="propose", severity="error", timeout=10)
        done = len(state.blocks) - len(failed)
        if done:
            self.notify(f"{done} of {len(state.blocks)} block(s) proposed: r refines, c commits.", title="propose")
        self.session_id = state.session.id
        self.sessions.select(state.session.id)
        self.load_state(state.session.id)

    def action_refine(self) -> None:
        view = self._current()
        if view is None or self._busy():
            return
        if view.block.status == "committed":
            self.notify(f"{view.block.path} is committed: undo it (u) to refine further, or propose anew.",
                        severity="warning")
            return
        if view.block.current_iteration == 0:
            self.notify(f"{view.block.path} has no finished iteration to refine yet.", severity="warning")
            return
        block = view.block
        self.app.push_screen(RefineScreen(block.path, block.current_iteration),
                             lambda feedback: feedback and self.run_refine(block, feedback))

    @work(exclusive=True, group="generation", exit_on_error=False)
    async def run_refine(self, block: Block, feedback: str) -> None:
        with self._generation():
            state = await self.app.call_core("refine", self.app.wb.loop.refine(block.session_id, block.id, feedback))
        if state is not None:
            self.notify(f"{block.path}: iteration {state.block.current_iteration} ready.", title="refine")

    def action_commit(self) -> None:
        if (view := self._current()) is not None and not self._busy():
            self.prepare_commit([view.block])

    def action_commit_all(self) -> None:
        if self._current() is not None and not self._busy() and self.viewer.state is not None:
            self.prepare_commit([b.block for b in self.viewer.state.blocks])

    @work(exclusive=True, group="commit", exit_on_error=False)
    async def prepare_commit(self, blocks: list[Block]) -> None:
        """Audit each block (which records the file on disk the commit may replace), then confirm."""
        items = []
        for block in blocks:
            audit = await self.app.call_core("audit", self.app.wb.loop.audit(block.session_id, block.id))
            if audit is None:
                return
            if audit.code is None:
                self.notify(f"{block.path} has no finished iteration to commit.", severity="warning")
                return
            items.append(CommitItem(
                path=block.path, iteration=audit.block.current_iteration, code=audit.code, kind=block.kind,
                target_db=block.target_db, disk=await asyncio.to_thread(read_disk, self.workspace, block),
                errors=[d.describe() for d in errors_of(audit.diagnostics)]))
        choice = await self.app.push_screen_wait(CommitScreen(items, split=self.viewer.split))
        if choice is not None:
            self.run_commit(blocks[0].session_id, blocks[0].id if len(blocks) == 1 else None, choice)

    @work(exclusive=True, group="generation", exit_on_error=False)
    async def run_commit(self, session_id: str, block_id: str | None, choice: CommitChoice) -> None:
        with self._generation():  # finalizing is one more generation: Esc cancels it
            outcomes = await self.app.call_core("commit", self.app.wb.loop.commit(
                session_id, block_id, finalize=choice.finalize, force=choice.force))
        if outcomes:
            self.notify("\n".join(o.message for o in outcomes), title="commit")

    def action_undo(self) -> None:
        view = self._current()
        if view is None:
            return
        block = view.block
        if block.status != "committed":
            self.notify(f"{block.path} is not committed: nothing to undo.", severity="warning")
            return
        question = f"Undo the commit of {block.path}? The file goes back to what it was before."
        self.app.push_screen(ConfirmScreen(question, "Undo"), lambda yes: yes and self.run_undo(block))

    @work(exclusive=True, group="commit", exit_on_error=False)
    async def run_undo(self, block: Block) -> None:
        outcome = await self.app.call_core("undo", self.app.wb.loop.undo(block.session_id, block.id))
        if outcome is not None:
            self.notify(outcome.message, title="undo")

    def action_audit(self) -> None:
        if (view := self._current()) is not None:
            self.run_audit(view.block)

    @work(exclusive=True, group="audit", exit_on_error=False)
    async def run_audit(self, block: Block) -> None:
        audit = await self.app.call_core("audit", self.app.wb.loop.audit(block.session_id, block.id))
        if audit is None:
            return
        await self.viewer.set_mode("disk")
        errors = len(errors_of(audit.diagnostics))
        on_disk = ("not on disk yet" if not audit.disk_exists else
                   "differs from the file on disk" if audit.diff_disk else "same as the file on disk")
        self.notify(f"{block.path}: iteration {audit.block.current_iteration}, {errors} error(s), {on_disk}.",
                    title="audit")
        self.load_state(block.session_id)

    def action_cancel(self) -> None:
        if self.generating:
            self.workers.cancel_group(self, "generation")
            self.notify("Generation cancelled.", severity="warning")

    # -- viewing -----------------------------------------------------------------------------------

    async def action_step_iteration(self, delta: int) -> None:
        if self._current() is not None and not await self.viewer.step_iteration(delta):
            self.app.bell()

    async def action_mark_base(self) -> None:
        if self._current() is not None and (number := await self.viewer.mark_base()) is not None:
            self.notify(f"Iteration {number} is the base of the iteration diff (d shows it).")

    async def action_cycle_mode(self) -> None:
        await self.viewer.cycle_mode()

    async def action_toggle_split(self) -> None:
        split = await self.viewer.toggle_split()
        self.remember("diff_split", "split" if split else "unified")

    def action_next_block(self) -> None:
        self.viewer.next_block()

    def action_filter(self) -> None:
        self.sessions.focus_filter()  # shows the Loop tab when another one is shown

    def action_show_tab(self, name: str) -> None:
        self.query_one("#panes", TabbedContent).active = name
        # Focus follows: left on a widget of the hidden tab, it would be moved to one there, and focus
        # in a tab's pane makes TabbedContent show that tab again. The Digests tab builds its tree when
        # first shown, and focuses it then.
        for widget in self.query(TAB_FOCUS[name]):
            widget.focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.tabbed_content.id == "panes":
            self.refresh_bindings()  # the viewer's keys come and go with the Loop tab

    # -- copy, editor, export ----------------------------------------------------------------------

    def action_copy(self) -> None:
        view = self._current()
        if view is None:
            return
        shown = view.shown
        if shown is None or shown.code is None:
            self.notify("This iteration has no code to copy.", severity="warning")
            return
        self.app.copy_to_clipboard(shown.code)
        self.notify(f"Copied iteration {shown.number} of {view.block.path} ({len(shown.code.splitlines())} lines).")

    async def action_editor(self) -> None:
        view = self._current()
        if view is None:
            return
        block, shown = view.block, view.shown
        if block.status != "committed" and shown is not None and shown.code is not None:
            await self._edit_copy(block, shown)
        elif block.kind == "file" and view.disk is not None:
            await self._run_editor(resolve_in_workspace(self.workspace, block.path))
        else:
            self.notify("Nothing to open: no file on disk and no finished iteration.", severity="warning")
            return
        if self.session_id:
            self.load_state(self.session_id)

    async def _edit_copy(self, block: Block, shown: Iteration) -> None:
        """An uncommitted iteration is edited in a copy; what changed there becomes the next iteration."""
        with tempfile.NamedTemporaryFile("w", suffix=PurePosixPath(block.path).suffix, prefix="brainloop-",
                                         delete=False, encoding="utf-8") as copy:
            copy.write(shown.code or "")
        target = Path(copy.name)
        try:
            if not await self._run_editor(target):
                return
            edited = await asyncio.to_thread(target.read_text, encoding="utf-8", errors="surrogateescape")
        finally:
            target.unlink(missing_ok=True)
        state = await self.app.call_core("edit", self.app.wb.loop.edit(block.session_id, block.id, edited,
                                                                          base=shown.number))
        if state is not None:
            self.notify(f"Your edit of {block.path} is iteration {state.block.current_iteration}; "
                        "the checks ran on it.")

    async def _run_editor(self, target: Path) -> bool:
        """$VISUAL or $EDITOR on `target`, the terminal handed over while it runs; False when it cannot start."""
        command = [*shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"), str(target)]
        try:
            try:
                with self.app.suspend():
                    subprocess.run(command, check=False)
            except SuspendNotSupported:  # no terminal to hand over (headless): run it beside the app
                await asyncio.to_thread(subprocess.run, command, check=False, stdin=subprocess.DEVNULL)
        except OSError as exc:
            self.notify(f"Cannot run the editor {command[0]!r}: {exc.strerror or exc}. Set $EDITOR.",
                        severity="error")
            return False
        return True

    def action_export(self) -> None:
        if self._current() is not None and self.session_id:
            self.run_export(self.session_id)

    @work(exclusive=True, group="export", exit_on_error=False)
    async def run_export(self, session_id: str) -> None:
        state = await self.app.call_core("export", self.app.wb.loop.state(session_id))
        if state is None:
            return
        relative = export_path(session_id)
        target = self.workspace / relative

        def write() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(session_markdown(state), encoding="utf-8")

        try:
            await asyncio.to_thread(write)
        except OSError as exc:
            self.notify(f"Cannot write {relative}: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"Session exported to {relative}", title="export")
