"""The station app shell: login, home, lock, status, reader events, sessions, drafts.

`make_app(services, config=...)` is the one factory the CLI (`cardstation run`, `cardstation
demo`), the snapshot tests and the benchmarks share. Screens live in `tui/screens/` (one module
each); this class holds only what is app-wide:

- `services` / `operator` / `make_ctx()` — what business screens call services with;
- the status poll (a thread worker every few seconds; the bar repaints only on change);
- reader events from the devices monitor (posted from its thread with `call_from_thread`);
- the idle lock (pushes the lock screen on top, so a half-typed form stays underneath);
- sessions (opened at login, touched on activity at most once a minute, closed on logout/quit);
- drafts: offered for restore after login; `restore_draft(form)` hands a draft to the screen.

Bandwidth: ANSI theme, `animation_level="none"`, no blinking cursors, no timers that paint.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import BindingType
from textual.signal import Signal
from textual.worker import get_current_worker

from tui import keymap
from tui import messages as M
from tui.config import Config
from tui.context import AppServices
from tui.theme import THEME_NAME, station_theme
from tui.typeahead import KeySequencer
from tui.widgets.reader_panel import ReaderState, state_from_card
from tui.widgets.statusbar import StatusSnapshot, read_status

if TYPE_CHECKING:
    from offline.business import Operator, ServiceContext
    from tui.adapters import PendingDraft

STATUS_POLL_SECONDS = 3.0
IDLE_CHECK_SECONDS = 5.0
TOUCH_EVERY_SECONDS = 60.0

#: Screens whose Esc does not pop (they are the bottom of a stack or must not be left by Esc).
_ROOT_SCREENS = ("LoginScreen", "HomeScreen", "LockScreen")


class StationApp(App[None]):
    """The station terminal. Build it with `make_app()`."""

    CSS_PATH = "app.tcss"
    TITLE = M.APP_TITLE
    ENABLE_COMMAND_PALETTE = False  # our own palette (tui/palette.py): Chinese, pinyin, no spinner
    BINDINGS: ClassVar[list[BindingType]] = [
        *keymap.to_bindings(keymap.APP_KEYS),
        *keymap.to_bindings((keymap.KeySpec("app.back", "escape", "go_back", "返回", show=False),)),
    ]

    def __init__(self, services: AppServices, config: Config | None = None) -> None:
        super().__init__(ansi_color=True)
        self.services = services
        self.config = config or Config()
        self.operator: Operator | None = None
        self.status_snapshot = StatusSnapshot()
        self.status_signal: Signal[StatusSnapshot] = Signal(self, "status")
        self.reader_state = ReaderState(
            "none" if services.card_provider is None else "empty", label=services.reader_label
        )
        self.reader_signal: Signal[ReaderState] = Signal(self, "reader")
        self.animation_level = "none"
        self._last_input = time.monotonic()
        self._last_touch = 0.0
        self._locked = False
        self._drafts: dict[str, dict[str, str]] = {}
        self._drafts_offered: list[PendingDraft] = []
        self._stop_monitor: Any = None
        self._keys = KeySequencer(self, super().on_event)  # type: ignore[arg-type]
        self.register_theme(station_theme())
        self.theme = THEME_NAME
        if self.config.ascii_borders:
            self.add_class("-ascii")
        if self.config.keys:
            self.set_keymap(keymap.parse_keymap(self.config.keys))

    # ------------------------------------------------------------------ start / stop

    def on_mount(self) -> None:
        from tui.screens.login import LoginScreen

        self.push_screen(LoginScreen())
        self.set_interval(STATUS_POLL_SECONDS, self.refresh_status)
        self.set_interval(IDLE_CHECK_SECONDS, self._check_idle)
        self.refresh_status()
        self._start_reader_monitor()
        self._watch_hangup()

    def _watch_hangup(self) -> None:
        """SIGHUP (the SSH session or the terminal went away): end the session and exit cleanly.

        Without this the process is killed mid-flight (the demo leaves its gateway and reader
        running) or, when the terminal vanishes without a signal, keeps running with no screen.
        Half-typed forms are already in drafts, so nothing is lost either way.
        """
        import asyncio
        import signal

        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._hangup)

    def _hangup(self) -> None:
        operator = self.operator
        if operator is not None and operator.session_id:
            from tui import adapters

            with contextlib.suppress(Exception):
                adapters.close_session(self.services, operator.session_id, "hangup")
        self.exit(return_code=129)

    def on_unmount(self) -> None:
        if self._stop_monitor is not None:
            with contextlib.suppress(Exception):
                self._stop_monitor()

    def get_key_display(self, binding: Any) -> str:
        """Short Chinese-terminal friendly key names, following remapped keys."""
        if binding.key_display:
            return str(binding.key_display)
        return keymap.key_display(binding.key)

    # ------------------------------------------------------------------ context for services

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
            profile=self.services.profile,
            card=card,
            now=self.services.now,
        )

    # ------------------------------------------------------------------ login / logout

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

    # ------------------------------------------------------------------ actions (keys, palette)

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
            "lock",
            "command_palette",
            "logout",
        ):
            return self.operator is not None and not self._locked
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
        """Open a service item's screen (tui/screens/items.py: ITEM_SCREENS) by lazy import."""
        if not self.may(code):
            return
        try:
            from tui.screens import items as item_screens  # type: ignore[attr-defined,unused-ignore]

            path: str | None = item_screens.ITEM_SCREENS.get(code)
        except ImportError:
            path = None
        self._open_screen_path(path)

    def action_open_search(self) -> None:
        if self.may("search"):
            self._open_screen_path(self._items_attr("SEARCH_SCREEN"))

    def action_open_sync(self) -> None:
        from tui.screens.sync import SyncScreen

        self.push_unique(SyncScreen())

    def action_open_delivery(self) -> None:
        """F12: door-to-door delivery runs (mobile service teams, R-ISS-7)."""
        if self.may("delivery.work"):
            self._open_screen_path(self._items_attr("DELIVERY_SCREEN"))

    def action_open_report(self) -> None:
        """Ctrl+R: the daily report (日报) of businesses and fees."""
        if self.may("report.daily"):
            self._open_screen_path(self._items_attr("REPORT_SCREEN"))

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

    @staticmethod
    def _items_attr(name: str) -> str | None:
        try:
            from tui.screens import items as item_screens  # type: ignore[attr-defined,unused-ignore]
        except ImportError:
            return None
        value = getattr(item_screens, name, None)
        return value if isinstance(value, str) else None

    def _open_screen_path(self, path: str | None) -> None:
        if not path:
            self.notify(M.HOME_NOT_WIRED, severity="warning")
            return
        import importlib

        module_name, _, class_name = path.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            self.notify(M.HOME_NOT_WIRED, severity="warning")
            return
        self.push_unique(cls())

    def push_unique(self, screen: Any) -> None:
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

    # ------------------------------------------------------------------ lock

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

    def hold_keys(self) -> None:
        """Keep typed-ahead keys back until `release_keys()` (a worker decides where they go)."""
        self._keys.hold()

    def release_keys(self) -> None:
        self._keys.release()

    async def on_event(self, event: events.Event) -> None:
        """Note keyboard activity (idle lock, session touch) before normal dispatch."""
        if isinstance(event, events.Key | events.MouseDown) and not event.is_forwarded:
            now = time.monotonic()
            self._last_input = now
            if (
                self.operator is not None
                and self.operator.session_id
                and now - self._last_touch >= TOUCH_EVERY_SECONDS
            ):
                self._last_touch = now
                self._touch_session(self.operator.session_id)
            if isinstance(event, events.Key) and await self._keys.offer(event):
                return  # typed-ahead keys reach their widgets in order (tui/typeahead.py)
        await super().on_event(event)

    @work(thread=True, group="session", exit_on_error=False)
    def _touch_session(self, session_id: str) -> None:
        from tui import adapters

        if not adapters.touch_session(self.services, session_id):
            # The session was ended elsewhere (operator revoked, supervisor closed it).
            self.call_from_thread(self.logout, "ended_elsewhere")

    # ------------------------------------------------------------------ status bar

    def refresh_status(self) -> None:
        """Re-read the status in a worker; screens call this after committing a business."""
        self._read_status()

    @work(thread=True, exclusive=True, group="status", exit_on_error=False)
    def _read_status(self) -> None:
        name = self.operator.real_name if self.operator is not None else ""
        snapshot = read_status(self.services, name)
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._set_status, snapshot)

    def _set_status(self, snapshot: StatusSnapshot) -> None:
        if snapshot != self.status_snapshot:
            self.status_snapshot = snapshot
            self.status_signal.publish(snapshot)

    # ------------------------------------------------------------------ reader

    @work(thread=True, group="reader", exit_on_error=False)
    def _start_reader_monitor(self) -> None:
        """Start the devices monitor in a worker (importing pyscard stays off the first paint)."""
        monitor = self.services.reader_monitor
        if monitor is None:
            return
        try:
            self._stop_monitor = monitor(self._reader_inserted_from_thread, self._reader_removed_from_thread)
        except Exception as exc:
            message = getattr(exc, "message_zh", None) or str(exc)
            self._post_reader(ReaderState("error", message=message, label=self.services.reader_label))

    def _reader_inserted_from_thread(self, card: Any) -> None:
        self._post_reader(state_from_card(card, self.services.reader_label))

    def _reader_removed_from_thread(self) -> None:
        self._post_reader(ReaderState("empty", label=self.services.reader_label))

    def _post_reader(self, state: ReaderState) -> None:
        try:
            self.call_from_thread(self.set_reader_state, state)
        except RuntimeError:  # called on the app's own thread (tests) or after exit
            if self.is_running:
                self.set_reader_state(state)

    def set_reader_state(self, state: ReaderState) -> None:
        """Publish a reader change (the reader panel repaints only when its text changes)."""
        if state != self.reader_state:
            self.reader_state = state
            self.reader_signal.publish(state)


def make_app(services: AppServices, *, config: Config | None = None) -> StationApp:
    """The one factory shared by the CLI, snapshot tests and benchmarks."""
    return StationApp(services, config or Config())


CSS_FILE = Path(__file__).with_name("app.tcss")
