"""Temporary-card stock (item 15, R-TMP-5; HN 31): how many cards in each state, recent moves.

Counts come from `offline.services.temp_cards.temp_stock_counts` (every state, 0 when none);
a low in-stock count against `profile.temp_stock_low` is said plainly. Recent moves come from
`recent_moves(store, limit=...)` of `offline.services.temp_stock` (or temp_cards) once the
card-services module offers it; until then the list stays empty. `m` opens the stock-move form (sign in → distribute → in stock → out of stock).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Static

from offline.services.temp_stock import TempMove
from tui.host import host
from tui.screens.forms import messages as M
from tui.widgets.compact import CompactScreen
from tui.widgets.footer import StationFooter

MOVES_SHOWN = 12


class TempStockScreen(CompactScreen[None]):
    """临时卡库存."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "move", M.KEY_TEMP_MOVE, id="temp_stock.move"),
        Binding("r", "reload", M.KEY_REFRESH, id="temp_stock.reload"),
    ]
    DEFAULT_CSS = """
    TempStockScreen { background: ansi_default; }
    TempStockScreen > #temp-title { height: 1; text-style: bold; }
    TempStockScreen > #temp-counts { height: auto; }
    TempStockScreen > #temp-low { height: auto; color: ansi_yellow; }
    TempStockScreen > .temp-section { height: 1; color: ansi_cyan; text-style: bold; }
    TempStockScreen > DataTable { height: 1fr; scrollbar-size-vertical: 1; }
    """

    class Loaded(Message):
        def __init__(self, counts: dict[str, int], moves: list[TempMove], enabled: bool, low: int) -> None:
            super().__init__()
            self.counts = counts
            self.moves = moves
            self.enabled = enabled
            self.low = low

    def __init__(self) -> None:
        super().__init__(id="temp-stock")
        self.counts: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield Static(M.TEMP_STOCK_TITLE, id="temp-title")
        yield Static("", id="temp-counts")
        yield Static("", id="temp-low")
        yield Static(M.TEMP_STOCK_MOVES, classes="temp-section")
        table: DataTable[str] = DataTable(id="temp-moves", cursor_type="row")
        table.add_columns(*M.TEMP_STOCK_MOVE_COLUMNS)
        yield table
        yield StationFooter()

    def on_mount(self) -> None:
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="temp-stock")
    def _load(self) -> None:
        from offline.services import temp_stock

        services = host(self.app).services
        counts = temp_stock.temp_stock_counts(services.store)
        moves = temp_stock.recent_moves(services.store, limit=MOVES_SHOWN)
        enabled = services.profile.temp_cards
        low = services.profile.temp_stock_low
        self.post_message(self.Loaded(counts, moves, enabled, low))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        from offline.lifecycle import TEMP_MACHINE

        self.counts = message.counts
        parts = [f"{TEMP_MACHINE.label(state)} {n}" for state, n in message.counts.items()]
        text = "  ".join(parts) if message.enabled else M.TEMP_STOCK_DISABLED
        self.query_one("#temp-counts", Static).update(f"{M.TEMP_STOCK_COUNTS}：{text}")
        low = message.enabled and message.counts.get("in_stock", 0) < message.low
        self.query_one("#temp-low", Static).update(M.TEMP_STOCK_LOW.format(low=message.low) if low else "")
        table = self.query_one(DataTable)
        table.clear()
        for m in message.moves:
            table.add_row(
                m.at[5:16].replace("T", " "),
                m.card_number,
                TEMP_MACHINE.label(m.from_state),
                TEMP_MACHINE.label(m.to_state),
                m.operator,
            )

    def action_move(self) -> None:
        from tui.screens.forms.temp_card import TempMoveScreen

        self.app.push_screen(TempMoveScreen())
