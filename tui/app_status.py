"""The status bar's data and the card reader's events, both read off the app's thread.

One idea, split from tui/app.py: what the station shows about itself. The status is re-read
in a thread worker every few seconds and published only when it changed (the bar repaints
only then); reader events come from the devices monitor's thread via `call_from_thread`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.worker import get_current_worker

from offline.errors import CardstationError
from tui.context import AppServices
from tui.widgets.reader_panel import ReaderState, state_from_card
from tui.widgets.statusbar import StatusSnapshot, read_status

if TYPE_CHECKING:
    from textual.signal import Signal

    from offline.business import Operator


class StatusAndReader(App[None]):
    """The status/reader side of `StationApp` (a mixin)."""

    services: AppServices
    operator: Operator | None
    status_snapshot: StatusSnapshot
    status_signal: Signal[StatusSnapshot]
    reader_state: ReaderState
    reader_signal: Signal[ReaderState]
    _stop_monitor: Any

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

    @work(thread=True, group="reader", exit_on_error=False)
    def _start_reader_monitor(self) -> None:
        """Start the devices monitor in a worker (importing pyscard stays off the first paint)."""
        monitor = self.services.reader_monitor
        if monitor is None:
            return
        try:
            self._stop_monitor = monitor(self._reader_inserted_from_thread, self._reader_removed_from_thread)
        except Exception as exc:
            message = exc.message_zh if isinstance(exc, CardstationError) else str(exc)
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
