"""A frugal Chinese footer: one line of "key description" pairs, repainted only when it changes.

Why not the stock Footer: it recomposes a widget per binding every time the focused widget
changes (bindings_updated), so each Tab repaints the whole bottom line through several
widgets, and its key names are English. This one renders a single string and compares it with
what is on screen before updating.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.screen import Screen
from textual.widgets import Static


class StationFooter(Static):
    """Bottom line with the keys of the current screen (only bindings with show=True)."""

    DEFAULT_CSS = """
    StationFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: ansi_default;
        color: ansi_default;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._text = ""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self.refresh_keys)

    def _bindings_changed(self, _screen: Screen[object]) -> None:
        self.refresh_keys()

    def footer_text(self) -> str:
        """'F2 申领  F3 发放 …' for the enabled, visible bindings, cut to the width."""
        seen: set[str] = set()
        parts: list[str] = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not binding.description or not active.enabled:
                continue
            if binding.description in seen:
                continue
            seen.add(binding.description)
            parts.append(f"{self.app.get_key_display(binding)} {binding.description}")
        width = max(self.size.width, 80)
        out = ""
        for part in parts:
            candidate = f"{out}  {part}" if out else part
            if cell_len(candidate) > width:
                break
            out = candidate
        return out

    def refresh_keys(self) -> None:
        text = self.footer_text()
        if text != self._text:
            self._text = text
            self.update(text)

    @property
    def text(self) -> str:
        return self._text
