"""The status bar: operator, link state, queue depth, age of the oldest unsent item, flags.

Bandwidth rule: the app polls the store every few seconds in a thread worker and publishes a
`StatusSnapshot` only when it differs from the last one; the bar re-renders only when its text
changes. Ages are shown in coarse units (minutes/hours/days) so the text changes rarely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual.widgets import Static

from tui import messages as M
from tui.host import host

if TYPE_CHECKING:
    from tui.context import AppServices


@dataclass(frozen=True)
class StatusSnapshot:
    """Everything the bar shows; equality decides whether anything is repainted."""

    operator: str = ""
    link: str = "unknown"  # up | down | syncing | unknown
    pending: int = 0
    oldest_age: str = ""
    quarantined: int = 0
    flags: tuple[str, ...] = ()
    station: str = ""


def age_text(then_iso: str | None, now: datetime) -> str:
    """Coarse age: '刚刚', 'N分钟', 'N小时', 'N天' (coarse so that the bar rarely changes)."""
    if not then_iso:
        return ""
    try:
        then = datetime.fromisoformat(then_iso)
    except ValueError:
        return ""
    if then.tzinfo is None and now.tzinfo is not None:
        then = then.replace(tzinfo=now.tzinfo)
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return M.AGE_JUST_NOW
    if seconds < 3600:
        return M.AGE_MINUTES.format(n=seconds // 60)
    if seconds < 86400:
        return M.AGE_HOURS.format(n=seconds // 3600)
    return M.AGE_DAYS.format(n=seconds // 86400)


def link_state(services: AppServices) -> str:
    """Link state as the sync runner (TUI worker, daemon or `sync --once`) last recorded it.

    Read from the store (`sync.status`), so a daemon in another process is seen too.
    """
    from sync.status import sync_status

    return _norm_link(sync_status(services.store).link_state)


def _norm_link(value: str) -> str:
    v = value.lower()
    if v in ("up", "online", "ok", "connected"):
        return "up"
    if v in ("syncing", "sending", "busy"):
        return "syncing"
    if v in ("down", "offline", "backoff", "error", "disconnected", "portal", "refused"):
        return "down"
    return "unknown"


#: A queue older than this with the link up and nobody sending is not "已联网" but stalled.
STALL_AFTER_S = 60


def _link_with_queue(services: AppServices, link: str, oldest_iso: str | None) -> str:
    """'up' only while the queue is empty or moving: syncing when a runner holds the store,
    'stalled' when envelopes have waited over a minute with nobody sending them (the bar once
    said 已联网 while the queue grew to a freeze warning)."""
    from sync.state import runner_active

    if runner_active(services.store):
        return "syncing"
    if oldest_iso:
        try:
            then = datetime.fromisoformat(oldest_iso)
        except ValueError:
            return link
        now = services.now()
        if then.tzinfo is None:
            then = then.replace(tzinfo=now.tzinfo)
        if (now - then).total_seconds() > STALL_AFTER_S:
            return "stalled"
    return link


def read_status(services: AppServices, operator_name: str) -> StatusSnapshot:
    """Read the snapshot (runs in a thread worker: it touches SQLite)."""
    from offline import outbox

    st = outbox.status(services.store)
    flags: list[str] = []
    label = services.reader_label
    for flag in (M.STATUS_EMULATED_READER, M.STATUS_TEST_KEYS):
        if flag in label:
            flags.append(flag)
    if services.demo:
        flags.append(M.STATUS_DEMO)
    link = link_state(services)
    if link == "up" and st.pending:
        link = _link_with_queue(services, link, st.oldest_unsent_at)
    return StatusSnapshot(
        operator=operator_name,
        link=link,
        pending=st.pending,
        oldest_age=age_text(st.oldest_unsent_at, services.now()) if st.pending else "",
        quarantined=st.quarantined + st.conflicts,
        flags=tuple(flags),
        station=services.station.province_zh + " " + services.station.service_point,
    )


SHORT_FLAGS = {M.STATUS_EMULATED_READER: "模拟", M.STATUS_TEST_KEYS: "测试"}
"""Shorter forms of the flags for a narrow terminal (the station code must stay whole)."""


def status_text(s: StatusSnapshot, width: int = 0, *, ascii_only: bool = False) -> str:
    """One line, most important first, that fits `width` cells (0 = any width).

    At 80 columns the full text is wider than the line; rather than cut the station code at
    the right edge, it tightens in steps: narrower separators, the province name dropped (the
    code says it), shorter flags. Only what still does not fit is clipped, from the right.
    """
    queue = M.STATUS_QUEUE.format(count=s.pending)
    if s.oldest_age:
        queue += " " + M.STATUS_OLDEST.format(age=s.oldest_age)
    head = [s.operator or M.STATUS_NOT_LOGGED_IN, M.STATUS_LINK.get(s.link, M.STATUS_LINK["unknown"]), queue]
    if s.quarantined:
        head.append(M.STATUS_QUARANTINED.format(count=s.quarantined))
    station_code = s.station.rsplit(" ", 1)[-1]
    short_flags = tuple(SHORT_FLAGS.get(f, f) for f in s.flags)
    bar = "|" if ascii_only else "│"
    variants = (
        (f" {bar} ", s.flags, s.station),
        (bar, s.flags, s.station),
        (bar, s.flags, station_code),
        (bar, short_flags, station_code),
    )
    text = ""
    for separator, flags, station in variants:
        parts = [*head, " ".join(flags), station]
        text = separator.join(p for p in parts if p)
        if not width or cell_len(text) <= width:
            return text
    return text


class StatusBar(Static):
    """Top line; `show(snapshot)` repaints only when the rendered text differs."""

    DEFAULT_CSS = """
    StatusBar {
        dock: top;
        height: 1;
        width: 1fr;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._text = ""
        self._snapshot = StatusSnapshot()

    def on_resize(self) -> None:
        self.show(self._snapshot)

    def on_mount(self) -> None:
        app = host(self.app)
        self.show(app.status_snapshot)
        app.status_signal.subscribe(self, self.show)

    def show(self, snapshot: StatusSnapshot) -> None:
        self._snapshot = snapshot
        ascii_only = bool(getattr(getattr(self.app, "config", None), "ascii_borders", False))
        text = status_text(snapshot, self.size.width or self.app.size.width, ascii_only=ascii_only)
        if text != self._text:
            self._text = text
            self.update(text, layout=False)

    @property
    def text(self) -> str:
        return self._text
