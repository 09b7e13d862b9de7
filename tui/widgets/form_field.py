"""A yes/no flag on a form: the compact checkbox, whose `[X]` / `[ ]` is readable without colour.

Kept as its own name because the form layout (tui/screens/forms/form_layout.py) builds flags
with it; the state marks live in `CompactCheckbox`, so every checkbox in the app shows them.
"""

from __future__ import annotations

from tui.widgets.compact import CompactCheckbox


class FlagBox(CompactCheckbox):
    """One-line checkbox showing its state as [X] or [ ]."""

    def __init__(self, label: str, value: bool = False, *, id: str | None = None) -> None:
        super().__init__(label, value, id=id)
