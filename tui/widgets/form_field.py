"""A yes/no flag whose state is readable without colour: "[X] 标签" / "[ ] 标签".

Why: the stock checkbox always draws an "X" and shows on/off by colour only, which
disappears under NO_COLOR, in 16-colour terminals and on a monochrome SSH client. The
brackets are ASCII, so CJK terminals that draw ambiguous-width characters wide stay aligned.
"""

from __future__ import annotations

from tui.widgets.compact import CompactCheckbox


class FlagBox(CompactCheckbox):
    """One-line checkbox showing its state as [X] or [ ]."""

    BUTTON_LEFT = "["
    BUTTON_RIGHT = "]"

    def __init__(self, label: str, value: bool = False, *, id: str | None = None) -> None:
        super().__init__(label, value, id=id)
        self.BUTTON_INNER = "X" if value else " "

    def watch_value(self) -> None:
        self.BUTTON_INNER = "X" if self.value else " "
        super().watch_value()
