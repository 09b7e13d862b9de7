"""日报表: the day's businesses and fees by operator and item, for the supervisor and the county.

Read-only (permission 'report.daily', R-SEC-2/R-SEC-3): `offline.reports.daily_report` runs in a
thread worker; the table is the report's own rows (operator subtotals, grand total). S saves the
PDF next to the store (reports/daily-YYYY-MM-DD.pdf), P saves and sends it to the configured
printer, ←/→ move a day, R reloads. Over a county SSH link the screen repaints only on a key.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static

from offline.errors import CardstationError
from tui.host import host
from tui.widgets.footer import BottomBar

TITLE = "业务日报表"
COLUMNS = ("经办人", "业务事项", "笔数", "收费（元）")
SUMMARY = "{day}  共 {count} 笔，收费 {fee} 元，经办人 {operators} 名"
EMPTY = "{day}  当日无业务"
SAVED = "已保存 PDF：{path}"
PRINTED = "已发送到打印机 {printer}（{path}）"
ERROR = "未完成：{error}"


def report_path(store_path: Path, day: str) -> Path:
    """Where the station keeps its report PDFs: beside the store, one file per day."""
    return store_path.parent / "reports" / f"daily-{day}.pdf"


class ReportScreen(Screen[None]):
    """日报表."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "shift(-1)", "前一天", id="report.prev"),
        Binding("right", "shift(1)", "后一天", id="report.next"),
        Binding("s", "save", "存PDF", id="report.save"),
        Binding("p", "print", "打印", id="report.print"),
        Binding("r", "reload", "刷新", id="report.reload"),
        Binding("escape", "app.go_back", "返回", id="report.back", show=False),
    ]
    DEFAULT_CSS = """
    ReportScreen { background: ansi_default; }
    ReportScreen > #report-title { height: 1; text-style: bold; }
    ReportScreen > #report-summary { height: 1; }
    ReportScreen > DataTable { height: 1fr; scrollbar-size-vertical: 1; }
    ReportScreen > #report-note { height: auto; max-height: 3; }
    """

    def __init__(self, day: date | None = None) -> None:
        super().__init__(id="report")
        self.day = day
        self.report: Any = None

    def compose(self) -> ComposeResult:
        yield Static(TITLE, id="report-title", markup=False)
        yield Static("", id="report-summary", markup=False)
        table: DataTable[str] = DataTable(id="report-table", cursor_type="row", zebra_stripes=False)
        table.add_columns(*COLUMNS)
        yield table
        yield Static("", id="report-note", markup=False)
        yield BottomBar(reader=False)

    def on_mount(self) -> None:
        if self.day is None:
            self.day = host(self.app).services.now().date()
        self.action_reload()

    def action_shift(self, days: int) -> None:
        assert self.day is not None
        self.day += timedelta(days=days)
        self.action_reload()

    def action_reload(self) -> None:
        assert self.day is not None
        self._load(self.day)

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def _load(self, day: date) -> None:
        from offline.reports import daily_report

        app = host(self.app)
        try:
            report = daily_report(
                app.services.store,
                day,
                operator=app.operator,
                now=app.services.now().isoformat(timespec="minutes"),
            )
        except Exception as exc:
            self.app.call_from_thread(self.note, ERROR.format(error=exc))
            return
        self.app.call_from_thread(self._show, report)

    def _show(self, report: Any) -> None:
        from offline.reports import yuan

        self.report = report
        table: DataTable[str] = self.query_one(DataTable)
        table.clear()
        if report.lines:
            table.add_rows(report.rows())
            text = SUMMARY.format(
                day=report.day,
                count=report.count,
                fee=yuan(report.fee_fen),
                operators=len(report.by_operator),
            )
        else:
            text = EMPTY.format(day=report.day)
        self.query_one("#report-summary", Static).update(text)
        self.note("")

    def note(self, text: str) -> None:
        self.query_one("#report-note", Static).update(text)

    def action_save(self) -> None:
        if self.report is not None:
            self._output(self.report, send=False)

    def action_print(self) -> None:
        if self.report is not None:
            self._output(self.report, send=True)

    @work(thread=True, exclusive=True, group="report-out", exit_on_error=False)
    def _output(self, report: Any, send: bool) -> None:
        from offline.reports import render_pdf

        app = host(self.app)
        path = report_path(app.services.store.path, report.day)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(render_pdf(report))
            text = SAVED.format(path=path)
            if send:
                from offline.printing.printer import print_pdf

                printer = app.config.printer
                print_pdf(path, printer)
                text = PRINTED.format(printer=printer, path=path)
        except Exception as exc:
            text = ERROR.format(error=exc.message_zh if isinstance(exc, CardstationError) else str(exc))
        self.app.call_from_thread(self.note, text)
