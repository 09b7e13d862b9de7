"""Produced-card stock (item 18): what is in the drawer, what is overdue, what to do next.

Lists `offline.services.stock.list_stock` with a filter: all, overdue for contact (R-ISS-2:
past the contact deadline and not contacted), and older than the province's stock limit
(R-ISS-6). Keys open the receive / contact / ageing forms; the list reloads when one returns.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Static

from tui.host import host
from tui.screens.forms import messages as M
from tui.widgets.compact import CompactScreen
from tui.widgets.footer import StationFooter

FILTERS = ("all", "overdue", "old")
FILTER_LABELS = {"all": M.STOCK_FILTER_ALL, "overdue": M.STOCK_FILTER_OVERDUE, "old": M.STOCK_FILTER_OLD}


def is_overdue(card: Any, today: date) -> bool:
    """R-ISS-2: arrived, not contacted, and the contact deadline has passed."""
    return (
        card.status == "arrived"
        and not card.contacted_at
        and bool(card.contact_deadline)
        and card.contact_deadline[:10] < today.isoformat()
    )


class StockScreen(CompactScreen[None]):
    """库存卡管理."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "cycle_filter", M.KEY_FILTER, id="stock.filter"),
        Binding("i", "open_form('receive')", M.KEY_RECEIVE, id="stock.receive"),
        Binding("c", "open_form('contact')", M.KEY_CONTACT, id="stock.contact"),
        Binding("a", "open_form('age')", M.KEY_AGE, id="stock.age"),
        Binding("t", "temp_stock", M.TEMP_STOCK_TITLE, id="stock.temp_stock"),
        Binding("r", "reload", M.KEY_REFRESH, id="stock.reload"),
    ]
    DEFAULT_CSS = """
    StockScreen { background: ansi_default; }
    StockScreen > #stock-title { height: 1; text-style: bold; }
    StockScreen > #stock-summary { height: auto; }
    StockScreen > DataTable { height: 1fr; scrollbar-size-vertical: 1; }
    """

    class Loaded(Message):
        def __init__(self, cards: list[Any], old_ids: set[int], months: int, today: date) -> None:
            super().__init__()
            self.cards = cards
            self.old_ids = old_ids
            self.months = months
            self.today = today

    def __init__(self) -> None:
        super().__init__(id="stock")
        self.filter = "all"
        self.cards: list[Any] = []
        self.old_ids: set[int] = set()
        self.today = date.today()
        self.months = 6

    def compose(self) -> ComposeResult:
        yield Static(M.STOCK_TITLE, id="stock-title")
        yield Static("", id="stock-summary")
        table: DataTable[str] = DataTable(id="stock-table", cursor_type="row")
        table.add_columns(*M.STOCK_COLUMNS)
        yield table
        yield StationFooter()

    def on_mount(self) -> None:
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="stock")
    def _load(self) -> None:
        from offline.services.stock import list_stock

        services = host(self.app).services
        today = services.now().date()
        months = services.profile.stock_age_months
        cards = list_stock(services.store, today=today)
        old = {c.card_id for c in list_stock(services.store, older_than_months=months, today=today)}
        self.post_message(self.Loaded(cards, old, months, today))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.cards, self.old_ids, self.months, self.today = (
            message.cards,
            message.old_ids,
            message.months,
            message.today,
        )
        self._show()

    def _show(self) -> None:
        overdue = [c for c in self.cards if is_overdue(c, self.today)]
        summary = [
            M.STOCK_TOTAL.format(count=len(self.cards)),
            M.STOCK_OVERDUE.format(count=len(overdue)),
            M.STOCK_OLD.format(months=self.months, count=len(self.old_ids)),
            f"筛选：{FILTER_LABELS[self.filter]}",
        ]
        self.query_one("#stock-summary", Static).update("  ".join(summary))
        shown = {
            "all": self.cards,
            "overdue": overdue,
            "old": [c for c in self.cards if c.card_id in self.old_ids],
        }[self.filter]
        from offline.lifecycle import CARD_MACHINE

        table = self.query_one(DataTable)
        table.clear()
        for c in shown:
            flag = "！" if is_overdue(c, self.today) else ""
            table.add_row(
                c.card_number,
                c.name,
                CARD_MACHINE.label(c.status),
                c.arrived_at[:10] or "—",
                f"{flag}{c.contact_deadline[:10] or '—'}",
                c.contacted_at[:10] or "否",
                key=str(c.card_id),
            )

    def action_temp_stock(self) -> None:
        from tui.screens.temp_stock import TempStockScreen

        self.app.push_screen(TempStockScreen())

    def action_cycle_filter(self) -> None:
        self.filter = FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]
        self._show()

    def selected_number(self) -> str:
        table = self.query_one(DataTable)
        if not table.row_count:
            return ""
        row = table.get_row_at(table.cursor_row)
        return str(row[0])

    def action_open_form(self, which: str) -> None:
        from tui.screens.forms.stock import AgeScreen, ContactScreen, ReceiveScreen

        number = self.selected_number()
        if which == "receive":
            self.app.push_screen(ReceiveScreen())
        elif which == "contact":
            self.app.push_screen(ContactScreen(prefill={"card_number": number} if number else None))
        else:
            self.app.push_screen(AgeScreen(prefill={"card_numbers": number} if number else None))
