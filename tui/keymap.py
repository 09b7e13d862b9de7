"""Default key bindings as data, each with a stable id so a station can remap keys.

Remapping: the config file's `[keys]` section maps a binding id to keys
(`"app.item.apply" = "f2"`); the app applies it with `App.set_keymap`. Business screens
define their own screen-level bindings with ids prefixed by the screen name
(e.g. `apply.submit`), which the same `[keys]` section can remap.

F-keys carry the frequent items (F2 申领 ... F9 库存) so the window clerk never leaves the
keyboard; Esc goes back; Ctrl+P opens the command palette; Ctrl+L locks the screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.binding import Binding


@dataclass(frozen=True)
class KeySpec:
    """One default binding: id, keys, action, Chinese description for the footer."""

    id: str
    keys: str
    action: str
    description: str
    show: bool = True
    priority: bool = False
    key_display: str | None = None


#: Service items reachable from anywhere by an F-key (item code → (binding id, key, footer label)).
ITEM_FKEYS: dict[str, tuple[str, str, str]] = {
    "apply": ("app.item.apply", "f2", "申领"),
    "issue": ("app.item.issue", "f3", "发放"),
    "temp_card": ("app.item.temp_card", "f4", "临时卡"),
    "temp_loss": ("app.item.temp_loss", "f6", "挂失"),
    "pin_change": ("app.item.pin_change", "f7", "密码"),
    "stock": ("app.item.stock", "f9", "库存"),
}

#: App-wide bindings (active whenever an operator is logged in; the login and lock screens
#: stop them by not offering the actions, see StationApp.check_action).
APP_KEYS: tuple[KeySpec, ...] = (
    *(
        KeySpec(bid, key, f"open_item('{code}')", label, priority=True)
        for code, (bid, key, label) in sorted(ITEM_FKEYS.items(), key=lambda kv: int(kv[1][1][1:]))
        if key < "f5"
    ),
    KeySpec("app.search", "f5", "open_search", "查询", priority=True),
    *(
        KeySpec(bid, key, f"open_item('{code}')", label, priority=True)
        for code, (bid, key, label) in ITEM_FKEYS.items()
        if key in ("f6", "f7")
    ),
    KeySpec("app.sync", "f8", "open_sync", "同步", priority=True),
    *(
        KeySpec(bid, key, f"open_item('{code}')", label, priority=True)
        for code, (bid, key, label) in ITEM_FKEYS.items()
        if key == "f9"
    ),
    KeySpec("app.alerts", "f10", "open_alerts", "提醒", show=False, priority=True),
    KeySpec("app.sessions", "f11", "open_sessions", "会话", show=False, priority=True),
    KeySpec("app.delivery", "f12", "open_delivery", "上门发放", show=False, priority=True),
    KeySpec("app.report", "ctrl+r", "open_report", "日报表", show=False, priority=True),
    KeySpec("app.walkin", "ctrl+w", "open_walkin", "未登记持卡人", show=False, priority=True),
    KeySpec("app.lock", "ctrl+l", "lock", "锁屏", priority=True),
    KeySpec("app.command_palette", "ctrl+p", "command_palette", "命令", show=False, priority=True),
    KeySpec("app.quit", "ctrl+q", "quit", "退出", show=False, priority=True),
    KeySpec("app.help_quit", "ctrl+c", "help_quit", "", show=False),
)

#: Home screen: one key per service item (digits for 1-9, then letters), shown before each item.
HOME_ITEM_KEYS: tuple[str, ...] = (
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "g",
    "h",
    "i",
)

#: Display names for keys in the footer and on screens (Chinese terminals show these literally).
KEY_DISPLAY: dict[str, str] = {
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "shift+tab": "Shift+Tab",
    "ctrl+l": "^L",
    "ctrl+p": "^P",
    "ctrl+q": "^Q",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "space": "空格",
}


def key_display(key: str) -> str:
    """Short label for a key: 'f2' → 'F2', 'escape' → 'Esc', 'ctrl+x' → '^X'."""
    first = key.split(",")[0].strip()
    if first in KEY_DISPLAY:
        return KEY_DISPLAY[first]
    if first.startswith("f") and first[1:].isdigit():
        return first.upper()
    if first.startswith("ctrl+"):
        return "^" + first[5:].upper()
    return first.upper() if len(first) == 1 else first


def to_bindings(specs: tuple[KeySpec, ...] | list[KeySpec]) -> list[Binding]:
    """Textual Binding objects (with ids) from specs."""
    from textual.binding import Binding

    return [
        Binding(
            s.keys,
            s.action,
            s.description,
            show=s.show,
            priority=s.priority,
            id=s.id,
            key_display=s.key_display,
        )
        for s in specs
    ]


def parse_keymap(keys: dict[str, str]) -> dict[str, str]:
    """Validate a `[keys]` table: drop empty entries, normalise spacing ('F2, f3' → 'f2,f3')."""
    out: dict[str, str] = {}
    for binding_id, value in keys.items():
        parts = [p.strip().lower() for p in str(value).split(",") if p.strip()]
        if parts:
            out[binding_id] = ",".join(parts)
    return out
