"""The Stats dashboard: tokens, latency, tokens/s, cache hit rate, sessions, the heartbeat of every
worker on the workspace (headless ones included) and the recent telemetry events."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.containers import Grid, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Sparkline, Static

from brainloop_tui.core.stats import Stats, collect_stats
from brainloop_tui.tui.format import ago, event_details
from brainloop_tui.tui.worker_errors import ReportsWorkerErrors

REFRESH_SECONDS = 2.0


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


def _card(title: str, rows: list[tuple[str, str]]) -> Content:
    width = max(len(label) for label, _ in rows)
    lines = [Content.styled(title, "bold $accent")]
    lines += [Content.assemble((f"{label:<{width}}  ", "$text-muted"), value) for label, value in rows]
    return Content("\n").join(lines)


def llm_card(stats: Stats) -> Content:
    return _card("LLM", [
        ("calls", f"{stats.llm_calls:,}"),
        ("prompt tokens", f"{stats.tokens_prompt:,}"),
        ("completion tokens", f"{stats.tokens_completion:,}"),
        ("latency p50", _ms(stats.latency_ms_p50)),
        ("latency p95", _ms(stats.latency_ms_p95)),
        ("first token p50", _ms(stats.ttft_ms_p50)),
    ])


def speed_card(stats: Stats) -> Content:
    series = stats.tokens_per_s
    if not series:
        return _card("Tokens/s", [("last call", "—"), ("mean", "—")])
    return _card("Tokens/s", [("last call", f"{series[-1]:,.0f}"), ("mean", f"{sum(series) / len(series):,.0f}"),
                              ("calls shown", f"{len(series)}")])


def cache_card(stats: Stats) -> Content:
    rate = "—" if stats.cache_hit_rate is None else f"{stats.cache_hit_rate:.0%}"
    return _card("Reader cache", [("hit rate", rate), ("digests made", f"{stats.digests_generated:,}")])


def sessions_card(stats: Stats) -> Content:
    return _card("Sessions", [("active", f"{stats.sessions_active:,}"), ("committed", f"{stats.sessions_committed:,}"),
                              ("all", f"{stats.sessions_total:,}")])


class StatsPane(ReportsWorkerErrors, VerticalScroll):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.stats: Stats | None = None

    async def on_show(self) -> None:
        """The tab is shown: fresh numbers at once, then every REFRESH_SECONDS while it stays shown. Its
        widgets are made the first time, not at start-up (the first frame shows the Loop tab)."""
        if not self.children:
            await self._build()
        self.refresh_stats()

    async def _build(self) -> None:
        workers = DataTable(id="stats-workers", cursor_type="none", show_cursor=False)
        workers.add_columns("Face", "Status", "PID", "Last beat", "Started")
        events = DataTable(id="stats-events", cursor_type="none", show_cursor=False)
        events.add_columns("When", "Event", "Details")
        cards = Grid(Static(id="stats-llm", classes="card"),
                     Vertical(Static(id="stats-speed"), Sparkline([], id="stats-sparkline"), classes="card"),
                     Static(id="stats-cache", classes="card"), Static(id="stats-sessions", classes="card"),
                     id="stats-cards")
        await self.mount_all([cards, Static(Content.styled("Workers", "bold $accent"), classes="section"), workers,
                              Static(Content.styled("Recent events", "bold $accent"), classes="section"), events])
        self.set_interval(REFRESH_SECONDS, self._tick)

    def _tick(self) -> None:
        if self.is_on_screen:
            self.refresh_stats()

    @work(exclusive=True, group="stats", exit_on_error=False)
    async def refresh_stats(self) -> None:
        app = self.app
        stats = await app.call_core("stats", collect_stats(app.wb.store, started_at=app.wb.worker.started_at))
        if stats is not None:
            self.show(stats, app.clock())

    def show(self, stats: Stats, now: float) -> None:
        self.stats = stats
        self.query_one("#stats-llm", Static).update(llm_card(stats))
        self.query_one("#stats-speed", Static).update(speed_card(stats))
        self.query_one("#stats-sparkline", Sparkline).data = stats.tokens_per_s
        self.query_one("#stats-cache", Static).update(cache_card(stats))
        self.query_one("#stats-sessions", Static).update(sessions_card(stats))
        workers = self.query_one("#stats-workers", DataTable)
        workers.clear()
        for beat in stats.workers:
            workers.add_row(beat.face, beat.status, str(beat.pid), f"{beat.seconds_since_beat:,.0f} s ago",
                            ago(now - beat.started_at))
        if not stats.workers:
            workers.add_row("—", "no worker has written a heartbeat yet", "", "", "")
        events = self.query_one("#stats-events", DataTable)
        events.clear()
        for event in stats.recent_events:
            # Text, not str: a DataTable reads a str cell as markup; payloads hold paths and errors.
            events.add_row(ago(now - event.created_at), event.event, Text(event_details(event.payload)))
