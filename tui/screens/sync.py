"""Sync screen: run a sync now (thread worker, with progress), the upload queue, the quarantine.

The engine is `services.sync_engine` (sync.engine.SyncEngine, built by the composition root);
it drains the outbox and pulls downlink updates. The screen never talks HTTP itself. Quarantined
envelopes show their reason code and detail; R puts the selected one back in the queue
(`offline.outbox.resend`, re-sealed with the station's sealer so a rotated key still works).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from offline.errors import CardstationError
from tui import messages as M
from tui.context import AppServices, SyncOutcome, SyncProgress, SyncRunner
from tui.host import host
from tui.screens import sync_usb as USB
from tui.widgets.compact import CompactInput, CompactScreen
from tui.widgets.footer import BottomBar
from tui.widgets.statusbar import StatusBar


@dataclass(frozen=True)
class QueueView:
    """What the screen shows, read in one worker call."""

    summary: str
    last_ack: str
    queue: list[tuple[str, ...]]
    quarantine: list[tuple[str, ...]]
    quarantine_ids: list[str]


def _short(ts: str) -> str:
    return ts[5:16].replace("T", " ") if len(ts) >= 16 else ts


def read_queue(services: AppServices) -> QueueView:
    """Outbox status and entries (runs in a worker thread)."""
    from offline import outbox

    st = outbox.status(services.store)
    summary = M.SYNC_SUMMARY.format(
        pending=st.pending,
        kb=(st.pending_bytes + 1023) // 1024,
        quarantined=st.quarantined,
        conflicts=st.conflicts,
        acked=st.acked,
    )
    pending = outbox.entries(services.store, states=(outbox.PENDING, outbox.SENDING), limit=50)
    queue: list[tuple[str, ...]] = [
        (
            str(e.seq),
            M.SYNC_KIND.get(e.kind, e.kind),
            str(e.business_id or ""),
            f"{e.size}",
            str(e.attempts),
            _short(e.created_at),
        )
        for e in pending
    ]
    bad = outbox.entries(services.store, states=(outbox.QUARANTINED, outbox.CONFLICT), limit=50)
    quarantine: list[tuple[str, ...]] = [
        (str(e.seq), e.reason_code or e.state, (e.last_error or "")[:40], _short(e.created_at)) for e in bad
    ]
    last = M.SYNC_LAST_ACK.format(at=_short(st.last_acked_at)) if st.last_acked_at else ""
    return QueueView(summary, last, queue, quarantine, [e.envelope_id for e in bad])


def run_engine(engine: SyncRunner, progress: SyncProgress) -> SyncOutcome:
    """One sync pass, reporting progress as it goes."""
    engine.on_progress = progress
    return engine.run_once()


def result_text(result: SyncOutcome) -> str:
    """The engine's own Chinese report (SyncReport.text_zh)."""
    return M.SYNC_DONE_SIMPLE.format(detail=result.text_zh())


