"""The command palette (Ctrl+P): find any service item by Chinese name or pinyin initials.

Why our own instead of Textual's CommandPalette: Textual's shows English texts ("No matches
found"), animates a loading indicator while searching (repaints over slow SSH) and runs async
providers for a list of two dozen entries. Ours is a modal with one compact input and a
line list; matching is a pure function (`match_commands`) tested without a terminal.

Matching: an entry matches when its Chinese name contains the query, or its pinyin initials
start with (or contain) the query, case-insensitive. Prefix matches of the initials come first,
then name matches, then contained initials, each in menu order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from offline.items import SERVICE_ITEMS
from tui import messages as M
from tui.host import host
from tui.widgets.compact import CompactInput, CompactModal


@dataclass(frozen=True)
class PaletteEntry:
    """One thing the palette can do: an app action (e.g. "open_item('apply')") with its names."""

    key: str
    name: str
    initials: str
    action: str
    help: str = ""


def palette_entries() -> list[PaletteEntry]:
    """All service items first (menu order), then the shell's own commands."""
    entries = [
        PaletteEntry(
            item.code,
            item.name_zh,
            item.initials,
            f"open_item('{item.code}')",
            M.PALETTE_ITEM_HELP.format(name=item.name_zh, sources=item.sources),
        )
        for item in SERVICE_ITEMS
    ]
    actions = {
        "search": "open_search",
        "sync": "open_sync",
        "alerts": "open_alerts",
        "sessions": "open_sessions",
        "delivery": "open_delivery",
        "report": "open_report",
        "walkin": "open_walkin",
        "lock": "lock",
        "logout": "logout",
        "quit": "quit",
    }
    for key, (name, initials) in M.PALETTE_OTHER.items():
        entries.append(PaletteEntry(key, name, initials, actions[key]))
    return entries


def match_commands(query: str, entries: list[PaletteEntry] | None = None) -> list[PaletteEntry]:
    """Entries matching `query` by Chinese name or pinyin initials (see module docstring)."""
    entries = palette_entries() if entries is None else entries
    q = query.strip().lower().replace(" ", "")
    if not q:
        return list(entries)
    prefix = [e for e in entries if e.initials.startswith(q)]
    by_name = [e for e in entries if q in e.name and e not in prefix]
    inside = [e for e in entries if q in e.initials and e not in prefix and e not in by_name]
    return prefix + by_name + inside


class PaletteScreen(CompactModal[None]):
    """Type to filter; ↑/↓ choose; Enter runs; Esc closes."""

    AUTO_FOCUS = "#palette-input"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "关闭", id="palette.close"),
        Binding("down", "cursor(1)", show=False, id="palette.down", priority=True),
        Binding("up", "cursor(-1)", show=False, id="palette.up", priority=True),
    ]
    DEFAULT_CSS = """
    PaletteScreen { align: center top; }
    PaletteScreen #palette-box { width: 70; height: auto; max-height: 20; margin: 2 0 0 0; padding: 0 1; }
    PaletteScreen OptionList { height: auto; max-height: 16; border: none; padding: 0;
                               background: ansi_default; scrollbar-size: 1 1; }
    PaletteScreen OptionList:focus { border: none; background-tint: initial; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown: list[PaletteEntry] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="palette-box", classes="panel"):
            yield CompactInput(placeholder=M.PALETTE_PLACEHOLDER, id="palette-input")
            yield OptionList(id="palette-list")

    def on_mount(self) -> None:
        self._fill("")

    def _fill(self, query: str) -> None:
        shown = match_commands(query)
        if shown == self._shown:
            return
        self._shown = shown
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(f"{e.name}  {e.initials}", id=e.key) for e in shown])
        if shown:
            options.highlighted = 0

    @property
    def shown(self) -> list[PaletteEntry]:
        return list(self._shown)

    @on(Input.Changed, "#palette-input")
    def _changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#palette-input")
    def _submitted(self) -> None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is not None and 0 <= index < len(self._shown):
            self._run(self._shown[index])

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._run(self._shown[event.option_index])

    def action_cursor(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if not self._shown:
            return
        current = options.highlighted or 0
        options.highlighted = max(0, min(len(self._shown) - 1, current + delta))

    def action_close(self) -> None:
        self.dismiss()

    def _run(self, entry: PaletteEntry) -> None:
        app = host(self.app)
        self.dismiss()
        app.call_later(app.run_action, entry.action)
