"""Sync that runs by itself: the TUI uploads and pulls without a keypress.

The composition root hands the app `services.auto_sync` (the sync daemon's loop, run in a thread
of this process: `cardstation/commands/run.py: auto_sync_for`). It runs when the link comes up,
on a timer, and a couple of seconds after each committed business (the outbox grew). This
module starts it off the first paint, carries its progress and reports to the screens as
signals, and refreshes the status bar after each run, so the operator never has to press S.

The sync screen stays for progress, quarantine and resend; its S asks this runner for a run
now instead of starting a second one. `cardstation sync --daemon` in another process shares the
store's runner lease (`sync.state.acquire_runner`) with it: one drains, the other skips.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from textual.app import App
from textual.signal import Signal

from tui import messages as M


class AutoSync:
    """Owned by the app; `start()` once mounted, `stop()` at unmount."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.handle: Any = None
        #: Chinese one-liners: progress while a run goes on, the run's report when it ends
        self.progress_signal: Signal[str] = Signal(app, "autosync-progress")
        self.report_signal: Signal[str] = Signal(app, "autosync-report")
        #: published only after a run that sent or received something (pages that show sync
        #: state reload on it; a quiet timer run repaints nothing, which matters over SSH)
        self.changed_signal: Signal[str] = Signal(app, "autosync-changed")
        self.last_text = ""
        self._stopped = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def active(self) -> bool:
        return self.handle is not None

    def start(self) -> None:
        """Call on the app's thread (on_mount): the runner's reports come back through its loop."""
        starter = getattr(self.app, "services").auto_sync  # noqa: B009
        if starter is None:
            return
        self._loop = asyncio.get_running_loop()
        self.app.run_worker(lambda: self._start(starter), thread=True, group="autosync", exit_on_error=False)

    def _start(self, starter: Any) -> None:
        handle = starter(self._report_from_thread, self._progress_from_thread)
        if self._stopped and handle is not None:  # the app quit while we were starting
            handle.stop()
            return
        self.handle = handle

    def request(self) -> bool:
        """A run now (the sync screen's S); False when there is no runner."""
        if self.handle is None:
            return False
        self.handle.request()
        return True

    def stop(self) -> None:
        self._stopped = True
        handle, self.handle = self.handle, None
        if handle is not None:
            with contextlib.suppress(Exception):
                handle.stop()

    # ----------------------------------------------------------------- from the runner's thread

    def _progress_from_thread(self, stage: str, done: int, total: int) -> None:
        text = M.SYNC_PROGRESS.format(stage=M.SYNC_STAGES.get(stage, stage), sent=done, total=total)
        self._post(self._publish_progress, text)

    def _report_from_thread(self, report: Any) -> None:
        if getattr(report, "skipped", ""):
            text = M.SYNC_AUTO_BUSY
        else:
            text = M.SYNC_AUTO_DONE.format(detail=report.text_zh())
        self._post(self._publish_report, text)
        if getattr(report, "sent", 0) or getattr(report, "downlink_applied", 0):
            self._post(self.changed_signal.publish, text)

    def _post(self, fn: Any, text: str) -> None:
        """Hand `fn(text)` to the app's loop without waiting for it: `call_from_thread` would block
        this thread on the result, and at exit the app joins this thread — a deadlock."""
        loop = self._loop
        if loop is None or loop.is_closed() or self._stopped:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(fn, text)

    # ----------------------------------------------------------------- on the app's thread

    def _publish_progress(self, text: str) -> None:
        self.progress_signal.publish(text)

    def _publish_report(self, text: str) -> None:
        self.last_text = text
        self.report_signal.publish(text)
        refresh = getattr(self.app, "refresh_status", None)
        if callable(refresh):
            refresh()
