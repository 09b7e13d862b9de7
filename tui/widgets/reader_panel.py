"""One line about the reader: none / insert a card / card present (number, holder) / removed.

The devices package's monitor calls back from its own thread; the app turns each callback into a
`ReaderEvent` (via `call_from_thread`) and publishes it on `app.reader_signal`, so this panel
repaints exactly when a card goes in or out — never on a timer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.widgets import Static

from tui import messages as M
from tui.host import host


@dataclass(frozen=True)
class ReaderState:
    """What the panel shows. `kind`: none | empty | present | removed | error."""

    kind: str = "none"
    card_number: str = ""
    holder: str = ""
    message: str = ""
    label: str = ""  # reader name or '模拟读卡器'


def reader_text(state: ReaderState) -> str:
    prefix = f"{M.READER_LABEL}（{state.label}）：" if state.label else f"{M.READER_LABEL}："
    if state.kind == "none":
        body = M.READER_NONE
    elif state.kind == "empty":
        body = M.READER_EMPTY
    elif state.kind == "present":
        body = (
            M.READER_CARD.format(card_number=state.card_number, name=state.holder).rstrip()
            if state.card_number
            else M.READER_PRESENT
        )
    elif state.kind == "removed":
        body = M.READER_REMOVED
    else:
        body = M.READER_ERROR.format(message=state.message)
    return prefix + body


def state_from_card(card: Any, label: str) -> ReaderState:
    """Build a 'present' state from a ChipCard (or None when the card could not be read)."""
    if card is None:
        return ReaderState("present", label=label)
    holder = getattr(card, "holder", None)
    name = getattr(holder, "name", "") if holder is not None else ""
    return ReaderState("present", card_number=str(getattr(card, "card_number", "")), holder=name, label=label)


class ReaderPanel(Static):
    """Docked above the footer; `show(state)` repaints only on change."""

    DEFAULT_CSS = """
    ReaderPanel {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: ansi_default;
        color: ansi_default;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    ReaderPanel.-present { color: ansi_green; }
    ReaderPanel.-error { color: ansi_red; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._text = ""

    def on_mount(self) -> None:
        app = host(self.app)
        self.show(app.reader_state)
        app.reader_signal.subscribe(self, self.show)

    def show(self, state: ReaderState) -> None:
        text = reader_text(state)
        if text == self._text:
            return
        self._text = text
        self.set_class(state.kind == "present", "-present")
        self.set_class(state.kind == "error", "-error")
        self.update(text, layout=False)

    @property
    def text(self) -> str:
        return self._text
