"""Who is logged in, from where (tty or SSH client), since when, last activity (R-SEC-2).

The county office and the window often share a station: this list shows both sessions, so
nobody wonders who changed what. Read in a thread worker from `offline.sessions`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from tui import messages as M
from tui.host import host
from tui.widgets.compact import CompactScreen
from tui.widgets.footer import BottomBar
from tui.widgets.statusbar import StatusBar


def _short(ts: str) -> str:
    """'2025-03-12T09:30:00+08:00' → '03-12 09:30' (fits the 80-column table)."""
    return ts[5:16].replace("T", " ") if len(ts) >= 16 else ts


def session_rows(
    sessions: list[Any], *, this_session: str | None, now: Any, idle_minutes: int
) -> list[tuple[str, ...]]:
    """Table rows: operator (with role), origin, started, last seen, state (idle/active, this one)."""
    from datetime import datetime

    from offline.sessions import is_idle

    rows: list[tuple[str, ...]] = []
    for s in sessions:
        role = M.ROLE_NAMES.get(s.role, s.role)
        state = M.SESSIONS_ACTIVE
        try:
            if is_idle(datetime.fromisoformat(s.last_seen_at), now, idle_minutes):
                state = M.SESSIONS_IDLE
        except ValueError:
            pass
        if this_session and s.id == this_session:
            state += M.SESSIONS_THIS
        rows.append(
            (f"{s.real_name}（{role}）", s.origin, _short(s.started_at), _short(s.last_seen_at), state)
        )
    return rows


class SessionsScreen(CompactScreen[None]):
    """Open sessions, newest first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.go_back", "返回", id="sessions.back"),
        Binding("r", "reload", "刷新", id="sessions.reload"),
    ]

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(M.SESSIONS_TITLE, classes="title", markup=False)
        yield DataTable(id="sessions-table", cursor_type="row", zebra_stripes=False)
        yield Static("", id="sessions-note", markup=False)
        yield BottomBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*M.SESSIONS_COLUMNS)
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="sessions", exit_on_error=False)
    def _load(self) -> None:
        from tui import adapters

        app = host(self.app)
        services = app.services
        this = app.operator.session_id if app.operator is not None else None
        idle = max(1, int(app.idle_lock_seconds() // 60))
        try:
            rows = session_rows(
                adapters.list_sessions(services), this_session=this, now=services.now(), idle_minutes=idle
            )
            note = ""
        except Exception as exc:
            rows, note = [], M.WORKER_ERROR.format(error=exc)
        self.app.call_from_thread(self._show, rows, note)

    def _show(self, rows: list[tuple[str, ...]], note: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        table.add_rows(rows)
        self.query_one("#sessions-note", Static).update(note)
