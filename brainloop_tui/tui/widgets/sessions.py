"""The Sessions pane: every session with its status, blocks, iterations and age; `/` filters."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from brainloop_tui.core.loop.models import SessionSummary
from brainloop_tui.tui import keys
from brainloop_tui.tui.format import age, mark, style_of

TITLE_WIDTH = 16


def matches(session: SessionSummary, words: list[str]) -> bool:
    """Every word of the filter appears in the title, status or origin (case ignored)."""
    haystack = f"{session.title} {session.status} {session.origin}".lower()
    return all(word in haystack for word in words)


class FilterInput(Input):
    BINDINGS = keys.bindings([keys.find("filter_done")])

    def action_leave(self) -> None:
        self.screen.query_one("#session-table").focus()


class SessionsPane(Vertical):
    class Selected(Message):
        def __init__(self, session_id: str) -> None:
            super().__init__()
            self.session_id = session_id

    class FilterChanged(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, *, initial_filter: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self.sessions: list[SessionSummary] = []
        self.shown: list[SessionSummary] = []
        self.selected_id: str | None = None
        self._initial_filter = initial_filter
        self._now = 0.0

    def compose(self) -> ComposeResult:
        yield FilterInput(self._initial_filter, placeholder="filter sessions  (/)", id="session-filter")
        yield DataTable(id="session-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="sessions-empty")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(" ", key="status", width=1)
        table.add_column("Session", key="title", width=TITLE_WIDTH)
        table.add_column("Blk", key="blocks")
        table.add_column("It", key="iterations")
        table.add_column("By", key="origin")
        table.add_column("Age", key="age")

    @property
    def filter_text(self) -> str:
        return self.query_one("#session-filter", Input).value

    def show(self, sessions: list[SessionSummary], now: float) -> None:
        self.sessions, self._now = sessions, now
        self._refill()

    def refresh_ages(self, now: float) -> None:
        self._now = now
        self._refill()

    def focus_filter(self) -> None:
        self.query_one("#session-filter", Input).focus()

    def _refill(self) -> None:
        table = self.query_one(DataTable)
        words = self.filter_text.lower().split()
        self.shown = [s for s in self.sessions if matches(s, words)]
        table.clear()
        for session in self.shown:
            title = session.title if len(session.title) <= TITLE_WIDTH else session.title[: TITLE_WIDTH - 1] + "…"
            # Text, not str: a DataTable reads a str cell as markup, and a title is anyone's text.
            table.add_row(Content.styled(mark(session.status), style_of(session.status)), Text(title),
                          str(session.blocks), str(session.iterations), session.origin,
                          age(self._now - session.updated_at), key=session.id)
        keys = [s.id for s in self.shown]
        if self.selected_id in keys:
            table.move_cursor(row=keys.index(self.selected_id), animate=False)
        empty = self.query_one("#sessions-empty", Static)
        if not self.sessions:
            empty.update("No sessions yet.\nPress [b]n[/b] to propose one.")
        elif not self.shown:
            empty.update(Content(f"No session matches “{self.filter_text}”."))
        empty.display = not self.shown
        self.set_class(not self.shown, "-empty")  # the table shrinks to its header, still focusable

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        table = self.query_one(DataTable)
        # Clearing and refilling the table highlights rows on the way: only where the cursor ends counts.
        if not self.shown or table.cursor_row >= len(self.shown):
            return
        session_id = self.shown[table.cursor_row].id
        if session_id != self.selected_id:
            self.selected_id = session_id
            self.post_message(self.Selected(session_id))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._refill()
        self.post_message(self.FilterChanged(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(DataTable).focus()

    def select(self, session_id: str) -> None:
        """Highlight a session (a new proposal), clearing a filter that would hide it."""
        self.selected_id = session_id
        if all(s.id != session_id for s in self.shown) and self.filter_text:
            self.query_one("#session-filter", Input).value = ""
        self._refill()
