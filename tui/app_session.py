"""The operator's session in the station app: service context, login, drafts, logout, lock.

One idea, split from tui/app.py: who is working and what they may do.

- `make_ctx()` — the ServiceContext business screens call services with;
- login → home (with the login worker's preloaded status and alerts), the drafts prompt, and
  `restore_draft(form)` for the screen that reopens a draft;
- logout / quit / SIGHUP close the session; sessions are touched at most once a minute;
- the idle lock pushes the lock screen on top, so a half-typed form stays underneath.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App

from tui import keymap
from tui import messages as M
from tui.config import Config
from tui.context import AppServices
from tui.widgets.statusbar import StatusSnapshot

if TYPE_CHECKING:
    from textual.signal import Signal

    from offline.business import Operator, ServiceContext
    from tui.adapters import PendingDraft


class OperatorSession(App[None]):
    """The session side of `StationApp` (a mixin; state is set in `StationApp.__init__`)."""

    services: AppServices
    config: Config
    operator: Operator | None
    status_snapshot: StatusSnapshot
    status_signal: Signal[StatusSnapshot]
    _last_input: float
    _last_touch: float
    _locked: bool
    _drafts: dict[str, dict[str, str]]
    _drafts_offered: list[PendingDraft]

    if TYPE_CHECKING:

        def refresh_status(self) -> None:
            """Provided by another part of StationApp (declared here for the type checker)."""

        def action_open_item(self, code: str) -> None:
            """Provided by another part of StationApp (declared here for the type checker)."""

    def make_ctx(self, *, with_card: bool = False) -> ServiceContext:
        """A ServiceContext for the logged-in operator; with_card asks the reader for the card.

        Raises CardError('no_reader'/'no_card') with a Chinese message when the card is needed
        and absent, and AuthError when nobody is logged in. Call it in the worker thread
        (reading the card talks to the reader).
        """
        from offline.business import ServiceContext
        from offline.errors import AuthError
        from offline.protocols import CardError

        if self.operator is None:
            raise AuthError("not_logged_in", M.NOT_LOGGED_IN)
        card = None
        if with_card:
            if self.services.card_provider is None:
                raise CardError("no_reader", M.NO_READER)
            card = self.services.card_provider()
            if card is None:
                raise CardError("no_card", M.NO_CARD)
        st = self.services.station
        return ServiceContext(
            store=self.services.store,
            operator=self.operator,
            sealer=self.services.sealer,
            station_id=st.station_id,
            service_point=st.service_point,
            terminal=st.terminal,
            profile=self.services.current_profile(),  # a profile update applies at once
            card=card,
            now=self.services.now,
        )

    def logged_in(
        self, operator: Operator, drafts: list[PendingDraft], preload: dict[str, Any] | None = None
    ) -> None:
        """Called by the login screen's worker result: switch to home, then offer drafts.

        `preload` (status and alerts read by the login worker) lets the home screen paint once,
        complete, instead of painting placeholders and then the data (bytes over slow SSH).
        """
        from tui.screens.home import HomeScreen

        self.operator = operator
        self._last_input = time.monotonic()
        self._last_touch = time.monotonic()
        preload = preload or {}
        status = preload.get("status")
        if isinstance(status, StatusSnapshot) and status != self.status_snapshot:
            self.status_snapshot = status
            self.status_signal.publish(status)
        self.switch_screen(HomeScreen(alerts=preload.get("alerts", HomeScreen.NOT_LOADED)))
        if status is None:
            self.refresh_status()
        if drafts:
            self._offer_drafts(drafts)

    def _offer_drafts(self, drafts: list[PendingDraft]) -> None:
        """Push the "有未完成的表单，是否恢复？" prompt; it reports back through `drafts_decided`.

        (No push_screen callback: the callback would belong to the login screen that the switch
        to home is removing at this very moment.)
        """
        from tui.screens.lock import DraftPrompt

        self._drafts_offered = drafts
        self.push_screen(DraftPrompt([(d.form, d.updated_at) for d in drafts]))

    def drafts_decided(self, restore: bool) -> None:
        """Y: keep the drafts for `restore_draft` and open the newest form; N: discard them."""
        drafts, self._drafts_offered = self._drafts_offered, []
        if restore:
            self._drafts = {d.form: d.data for d in drafts}
            self._open_first_draft([d.form for d in drafts])
        else:
            self._drafts = {}
            self._discard_drafts([d.form for d in drafts])

    def _open_first_draft(self, forms: list[str]) -> None:
        """Open the screen of the newest draft whose form is a service item code."""
        from offline.items import ITEMS_BY_CODE

        for form in forms:
            code = form.split(":")[0].split(".")[0]
            if code in ITEMS_BY_CODE:
                self.action_open_item(code)
                return

    @work(thread=True, group="drafts")
    def _discard_drafts(self, forms: list[str]) -> None:
        from tui import adapters

        if self.operator is not None:
            adapters.discard_drafts(self.services, self.operator.id, forms)

    def restore_draft(self, form: str) -> dict[str, str] | None:
        """The draft to restore into `form` (once), or None. No I/O: drafts were read at login.

        Business screens call this in `on_mount`; it returns data only when the operator chose
        '恢复' at the prompt. The screen keeps saving drafts with `offline.drafts.save_draft`.
        """
        return self._drafts.pop(form, None)

    def logout(self, reason: str = "logout") -> None:
        """End the session and go back to the login screen (screens above are dropped)."""
        from tui.screens.login import LoginScreen

        operator, self.operator = self.operator, None
        self._locked = False
        self._drafts = {}
        if operator is not None and operator.session_id:
            self._close_session(operator.session_id, reason)
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(LoginScreen())
        self.refresh_status()

    @work(thread=True, group="session")
    def _close_session(self, session_id: str, reason: str) -> None:
        from tui import adapters

        adapters.close_session(self.services, session_id, reason)

    async def action_quit(self) -> None:
        """Quit, closing the session first (so the sessions list is right)."""
        operator = self.operator
        if operator is not None and operator.session_id:
            import asyncio

            from tui import adapters

            with contextlib.suppress(Exception):
                await asyncio.to_thread(adapters.close_session, self.services, operator.session_id, "quit")
        self.exit()

    def action_help_quit(self) -> None:
        """Ctrl+C: say in Chinese how to quit (Textual's own notice is English)."""
        key = keymap.key_display(self._key_for("quit") or "ctrl+q")
        self.notify(M.QUIT_HINT.format(key=key), title=M.QUIT_TITLE)

    def _key_for(self, action: str) -> str | None:
        for key, active in self.active_bindings.items():
            if active.binding.action in (action, f"app.{action}"):
                return key
        return None

    def lock(self, *, idle: bool) -> None:
        """Push the lock screen over whatever is open; the form underneath keeps its input."""
        if self.operator is None or self._locked:
            return
        from tui.screens.lock import LockScreen

        self._locked = True
        minutes = int(self.idle_lock_seconds() // 60) if idle else 0
        self.push_screen(LockScreen(self.operator, idle_minutes=minutes))
        self.refresh_bindings()

    def unlocked(self) -> None:
        """Called by the lock screen after the operator's password was verified."""
        self._locked = False
        self._last_input = time.monotonic()
        self.refresh_bindings()

    @property
    def locked(self) -> bool:
        return self._locked

    def idle_lock_seconds(self) -> float:
        from tui.adapters import idle_lock_seconds

        return idle_lock_seconds(self.services, self.config.idle_lock_minutes)

    def _check_idle(self) -> None:
        if self.operator is None or self._locked:
            return
        limit = self.idle_lock_seconds()
        if limit > 0 and time.monotonic() - self._last_input >= limit:
            self.lock(idle=True)

    @work(thread=True, group="session", exit_on_error=False)
    def _touch_session(self, session_id: str) -> None:
        from tui import adapters

        if not adapters.touch_session(self.services, session_id):
            # The session was ended elsewhere (operator revoked, supervisor closed it).
            self.call_from_thread(self.logout, "ended_elsewhere")
