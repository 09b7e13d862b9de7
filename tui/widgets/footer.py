"""A frugal Chinese footer: one line of "key description" pairs, repainted only when it changes.

Why not the stock Footer: it recomposes a widget per binding every time the focused widget
changes (bindings_updated), so each Tab repaints the whole bottom line through several
widgets, and its key names are English. This one renders a single string and compares it with
what is on screen before updating.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from tui.widgets.builtin_zh import zh


class StationFooter(Static):
    """Bottom line with the keys of the current screen (only bindings with show=True)."""

    DEFAULT_CSS = """
    StationFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)  # noqa: RUF100
        self._text = ""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self.refresh_keys)

    def _bindings_changed(self, _screen: Screen[object]) -> None:
        self.refresh_keys()

    def footer_parts(self) -> list[tuple[str, str]]:
        """(key, description) of the enabled, visible bindings of the screen, first binding wins."""
        seen: set[str] = set()
        parts: list[tuple[str, str]] = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not binding.description or not active.enabled:
                continue
            description = zh(binding.description)
            if description in seen:
                continue
            seen.add(description)
            parts.append((self.app.get_key_display(binding), description))
        return parts

    def footer_text(self) -> str:
        """'F2 申领 F3 发放 …' cut to the width (whole entries only)."""
        width = max(self.size.width, 80)
        out = ""
        for key, description in self.footer_parts():
            candidate = f"{out} {key} {description}" if out else f"{key} {description}"
            if cell_len(candidate) > width:
                break
            out = candidate
        return out

    def refresh_keys(self) -> None:
        text = self.footer_text()
        if text == self._text:
            return
        self._text = text
        styled = Text()
        for index, (key, description) in enumerate(self.footer_parts()):
            entry = f"{key} {description}"
            if cell_len(styled.plain) + (1 if index else 0) + cell_len(entry) > cell_len(text):
                break
            if index:
                styled.append(" ")
            styled.append(key, style="bold cyan")
            styled.append(" " + description)
        self.update(styled, layout=False)

    @property
    def text(self) -> str:
        return self._text


class BottomBar(Vertical):
    """The reader line above the key line, docked together at the bottom of a screen.

    Two widgets docked to the same edge would overlap, so screens yield one `BottomBar()`
    instead of a ReaderPanel and a StationFooter.
    """

    DEFAULT_CSS = """
    BottomBar { dock: bottom; height: auto; width: 1fr; }
    BottomBar > StationFooter { dock: none; }
    BottomBar > ReaderPanel { dock: none; }
    """

    def __init__(self, *, reader: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.reader = reader

    def compose(self) -> ComposeResult:
        from tui.widgets.reader_panel import ReaderPanel

        if self.reader:
            yield ReaderPanel()
        yield StationFooter()
