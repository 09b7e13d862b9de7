"""Person search: one input for SSN, card number, name or pinyin initials (F5).

`offline.services.queries.search_persons` decides what was typed (18-char SSN, 9-char card
number, Chinese name prefix, ASCII initials) and answers from an index. The query runs in a
thread worker, debounced, and the results table is rebuilt only when the hits changed, so a
county clerk typing over SSH gets one repaint per result change, not per keystroke.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from tui.host import host
from tui.screens.forms import messages as M
from tui.widgets.compact import CompactInput, CompactScreen, FieldRow
from tui.widgets.footer import StationFooter

DEBOUNCE_S = 0.25


class SearchScreen(CompactScreen[None]):
    """查询人员 → Enter opens the person page."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", M.KEY_OPEN, id="search.open"),
        Binding("down", "to_results", "", show=False, id="search.down"),
    ]

    class Results(Message):
        def __init__(self, text: str, hits: list[Any], error: str = "") -> None:
            super().__init__()
            self.text = text
            self.hits = hits
            self.error = error

    def __init__(self, query: str = "") -> None:
        super().__init__(id="search")
        self.initial = query
        self.hits: list[Any] = []
        self._key: tuple[Any, ...] = ()
        self._timer: Any = None

    def compose(self) -> ComposeResult:
        yield Static(M.SEARCH_TITLE, id="search-title")
        yield FieldRow(
            M.SEARCH_LABEL, CompactInput(self.initial, placeholder=M.SEARCH_PLACEHOLDER, id="search-input")
        )
        yield Static(M.SEARCH_HINT, id="search-status")
        table: DataTable[str] = DataTable(id="search-results", cursor_type="row", zebra_stripes=False)
        table.add_columns(*M.SEARCH_COLUMNS)
        yield table
        yield StationFooter()

    def on_mount(self) -> None:
        self.query_one("#search-input").focus()
        if self.initial:
            self._search(self.initial)

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        text = event.value
        self._timer = self.set_timer(DEBOUNCE_S, lambda: self._search(text))

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if len(self.hits) == 1:
            self._open(0)
        else:
            self._search(event.value)
            self.action_to_results()

    @work(thread=True, exclusive=True, group="search")
    def _search(self, text: str) -> None:
        text = text.strip()
        if not text:
            self.post_message(self.Results(text, []))
            return
        from offline.errors import DomainError
        from offline.services.reads import find_persons

        try:  # R-SEC-2: the service decides who may read personal data
            hits = find_persons(host(self.app).make_ctx(), text)
        except DomainError as exc:
            self.post_message(self.Results(text, [], str(exc.problems[0].message)))
            return
        self.post_message(self.Results(text, hits))

    @on(Results)
    def _results(self, message: Results) -> None:
        status = self.query_one("#search-status", Static)
        if message.error:
            status.update(message.error)
            return
        key = tuple((h.person_id, h.card_number, h.card_status) for h in message.hits)
        if not message.text:
            status.update(M.SEARCH_HINT)
        elif not message.hits:
            status.update(M.SEARCH_NONE)
        else:
            status.update(M.SEARCH_COUNT.format(count=len(message.hits)))
        if key == self._key:
            return  # nothing changed: no repaint of the table
        self._key = key
        self.hits = message.hits
        table = self.query_one(DataTable)
        table.clear()
        for hit in message.hits:
            sex = {"1": "男", "2": "女"}.get(hit.sex, "")
            table.add_row(
                hit.name, hit.ssn, sex, hit.card_number or "—", hit.card_status or "—", key=str(hit.person_id)
            )

    def action_to_results(self) -> None:
        if self.hits:
            self.query_one(DataTable).focus()

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.has_focus and self.hits:
            self._open(table.cursor_row)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._open(event.cursor_row)

    def _open(self, index: int) -> None:
        if 0 <= index < len(self.hits):
            from tui.screens.person import PersonScreen

            self.app.push_screen(PersonScreen(self.hits[index].person_id))
