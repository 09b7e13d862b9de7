"""Home: every service item of business-rules.md section 1 with its key, alerts, reader, status.

The item menu is a line-API widget: moving the cursor repaints exactly the two changed lines,
so arrowing through the menu over SSH costs a few hundred bytes. Each item has a direct key
(1-9, a-i) and the frequent ones an F-key anywhere in the app (tui/keymap.py). Items open their
screens through `app.action_open_item(code)` (tui/screens/items.py: ITEM_SCREENS).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from offline.items import SERVICE_ITEMS, ServiceItem
from tui import keymap
from tui import messages as M
from tui.adapters import AlertLine
from tui.host import host
from tui.widgets.compact import CompactScreen
from tui.widgets.footer import BottomBar
from tui.widgets.statusbar import StatusBar

ROWS = 9
ALERT_LINES = 5

_KEY_STYLE = Style(color="cyan", bold=True)
_FKEY_STYLE = Style(color="yellow")
_CURSOR_STYLE = Style(reverse=True, bold=True)


def item_label(index: int, item: ServiceItem) -> tuple[str, str, str]:
    """(key, name, f-key) for the menu cell of item number `index` (0-based).

    Letters show in upper case, as the operator manual writes them (A–I); both cases work.
    """
    fkey = keymap.ITEM_FKEYS.get(item.code)
    return keymap.HOME_ITEM_KEYS[index].upper(), item.name_zh, (fkey[1].upper() if fkey else "")


def item_keys(key: str) -> str:
    """Binding keys for a menu key: a letter answers in both cases ('a' → 'a,A')."""
    return f"{key},{key.upper()}" if key.isalpha() else key


class ItemMenu(Widget, can_focus=True):
    """Two columns of nine items; arrows move, Enter opens, the item keys open directly."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1, 0)", show=False, id="home.up"),
        Binding("down", "move(1, 0)", show=False, id="home.down"),
        Binding("left", "move(0, -1)", show=False, id="home.left"),
        Binding("right", "move(0, 1)", show=False, id="home.right"),
        Binding("enter", "open", "打开", show=False, id="home.open"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.cursor = 0

    @property
    def items(self) -> tuple[ServiceItem, ...]:
        """The items this operator may handle (R-SEC-2): the 系统管理员 sees none."""
        from offline.permissions import allowed

        op = getattr(self.app, "operator", None)
        if op is None:
            return SERVICE_ITEMS
        return tuple(i for i in SERVICE_ITEMS if allowed(op.role, i.code))

    def _cell(self, index: int, width: int) -> list[Segment]:
        items = self.items
        if not items and index == 0:
            return [Segment(M.HOME_NO_ITEMS + " " * max(0, width - cell_len(M.HOME_NO_ITEMS)))]
        if index >= len(items):
            return [Segment(" " * width)]
        item = items[index]
        key, name, fkey = item_label(SERVICE_ITEMS.index(item), item)  # the item keeps its key
        focused = self.has_focus and index == self.cursor
        body = f" {name}"
        tail = f" {fkey}" if fkey else ""
        pad = max(0, width - 3 - cell_len(body) - cell_len(tail))
        segs = [
            Segment(f"[{key}]", _KEY_STYLE),
            Segment(body + " " * pad, _CURSOR_STYLE if focused else None),
            Segment(tail, _FKEY_STYLE),
        ]
        return segs

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        col = width // 2
        if y >= ROWS:
            return Strip.blank(width)
        segs = [*self._cell(y, col - 1), Segment(" "), *self._cell(y + ROWS, width - col)]
        return Strip(segs).crop_extend(0, width, None)

    def _refresh_index(self, index: int) -> None:
        self.refresh(Region(0, index % ROWS, self.size.width, 1))

    def action_move(self, drow: int, dcol: int) -> None:
        if not self.items:
            return
        row, column = self.cursor % ROWS, self.cursor // ROWS
        row = (row + drow) % ROWS
        column = (column + dcol) % 2
        new = min(column * ROWS + row, len(self.items) - 1)
        if new != self.cursor:
            old, self.cursor = self.cursor, new
            self._refresh_index(old)
            self._refresh_index(new)

    def action_open(self) -> None:
        if not self.items:
            return
        app = host(self.app)
        app.action_open_item(self.items[self.cursor].code)

    def on_focus(self) -> None:
        self._refresh_index(self.cursor)

    def on_blur(self) -> None:
        self._refresh_index(self.cursor)


def alerts_text(lines: list[AlertLine] | None) -> str:
    if lines is None:
        return M.HOME_ALERTS_UNAVAILABLE
    if not lines:
        return M.HOME_ALERTS_NONE
    shown = [f"• {a.text}" for a in lines[:ALERT_LINES]]
    if len(lines) > ALERT_LINES:
        shown[-1] = M.HOME_ALERTS_MORE.format(count=len(lines))
    return "\n".join(shown)


class HomeScreen(CompactScreen[None]):
    """The menu of all 18 items, the alerts summary, the reader line and the keys."""

    AUTO_FOCUS = "ItemMenu"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(item_keys(key), f"app.open_item('{item.code}')", show=False, id=f"home.item.{item.code}")
            for key, item in zip(keymap.HOME_ITEM_KEYS, SERVICE_ITEMS, strict=True)
        ),
    ]

    #: `alerts` not read in advance: the screen reads them itself after mounting.
    NOT_LOADED: ClassVar[object] = object()

    def __init__(self, alerts: Any = NOT_LOADED) -> None:
        super().__init__()
        self._preloaded = alerts is not self.NOT_LOADED
        self._text = alerts_text(alerts) if self._preloaded else M.HOME_ALERTS_LOADING
        self._resumed_once = False

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(f"{M.HOME_TITLE}　{M.HOME_HINT}", id="home-title", classes="title", markup=False)
        yield ItemMenu(id="home-menu")
        yield Static(M.HOME_OTHER, classes="hint", markup=False)
        alerts = Static(self._text, id="home-alerts-body", classes="panel", markup=False)
        alerts.border_title = M.HOME_ALERTS_TITLE
        yield alerts
        yield BottomBar()

    def on_mount(self) -> None:
        if not self._preloaded:
            self.load_alerts()

    def on_screen_resume(self) -> None:
        # The first resume follows the mount (already loaded); later ones are returns from an
        # item screen, after which the alerts may have changed.
        if self._resumed_once:
            self.load_alerts()
        self._resumed_once = True

    @work(thread=True, exclusive=True, group="home-alerts", exit_on_error=False)
    def load_alerts(self) -> None:
        from tui import adapters

        try:
            lines = adapters.read_alerts(host(self.app).services)
        except Exception as exc:
            lines = [AlertLine("error", M.WORKER_ERROR.format(error=exc), severity="error")]
        self.app.call_from_thread(self._show_alerts, lines)

    def _show_alerts(self, lines: list[AlertLine] | None) -> None:
        text = alerts_text(lines)
        if text != self._text:
            self._text = text
            self.query_one("#home-alerts-body", Static).update(text, layout=False)
