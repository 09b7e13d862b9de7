"""The "leave this form?" question asked by Esc on a form that is not empty."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from tui.screens.forms import messages as M
from tui.widgets.compact import CompactModal


class ConfirmLeave(CompactModal[bool]):
    """ "表单已填写内容，确定返回吗？" — Y leaves, N/Esc stays."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "返回", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "继续填写", id="confirm.no"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(f"{M.CONFIRM_LEAVE}\n\n{M.CONFIRM_YES}   {M.CONFIRM_NO}")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
