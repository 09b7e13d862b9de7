"""Which screen serves each service item (the home screen, the F-keys and the palette open these).

Every code of `offline.items.SERVICE_ITEMS` maps to its screen class; a test checks the mapping
is complete. The app imports this module on the first item it opens (not at start-up), which
imports the forms. Screens are built with no arguments by the shell; `open_item_screen()` builds
them with a prefill (from the person page).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from tui.screens.forms.activate import ActivateScreen
from tui.screens.forms.apply import ApplyScreen
from tui.screens.forms.bank_change import BankChangeScreen
from tui.screens.forms.base import FormScreen
from tui.screens.forms.cancel import CancelScreen
from tui.screens.forms.info_change import InfoChangeScreen
from tui.screens.forms.issue import IssueScreen
from tui.screens.forms.key_info_change import KeyInfoChangeScreen
from tui.screens.forms.losses import FormalLossScreen, LiftLossScreen, TempLossScreen
from tui.screens.forms.pins import PinChangeScreen, PinResetScreen, PinUnlockScreen
from tui.screens.forms.query import QueryScreen
from tui.screens.forms.replace import ReplaceScreen
from tui.screens.forms.temp_card import TempCardScreen
from tui.screens.forms.transfer import TransferScreen
from tui.screens.stock import StockScreen

if TYPE_CHECKING:
    from tui.app import StationApp

ITEM_SCREENS: dict[str, type[Screen[Any]]] = {
    "apply": ApplyScreen,
    "replace": ReplaceScreen,
    "cancel": CancelScreen,
    "activate": ActivateScreen,
    "temp_loss": TempLossScreen,
    "formal_loss": FormalLossScreen,
    "lift_loss": LiftLossScreen,
    "pin_change": PinChangeScreen,
    "pin_reset": PinResetScreen,
    "pin_unlock": PinUnlockScreen,
    "query": QueryScreen,
    "info_change": InfoChangeScreen,
    "key_info_change": KeyInfoChangeScreen,
    "issue": IssueScreen,
    "temp_card": TempCardScreen,
    "transfer": TransferScreen,
    "bank_change": BankChangeScreen,
    "stock": StockScreen,
}


def open_item_screen(app: StationApp, code: str, *, prefill: dict[str, str] | None = None) -> None:
    """Push the item's screen; forms take the prefill (e.g. SSN and card number of a person).

    Through the app's push_unique: a form already open under this screen is returned to (with
    what was typed in it) rather than mounted twice (fixed screen ids, DuplicateIds).
    """
    cls = ITEM_SCREENS.get(code)
    if cls is None:
        return
    if issubclass(cls, FormScreen):
        keys = {f.key for f in cls.FIELDS}
        app.push_unique(cls(prefill={k: v for k, v in (prefill or {}).items() if k in keys}))
    else:
        app.push_unique(cls())
