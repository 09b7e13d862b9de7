"""Where keys and the palette take the operator: item screens, sync, alerts, back.

One idea, split from tui/app.py: opening screens. Business keys work only when logged in and
unlocked; a screen already open is returned to rather than opened twice (`push_unique`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.screen import Screen

from tui import messages as M

if TYPE_CHECKING:
    from offline.business import Operator
    from tui.context import AppServices

#: Screens whose Esc does not pop (they are the bottom of a stack or must not be left by Esc).
_ROOT_SCREENS = ("LoginScreen", "HomeScreen", "LockScreen")


class Navigation(App[None]):
    """The navigation side of `StationApp` (a mixin)."""

    services: AppServices
    operator: Operator | None
    _locked: bool

    if TYPE_CHECKING:

        def lock(self, *, idle: bool) -> None:
            """Provided by another part of StationApp (declared here for the type checker)."""

        def logout(self, reason: str = "logout") -> None:
            """Provided by another part of StationApp (declared here for the type checker)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Business keys work only when logged in and unlocked; they vanish from the footer otherwise."""
        if action in (
            "open_item",
            "open_search",
            "open_sync",
            "open_alerts",
            "open_sessions",
            "open_delivery",
            "open_report",
            "open_walkin",
            "lock",
            "command_palette",
            "logout",
        ):
            return self.operator is not None and not self._locked
        if action == "demo_insert_card":
            return self.services.demo_reader is not None and self.operator is not None and not self._locked
        return True

    def may(self, action: str) -> bool:
        """R-SEC-2 before a form is filled: a refused action opens nothing and says why."""
        from offline.permissions import ACTION_NAMES, ROLE_NAMES, allowed

        op = self.operator
        if op is None or action not in ACTION_NAMES or allowed(op.role, action):
            return True
        role = ROLE_NAMES.get(op.role, op.role)
        self.notify(
            f"{role}（{op.real_name}）无权办理“{ACTION_NAMES[action]}”（R-SEC-2）。请由有此权限的人员办理。",
            severity="error",
        )
        return False

    def action_open_item(self, code: str) -> None:
        """Open a service item's screen (tui/screens/items.py: ITEM_SCREENS), imported on first use."""
        from tui.screens.items import ITEM_SCREENS

        if not self.may(code):
            return

        cls = ITEM_SCREENS.get(code)
        if cls is None:
            self.notify(M.HOME_NOT_WIRED, severity="warning")
            return
        self.push_unique(cls())

    def action_demo_insert_card(self) -> None:
        from tui.screens.insert_card import InsertCardScreen

        self.push_unique(InsertCardScreen())

    def action_open_walkin(self) -> None:
        """Ctrl+W: a holder the station does not know, no card in hand (未登记持卡人, 待卡管核实)."""
        from tui.screens.forms.walkin import open_walkin

        if self.may("walkin"):
            open_walkin(self)

    def action_open_search(self) -> None:
        from tui.screens.search import SearchScreen

        if self.may("search"):
            self.push_unique(SearchScreen())

    def action_open_sync(self) -> None:
        from tui.screens.sync import SyncScreen

        self.push_unique(SyncScreen())

    def action_open_delivery(self) -> None:
        """F12: door-to-door delivery runs (mobile service teams, R-ISS-7)."""
        from tui.screens.delivery import DeliveryScreen

        if self.may("delivery.work"):
            self.push_unique(DeliveryScreen())

    def action_open_report(self) -> None:
        """Ctrl+R: the daily report (日报) of businesses and fees."""
        from tui.screens.report import ReportScreen

        if self.may("report.daily"):
            self.push_unique(ReportScreen())

    def action_open_alerts(self) -> None:
        from tui.screens.alerts import AlertsScreen

        self.push_unique(AlertsScreen())

    def action_open_sessions(self) -> None:
        from tui.screens.sessions import SessionsScreen

        self.push_unique(SessionsScreen())

    def action_command_palette(self) -> None:
        from tui.palette import PaletteScreen

        if not any(type(s).__name__ == "PaletteScreen" for s in self.screen_stack):
            self.push_screen(PaletteScreen())

    def action_lock(self) -> None:
        self.lock(idle=False)

    def action_logout(self) -> None:
        self.logout()

    def action_go_back(self) -> None:
        """Esc: leave the current screen unless it is a root screen (login, home, lock)."""
        if type(self.screen).__name__ in _ROOT_SCREENS or len(self.screen_stack) <= 2:
            return
        self.pop_screen()

    def push_unique(self, screen: Screen[Any]) -> None:
        """Push a screen unless one of its class is already open: then go back to that one.

        Screens carry fixed ids (a form per item, the stock screen ...); F9 F8 F9 must return to
        the stock screen under the sync screen, not mount a second one (DuplicateIds), and the
        half-typed form it holds is kept.
        """
        wanted = type(screen)
        if type(self.screen) is wanted:
            return
        if any(type(s) is wanted for s in self.screen_stack):
            while type(self.screen) is not wanted:
                self.pop_screen()
            return
        self.push_screen(screen)
