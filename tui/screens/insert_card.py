"""模拟插卡 (Ctrl+O, demo and emulated reader only): put a holder's card or a blank temporary
card in the emulated reader.

In the demo there is no plastic: the operator types a holder's name, pinyin initials, SSN or card
number and picks the card; the composition root's `services.demo_reader`
(cardstation/demo_reader.py) makes the card the holder would bring, from the holder's record, and
puts it in the emulated reader (in-process, or behind pcscd through vpcd). With nothing typed the
list shows the temporary cards in stock, blank, for 临时卡. Ctrl+X takes the card out.

A real station never shows this screen: the key does nothing unless the app runs in demo mode
with an emulated reader (`StationApp.check_action`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from tui.widgets.compact import CompactInput, CompactScreen, FieldRow
from tui.widgets.footer import StationFooter
from tui.widgets.reader_panel import ReaderState

TITLE = "模拟插卡（演示）"
LABEL = "持卡人/卡号"
PLACEHOLDER = "姓名、拼音首字母、社保号码或卡号；空=在库空白临时卡"
HINT = "输入后 ↓ 选择，Enter 插卡；Ctrl+X 拔卡；Esc 返回"
NONE = "没有找到对应的卡；空白临时卡请清空输入框查看"
COUNT = "找到 {count} 张卡，↓ 选择后 Enter 插入读卡器"
REMOVED = "已拔出模拟卡"
UNAVAILABLE = "只有演示模式（模拟读卡器）才能模拟插卡"
DEBOUNCE_S = 0.25


def demo_reader_of(app: Any) -> Any:
    """The demo's emulated reader, or None on a real station."""
    services = getattr(app, "services", None)
    return getattr(services, "demo_reader", None) if services is not None else None


class InsertCardScreen(CompactScreen[None]):
    """The 模拟插卡 picker."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "to_list", "", show=False, id="insert_card.down"),
        Binding("ctrl+x", "remove", "拔卡", id="insert_card.remove", priority=True),
        Binding("escape", "app.go_back", "返回", id="insert_card.back"),
    ]
    DEFAULT_CSS = """
    InsertCardScreen { background: ansi_default; }
    InsertCardScreen > #insert-title { height: 1; text-style: bold; }
    InsertCardScreen > #insert-status { height: 1; }
    InsertCardScreen > DataTable { height: 1fr; }
    """

    class Found(Message):
        def __init__(self, choices: list[Any]) -> None:
            super().__init__()
            self.choices = choices

    class Inserted(Message):
        def __init__(self, text: str, number: str, holder: str) -> None:
            super().__init__()
            self.text, self.number, self.holder = text, number, holder

    def __init__(self) -> None:
        super().__init__(id="insert-card")
        self.choices: list[Any] = []
        self._timer: Any = None

    def compose(self) -> ComposeResult:
        yield Static(TITLE, id="insert-title", markup=False)
        yield FieldRow(LABEL, CompactInput("", placeholder=PLACEHOLDER, id="insert-input"))
        yield Static(HINT, id="insert-status", markup=False)
        table: DataTable[str] = DataTable(id="insert-choices", cursor_type="row")
        table.add_columns("卡")
        yield table
        yield StationFooter()

    def on_mount(self) -> None:
        self.query_one("#insert-input").focus()
        if demo_reader_of(self.app) is None:
            self._status(UNAVAILABLE)
            return
        self._find("")

    def _status(self, text: str) -> None:
        self.query_one("#insert-status", Static).update(text, layout=False)

    @on(Input.Changed, "#insert-input")
    def _changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        text = event.value
        self._timer = self.set_timer(DEBOUNCE_S, lambda: self._find(text))

    @on(Input.Submitted, "#insert-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if len(self.choices) == 1:
            self._insert(self.choices[0].card_number)
        else:
            self.action_to_list()

    @work(thread=True, exclusive=True, group="insert-card", exit_on_error=False)
    def _find(self, text: str) -> None:
        reader = demo_reader_of(self.app)
        if reader is not None:
            self.post_message(self.Found(list(reader.choices(text))))

    @on(Found)
    def _found(self, message: Found) -> None:
        self.choices = message.choices
        table = self.query_one(DataTable)
        table.clear()
        for c in message.choices:
            table.add_row(c.label, key=c.card_number)
        self._status(COUNT.format(count=len(message.choices)) if message.choices else NONE)

    def action_to_list(self) -> None:
        if self.choices:
            self.query_one(DataTable).focus()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.choices):
            self._insert(self.choices[event.cursor_row].card_number)

    @work(thread=True, exclusive=True, group="insert-card-do", exit_on_error=False)
    def _insert(self, number: str) -> None:
        reader = demo_reader_of(self.app)
        if reader is None:
            return
        try:
            text = reader.insert(number)
        except Exception as exc:  # a broken card file must not end the demo
            self.post_message(self.Inserted(f"插卡失败：{getattr(exc, 'message_zh', None) or exc}", "", ""))
            return
        holder = text.partition("（")[2].rstrip("）") if "（" in text else ""
        self.post_message(self.Inserted(text, number, holder if holder != "空白临时卡" else ""))

    @on(Inserted)
    def _inserted(self, message: Inserted) -> None:
        self._status(message.text)
        if not message.number:
            return
        label = getattr(self.app.services, "reader_label", "")  # type: ignore[attr-defined]
        setter = getattr(self.app, "set_reader_state", None)
        if callable(setter):
            setter(ReaderState("present", card_number=message.number, holder=message.holder, label=label))
        self.app.notify(message.text, title=TITLE)
        self.app.pop_screen()

    def action_remove(self) -> None:
        reader = demo_reader_of(self.app)
        if reader is None:
            return
        reader.remove()
        label = getattr(self.app.services, "reader_label", "")  # type: ignore[attr-defined]
        setter = getattr(self.app, "set_reader_state", None)
        if callable(setter):
            setter(ReaderState("empty", label=label))
        self._status(REMOVED)
