"""Keys typed ahead arrive in order, even when one of them moves the focus.

Over a slow SSH link (and whenever the app is busy) a terminal delivers several keys in one
read: "wangxh<Tab>secret<Enter>". Textual forwards each key to the widget focused *at the time
the App handles it*, by posting it to that widget's own message queue. A key that moves the
focus (Tab, Enter to the next field, a menu key that opens a screen) only takes effect when the
widget processes it — by then the keys behind it have already been queued to the old widget,
so "secret" lands in the user-name field. An operator who types fast loses what they typed.

`KeySequencer` makes the App hand keys over one at a time: a key is dispatched only after the
previous one has been fully handled (the App, the screen and all its widgets have processed
every message queued so far, including messages the key caused, such as Input.Submitted that
moves the focus). A key that arrives when nothing is in flight is dispatched at once, so
ordinary typing costs nothing extra.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from textual import events
from textual.app import App
from textual.message_pump import MessagePump
from textual.widget import Widget

#: Settling rounds per key before the next one is released anyway (a widget that keeps
#: posting to itself must not freeze the keyboard).
MAX_ROUNDS = 8
ROUND_TIMEOUT_S = 2.0
#: Longest a hold may keep keys back (a login that hangs must not freeze the keyboard).
HOLD_LIMIT_S = 15.0


class KeySequencer:
    """Owned by the App; `offer()` returns True when it took the key (it will dispatch it later)."""

    def __init__(self, app: App[object], dispatch: Callable[[events.Key], Awaitable[None]]) -> None:
        self._app = app
        self._dispatch = dispatch
        self._queue: deque[events.Key] = deque()
        self._task: asyncio.Task[None] | None = None
        self._holds = 0

    def hold(self) -> None:
        """Keep typed-ahead keys back (e.g. while the login is checked in a worker thread)."""
        self._holds += 1

    def release(self) -> None:
        self._holds = max(0, self._holds - 1)

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    async def offer(self, event: events.Key) -> bool:
        """Dispatch now when idle (and start settling); queue it while a key is in flight."""
        if self.busy or self._holds:
            self._queue.append(event)
            return True
        await self._dispatch(event)
        self._task = asyncio.create_task(self._drain())
        return True

    async def _drain(self) -> None:
        await self._settle()
        while self._queue:
            await self._dispatch(self._queue.popleft())
            await self._settle()

    async def _wait_holds(self) -> None:
        waited = 0.0
        while self._holds and waited < HOLD_LIMIT_S:
            await asyncio.sleep(0.02)
            waited += 0.02
        if waited >= HOLD_LIMIT_S:
            self._holds = 0  # never leave the keyboard dead

    async def _settle(self) -> None:
        """Wait until the pumps a key travels through have emptied their queues.

        A key goes to the focused widget and bubbles up through its ancestors to the screen;
        whatever moves the focus or switches the screen happens in one of those. Waiting on that
        chain (not on every widget of a 40-field form) keeps typing fast.
        """
        await self._wait_holds()
        for _ in range(MAX_ROUNDS):
            pumps = self._path()
            if not pumps:
                return
            waits: list[asyncio.Event] = []
            for pump in pumps:
                done = asyncio.Event()
                if pump.call_later(done.set):
                    waits.append(done)
            if not waits:
                return
            try:
                await asyncio.wait_for(asyncio.gather(*(w.wait() for w in waits)), ROUND_TIMEOUT_S)
            except TimeoutError:
                return
            # The App's own queue holds the next typed keys (they come back to offer()); only the
            # screen and the focus path must be quiet before the next key is released.
            path = self._path()
            if all(p._message_queue.empty() for p in path[1:]) and self._ready(path):
                await self._wait_holds()
                return

    def _ready(self, path: list[MessagePump]) -> bool:
        """A freshly pushed screen is ready once mounted and its first field has the focus."""
        if len(path) < 2:
            return True
        screen = path[1]
        if not getattr(screen, "is_mounted", True):
            return False
        focus_chain = getattr(screen, "focus_chain", [])
        return getattr(screen, "focused", None) is not None or not focus_chain

    def _path(self) -> list[MessagePump]:
        """The App, the screen, and the focused widget with its ancestors."""
        try:
            screen = self._app.screen
        except Exception:  # no screen yet, or shutting down
            return []
        pumps: list[MessagePump] = [self._app, screen]
        node = screen.focused
        while node is not None and node is not screen:
            pumps.append(node)
            parent = node.parent
            node = parent if isinstance(parent, Widget) else None
        return pumps
