"""All alerts, one per line: produced cards past the contact deadline (R-ISS-2), stock older than
6 months (R-ISS-6), temporary-card stock low (HN 31), oldest unsynced envelope, quarantined
envelopes, PIN-locked cards waiting (R-PIN-4). The list comes from
`offline.services.alerts.alerts()` (read in a thread worker); Esc returns.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui import messages as M
from tui.adapters import AlertLine
from tui.host import host
from tui.widgets.compact import CompactScreen
from tui.widgets.footer import BottomBar
from tui.widgets.statusbar import StatusBar

_MARK = {"error": "✖", "warn": "▲", "info": "•"}


def alert_lines_text(lines: list[AlertLine] | None) -> str:
    if lines is None:
        return M.HOME_ALERTS_UNAVAILABLE
    if not lines:
        return M.HOME_ALERTS_NONE
    return "\n".join(f"{_MARK.get(a.severity, '•')} {a.text}" for a in lines)


class AlertsScreen(CompactScreen[None]):
    """Full list of alerts (the home screen shows the first few)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.go_back", "返回", id="alerts.back"),
        Binding("r", "reload", "刷新", id="alerts.reload"),
    ]

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(M.ALERTS_TITLE, classes="title", markup=False)
        with VerticalScroll(id="alerts-scroll"):
            yield Static(M.HOME_ALERTS_LOADING, id="alerts-body", markup=False)
        yield BottomBar()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="alerts", exit_on_error=False)
    def _load(self) -> None:
        from tui import adapters

        try:
            lines = adapters.read_alerts(host(self.app).services)
        except Exception as exc:
            lines = [AlertLine("error", M.WORKER_ERROR.format(error=exc), severity="error")]
        self.app.call_from_thread(self._show, lines)

    def _show(self, lines: list[AlertLine] | None) -> None:
        self.query_one("#alerts-body", Static).update(alert_lines_text(lines))