class SyncScreen(CompactScreen[None]):
    """Progress, queue, quarantine; S runs a sync, R resends the selected quarantined envelope."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "run_sync", M.SYNC_RUN, id="sync.run"),
        Binding("r", "resend", M.SYNC_RESEND, id="sync.resend"),
        Binding("u", "usb_export", "导出到U盘", id="sync.usb_export"),
        Binding("h", "usb_import", "导入回执", id="sync.usb_import"),
        Binding("escape", "app.go_back", "返回", id="sync.back"),
    ]

    @dataclass
    class Progress(Message):
        text: str

    @dataclass
    class Finished(Message):
        text: str
        ok: bool

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(M.SYNC_TITLE, classes="title", markup=False)
        yield Static("", id="sync-summary", markup=False)
        yield Static("", id="sync-progress", markup=False)
        yield Static(M.SYNC_QUEUE_TITLE, classes="section", markup=False)
        yield DataTable(id="sync-queue", cursor_type="row")
        yield Static(M.SYNC_QUARANTINE_TITLE, classes="section", markup=False)
        yield DataTable(id="sync-quarantine", cursor_type="row")
        with Horizontal(id="sync-usb"):
            yield Static(USB.USB_LABEL, id="sync-usb-label", markup=False)
            yield CompactInput(USB.DEFAULT_FOLDER, id="sync-folder")
        yield Static(USB.USB_HINT, classes="hint", markup=False)
        yield BottomBar()

    def on_mount(self) -> None:
        self._quarantine_ids: list[str] = []
        self.query_one("#sync-queue", DataTable).add_columns(*M.SYNC_COLUMNS)
        self.query_one("#sync-quarantine", DataTable).add_columns(*M.SYNC_QUARANTINE_COLUMNS)
        if host(self.app).services.sync_engine is None:
            self.query_one("#sync-progress", Static).update(M.SYNC_NO_ENGINE, layout=False)
        auto = getattr(self.app, "autosync", None)
        if auto is not None and auto.active:
            # runs started by themselves (tui/autosync.py) show here like the ones S starts
            self.query_one("#sync-progress", Static).update(auto.last_text or M.SYNC_AUTO_HINT, layout=False)
            auto.progress_signal.subscribe(self, self._auto_progress)
            auto.report_signal.subscribe(self, self._auto_report)
        self.reload()

    def _auto_progress(self, text: str) -> None:
        self.query_one("#sync-progress", Static).update(text, layout=False)

    def _auto_report(self, text: str) -> None:
        self.query_one("#sync-progress", Static).update(text, layout=False)
        self.reload()

    @work(thread=True, exclusive=True, group="sync-queue", exit_on_error=False)
    def reload(self) -> None:
        services = host(self.app).services
        view = read_queue(services)
        self.app.call_from_thread(self._show, view, USB.remembered_folder(services))

    def _show(self, view: QueueView, folder: str = "") -> None:
        if folder and not getattr(self, "_folder_shown", False):
            self._folder_shown = True
            self.query_one("#sync-folder", Input).value = folder
        self.query_one("#sync-summary", Static).update(
            view.summary + ("  " + view.last_ack if view.last_ack else "")
        )
        queue = self.query_one("#sync-queue", DataTable)
        queue.clear()
        queue.add_rows(view.queue)
        bad = self.query_one("#sync-quarantine", DataTable)
        bad.clear()
        bad.add_rows(view.quarantine)
        self._quarantine_ids = view.quarantine_ids

    def action_run_sync(self) -> None:
        services = host(self.app).services
        if services.sync_engine is None:
            self.query_one("#sync-progress", Static).update(M.SYNC_NO_ENGINE, layout=False)
            return
        auto = getattr(self.app, "autosync", None)
        if auto is not None and auto.request():  # one runner: ask it rather than start a second
            self.query_one("#sync-progress", Static).update(M.SYNC_AUTO_REQUESTED, layout=False)
            return
        self.query_one("#sync-progress", Static).update(M.SYNC_RUNNING, layout=False)
        self._sync(services.sync_engine)

    @work(thread=True, exclusive=True, group="sync-run", exit_on_error=False)
    def _sync(self, engine: SyncRunner) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            self.post_message(
                self.Progress(
                    M.SYNC_PROGRESS.format(stage=M.SYNC_STAGES.get(stage, stage), sent=done, total=total)
                )
            )

        try:
            result = run_engine(engine, progress)
        except Exception as exc:
            message = exc.message_zh if isinstance(exc, CardstationError) else str(exc)
            self.post_message(self.Finished(M.SYNC_FAILED.format(error=message), False))
            return
        self.post_message(self.Finished(result_text(result), result.ok))

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        self.query_one("#sync-progress", Static).update(message.text, layout=False)

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        self.query_one("#sync-progress", Static).update(message.text, layout=False)
        self.reload()
        host(self.app).refresh_status()

    def action_resend(self) -> None:
        table = self.query_one("#sync-quarantine", DataTable)
        row = table.cursor_row
        if not self._quarantine_ids or row is None or not 0 <= row < len(self._quarantine_ids):
            self.query_one("#sync-progress", Static).update(M.SYNC_NOTHING_SELECTED, layout=False)
            return
        self._resend(self._quarantine_ids[row])

    @work(thread=True, exclusive=True, group="sync-resend", exit_on_error=False)
    def _resend(self, envelope_id: str) -> None:
        from offline import outbox

        services = host(self.app).services
        outbox.resend(services.store, envelope_id, services.sealer, station_id=services.station.station_id)
        self.post_message(self.Finished(M.SYNC_RESENT.format(envelope=envelope_id[:8]), True))

    # ------------------------------------------------------------------ USB stick (sneakernet)

    @on(Input.Submitted, "#sync-folder")
    def _folder_done(self) -> None:
        self.query_one("#sync-queue", DataTable).focus()

    def action_usb_export(self) -> None:
        self.query_one("#sync-progress", Static).update("正在导出……", layout=False)
        self._usb(USB.export_to, self.query_one("#sync-folder", Input).value)

    def action_usb_import(self) -> None:
        self.query_one("#sync-progress", Static).update("正在导入回执……", layout=False)
        self._usb(USB.import_from, self.query_one("#sync-folder", Input).value)

    @work(thread=True, exclusive=True, group="sync-usb", exit_on_error=False)
    def _usb(self, job: Any, folder: str) -> None:
        text = job(host(self.app).services, folder)
        self.post_message(self.Finished(text, True))
