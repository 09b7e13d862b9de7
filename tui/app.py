"""The station app shell: the app object, its start and stop, and keyboard activity.

`make_app(services, config=...)` is the one factory the CLI (`cardstation run`, `cardstation
demo`), the snapshot tests and the benchmarks share. Screens live in `tui/screens/` (one module
each); the app holds only what is app-wide, one idea per module:

- tui/app_session.py — `make_ctx()`, login, drafts, logout, the idle lock (`OperatorSession`);
- tui/app_navigation.py — what keys and the palette open, Esc back (`Navigation`);
- tui/app_status.py — the status poll and reader events (`StatusAndReader`);
- tui/app_output.py — theme, NO_COLOR, ASCII glyphs, driver, terminal shadow (`TerminalOutput`);
- here — construction, mount/unmount, SIGHUP, and keyboard activity (typeahead, idle timer,
  session touch).

Bandwidth: ANSI theme, `animation_level="none"`, no blinking cursors, no timers that paint;
a screen switch is one frame and later updates write only changed cells (tui/widgets/).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.binding import BindingType
from textual.signal import Signal

from tui import keymap
from tui import messages as M
from tui.app_navigation import Navigation
from tui.app_output import TerminalOutput
from tui.app_session import OperatorSession
from tui.app_status import StatusAndReader
from tui.autosync import AutoSync
from tui.config import Config
from tui.context import AppServices
from tui.typeahead import KeySequencer
from tui.widgets import wrap
from tui.widgets.reader_panel import ReaderState
from tui.widgets.statusbar import StatusSnapshot

if TYPE_CHECKING:
    from offline.business import Operator
    from tui.adapters import PendingDraft

STATUS_POLL_SECONDS = 3.0
IDLE_CHECK_SECONDS = 5.0
TOUCH_EVERY_SECONDS = 60.0


class StationApp(TerminalOutput, Navigation, OperatorSession, StatusAndReader):
    """The station terminal. Build it with `make_app()`."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["app.tcss", "styles/widgets.tcss", "styles/screens.tcss"]
    TITLE = M.APP_TITLE
    ENABLE_COMMAND_PALETTE = False  # our own palette (tui/palette.py): Chinese, pinyin, no spinner
    BINDINGS: ClassVar[list[BindingType]] = [
        *keymap.to_bindings(keymap.APP_KEYS),
        *keymap.to_bindings((keymap.KeySpec("app.back", "escape", "go_back", "返回", show=False),)),
        # demo with an emulated reader only (check_action): tui/screens/insert_card.py
        *keymap.to_bindings(
            (keymap.KeySpec("app.demo_insert_card", "ctrl+o", "demo_insert_card", "模拟插卡", priority=True),)
        ),
    ]

    def _fatal_error(self) -> None:
        """An unhandled error ends the app with one Chinese message that says what to do.

        Textual's default prints a traceback with local variables — an ID number or a name
        on the screen of whoever is watching. The message comes from the composition root's
        top-level handler (`services.on_error`), which also logs the detail without them.
        """
        error = self._exception
        handler = getattr(self, "services", None) and self.services.on_error
        message = handler(error) if handler and error is not None else M.FATAL_ERROR
        self.bell()
        self._exit_renderables.append(f"错误：{message}")
        self._close_messages_no_wait()

    def __init__(self, services: AppServices, config: Config | None = None) -> None:
        super().__init__(ansi_color=True)
        wrap.install()  # Chinese line breaks that keep rule ids and receipt numbers whole
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
        self.autosync = AutoSync(self)  # uploads and pulls without a keypress (tui/autosync.py)
        self.setup_output()
        if self.config.keys:
            self.set_keymap(keymap.parse_keymap(self.config.keys))

    def on_mount(self) -> None:
        from tui.screens.login import LoginScreen

        self.push_screen(LoginScreen())
        self.set_interval(STATUS_POLL_SECONDS, self.refresh_status)
        self.set_interval(IDLE_CHECK_SECONDS, self._check_idle)
        self.refresh_status()
        self._start_reader_monitor()
        self.autosync.start()
        self._watch_hangup()
        self.watch_terminal()

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
        self.autosync.stop()
        if self._stop_monitor is not None:
            with contextlib.suppress(Exception):
                self._stop_monitor()

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


def make_app(services: AppServices, *, config: Config | None = None) -> StationApp:
    """The one factory shared by the CLI, snapshot tests and benchmarks."""
    return StationApp(services, config or Config())


CSS_FILE = Path(__file__).with_name("app.tcss")
