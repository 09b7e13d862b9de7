"""Which screen serves each service item (the home screen and the palette open these lazily).

Every code of `offline.items.SERVICE_ITEMS` maps to "module:ScreenClass"; a test checks the
mapping is complete and that every class imports. Screens are built with no arguments by the
shell; `open_item_screen()` builds them with a prefill (from the person page).
"""

from __future__ import annotations

import importlib
from typing import Any

_F = "tui.screens.forms"

ITEM_SCREENS: dict[str, str] = {
    "apply": f"{_F}.apply:ApplyScreen",
    "replace": f"{_F}.replace:ReplaceScreen",
    "cancel": f"{_F}.cancel:CancelScreen",
    "activate": f"{_F}.activate:ActivateScreen",
    "temp_loss": f"{_F}.losses:TempLossScreen",
    "formal_loss": f"{_F}.losses:FormalLossScreen",
    "lift_loss": f"{_F}.losses:LiftLossScreen",
    "pin_change": f"{_F}.pins:PinChangeScreen",
    "pin_reset": f"{_F}.pins:PinResetScreen",
    "pin_unlock": f"{_F}.pins:PinUnlockScreen",
    "query": f"{_F}.query:QueryScreen",
    "info_change": f"{_F}.info_change:InfoChangeScreen",
    "key_info_change": f"{_F}.key_info_change:KeyInfoChangeScreen",
    "issue": f"{_F}.issue:IssueScreen",
    "temp_card": f"{_F}.temp_card:TempCardScreen",
    "transfer": f"{_F}.transfer:TransferScreen",
    "bank_change": f"{_F}.bank_change:BankChangeScreen",
    "stock": "tui.screens.stock:StockScreen",
}

PERSON_SCREEN = "tui.screens.person:PersonScreen"
SEARCH_SCREEN = "tui.screens.search:SearchScreen"
STOCK_SCREEN = "tui.screens.stock:StockScreen"
TEMP_STOCK_SCREEN = "tui.screens.temp_stock:TempStockScreen"
SYNC_SCREEN = "tui.screens.sync:SyncScreen"
RECEIPT_SCREEN = "tui.screens.receipt:ReceiptScreen"


def screen_class(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def open_item_screen(app: Any, code: str, *, prefill: dict[str, str] | None = None) -> None:
    """Push the item's screen; forms take the prefill (e.g. SSN and card number of a person)."""
    path = ITEM_SCREENS.get(code)
    if path is None:
        return
    cls = screen_class(path)
    from tui.screens.forms.base import FormScreen

    # Through the app's push_unique: a form already open under this screen is returned to (with
    # what was typed in it) rather than mounted twice (fixed screen ids, DuplicateIds).
    push = getattr(app, "push_unique", app.push_screen)
    if issubclass(cls, FormScreen):
        keys = {f.key for f in cls.FIELDS}
        push(cls(prefill={k: v for k, v in (prefill or {}).items() if k in keys}))
    else:
        push(cls())


#: Field work (door-to-door delivery runs, R-ISS-7) and supervision (daily report).
DELIVERY_SCREEN = "tui.screens.delivery:DeliveryScreen"
REPORT_SCREEN = "tui.screens.report:ReportScreen"
