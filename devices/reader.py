"""Readers through pcscd (pyscard's low-level `smartcard.scard` API).

The low-level API is used because it returns the PC/SC status codes themselves,
which is what lets every failure become a clear, typed `CardError`: no pcscd, no
reader, reader unplugged, no card, card removed mid-operation, mute card.

`PcscTransport` is a `Transport` (transport.py); `ReaderMonitor` is a thread that
reports card insert/remove and reader add/remove to a callback - the TUI posts each
event as a Textual message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from smartcard import scard

from devices.errors import (
    CardRemovedError,
    MuteCardError,
    NoCardError,
    NoPcscdError,
    NoReaderError,
    ReaderError,
    ReaderUnpluggedError,
)
from offline.protocols import CardError

log = logging.getLogger(__name__)

VIRTUAL_READER_PREFIX = "Virtual PCD"
_REMOVAL_GRACE = 1.5  # seconds: pcscd polls vpcd/serial readers every ~0.4 s

_SERVICE_GONE = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    getattr(scard, "SCARD_E_INVALID_HANDLE", -1),
}
_READER_GONE = {scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE}
_MUTE = {scard.SCARD_W_UNRESPONSIVE_CARD, scard.SCARD_W_UNPOWERED_CARD, scard.SCARD_E_PROTO_MISMATCH}


def is_virtual_reader(name: str) -> bool:
    """The emulator's reader (pcscd's vpcd driver): the UI shows "模拟读卡器"."""
    return name.startswith(VIRTUAL_READER_PREFIX)


def _error_for(hresult: int, *, during: str) -> CardError:
    if hresult in _SERVICE_GONE:
        return NoPcscdError(detail=during)
    if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
        return NoReaderError(detail=during)
    if hresult in _READER_GONE:
        return ReaderUnpluggedError(detail=during)
    if hresult == scard.SCARD_E_NO_SMARTCARD:
        return NoCardError(detail=during)
    if hresult in (scard.SCARD_W_REMOVED_CARD, scard.SCARD_W_RESET_CARD):
        return CardRemovedError(detail=during)
    if hresult in _MUTE or hresult == scard.SCARD_E_TIMEOUT:
        return MuteCardError(detail=during)
    return ReaderError(detail=f"{during}: {scard.SCardGetErrorMessage(hresult)}")


def _context() -> Any:
    hresult, hcontext = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        raise NoPcscdError(detail=scard.SCardGetErrorMessage(hresult))
    return hcontext


def _list(hcontext: Any) -> list[str]:
    hresult, readers = scard.SCardListReaders(hcontext, [])
    if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
        return []
    if hresult != scard.SCARD_S_SUCCESS:
        raise _error_for(hresult, during="list readers")
    return list(readers)


def list_readers() -> list[str]:
    """Names of the readers pcscd knows; raises NoPcscdError when pcscd is not running."""
    hcontext = _context()
    try:
        return _list(hcontext)
    finally:
        scard.SCardReleaseContext(hcontext)


@dataclass(frozen=True)
class ReaderStatus:
    reader: str
    present: bool
    mute: bool
    atr: bytes
    event_state: int = 0


def reader_status(hcontext: Any, readers: list[str]) -> list[ReaderStatus]:
    """Immediate state of each reader (card present, mute, ATR)."""
    if not readers:
        return []
    states = [(r, scard.SCARD_STATE_UNAWARE) for r in readers]
    hresult, new = scard.SCardGetStatusChange(hcontext, 0, states)
    if hresult not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT):
        raise _error_for(hresult, during="reader status")
    out = []
    for name, event, atr in new:
        out.append(
            ReaderStatus(
                name,
                bool(event & scard.SCARD_STATE_PRESENT),
                bool(event & scard.SCARD_STATE_MUTE),
                bytes(atr),
                int(event),
            )
        )
    return out


class PcscTransport:
    """Transport to the card in one reader, through pcscd (T=0 or T=1, as the card offers)."""

    def __init__(self, hcontext: Any, hcard: Any, protocol: int, reader_name: str, atr: bytes) -> None:
        self._hcontext = hcontext
        self._hcard = hcard
        self.protocol = protocol
        self.reader_name = reader_name
        self._atr = atr

    @classmethod
    def connect(cls, reader: str | None = None, *, timeout: float = 5.0) -> PcscTransport:
        """Connect to the card in `reader`, or in the first reader holding a card.

        Waits up to `timeout` seconds for a card; raises NoPcscdError, NoReaderError,
        NoCardError or MuteCardError with operator text.
        """
        hcontext = _context()
        try:
            name = cls._pick_reader(hcontext, reader, timeout)
            hresult, hcard, protocol = scard.SCardConnect(
                hcontext, name, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
            )
            if hresult != scard.SCARD_S_SUCCESS:
                raise _error_for(hresult, during="connect")
            hresult, _name, _state, _proto, atr = scard.SCardStatus(hcard)
            if hresult != scard.SCARD_S_SUCCESS:
                scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)
                raise _error_for(hresult, during="status")
            if not atr:
                scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)
                raise MuteCardError(detail="empty ATR")
            log.info("connected to card in %s (T=%d)", name, 0 if protocol == scard.SCARD_PROTOCOL_T0 else 1)
            return cls(hcontext, hcard, protocol, name, bytes(atr))
        except BaseException:
            scard.SCardReleaseContext(hcontext)
            raise

    @staticmethod
    def _pick_reader(hcontext: Any, reader: str | None, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            readers = _list(hcontext)
            if not readers:
                raise NoReaderError()
            if reader is not None and reader not in readers:
                matches = [r for r in readers if r.startswith(reader)]
                if not matches:
                    raise NoReaderError(detail=reader)
                readers = matches[:1]
            elif reader is not None:
                readers = [reader]
            status = reader_status(hcontext, readers)
            for st in status:
                if st.present and st.mute:
                    raise MuteCardError(detail=st.reader)
                if st.present:
                    return st.reader
            if time.monotonic() >= deadline:
                raise NoCardError()
            wait_ms = int(min(0.5, max(0.0, deadline - time.monotonic())) * 1000)
            states = [(s.reader, scard.SCARD_STATE_EMPTY) for s in status]
            scard.SCardGetStatusChange(hcontext, wait_ms, states)

    def atr(self) -> bytes:
        return self._atr

    def transmit(self, apdu: bytes) -> bytes:
        if self._hcard is None:
            raise CardRemovedError(detail="session closed")
        hresult, response = scard.SCardTransmit(self._hcard, self.protocol, list(apdu))
        if hresult == scard.SCARD_S_SUCCESS and len(response) >= 2:
            return bytes(response)
        # A failed or empty exchange: most often the card was pulled out. pcscd notices
        # removal on its next poll, so look for up to `_REMOVAL_GRACE` seconds.
        error = _error_for(hresult, during="transmit") if hresult != scard.SCARD_S_SUCCESS else None
        if (error is None or isinstance(error, ReaderError | MuteCardError)) and self._card_gone():
            raise CardRemovedError(detail="transmit")
        if error is None:
            return bytes(response)  # the channel reports a malformed response
        raise error

    def _card_gone(self) -> bool:
        deadline = time.monotonic() + _REMOVAL_GRACE
        while True:
            hresult, *_rest = scard.SCardStatus(self._hcard)
            if hresult in (scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD):
                return True
            try:
                status = reader_status(self._hcontext, [self.reader_name])
            except CardError:
                return True
            if not status or not status[0].present:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def close(self) -> None:
        """Disconnect and release the context (safe to call twice)."""
        if self._hcard is not None:
            scard.SCardDisconnect(self._hcard, scard.SCARD_LEAVE_CARD)
            self._hcard = None
        if self._hcontext is not None:
            scard.SCardReleaseContext(self._hcontext)
            self._hcontext = None

    def __enter__(self) -> PcscTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


EventKind = Literal[
    "card_inserted", "card_removed", "card_mute", "reader_added", "reader_removed", "no_service"
]


@dataclass(frozen=True)
class ReaderEvent:
    """One change seen by the monitor; `emulated` when the reader is the emulator's."""

    kind: EventKind
    reader: str
    atr: bytes = b""

    @property
    def emulated(self) -> bool:
        return is_virtual_reader(self.reader)


class ReaderMonitor:
    """Thread that watches pcscd and calls `callback(ReaderEvent)` on every change.

    The callback runs on the monitor thread: the TUI should only post a message from it.
    When pcscd goes away the monitor reports `no_service` once and keeps retrying, so a
    restarted pcscd is picked up without restarting the station.
    """

    def __init__(self, callback: Callable[[ReaderEvent], None], *, poll_ms: int = 500) -> None:
        self._callback = callback
        self._poll_ms = poll_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._hcontext: Any = None
        self._lock = threading.Lock()

    def start(self) -> ReaderMonitor:
        self._thread = threading.Thread(target=self._run, name="reader-monitor", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        with self._lock:
            if self._hcontext is not None:
                scard.SCardCancel(self._hcontext)
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> ReaderMonitor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _emit(self, event: ReaderEvent) -> None:
        try:
            self._callback(event)
        except Exception:  # a broken callback must not kill the monitor
            log.exception("reader event callback failed")

    def _run(self) -> None:
        known: dict[str, tuple[bool, bool, bytes]] = {}
        service_ok: bool | None = None
        while not self._stop.is_set():
            try:
                hcontext = _context()
            except CardError:
                if service_ok is not False:
                    self._emit(ReaderEvent("no_service", ""))
                    for name in known:
                        self._emit(ReaderEvent("reader_removed", name))
                    known.clear()
                    service_ok = False
                self._stop.wait(1.0)
                continue
            service_ok = True
            with self._lock:
                self._hcontext = hcontext
            try:
                self._watch(hcontext, known)
            except CardError as exc:
                log.info("reader monitor: %s", exc.code)
            finally:
                with self._lock:
                    self._hcontext = None
                scard.SCardReleaseContext(hcontext)
            self._stop.wait(0.2)

    def _watch(self, hcontext: Any, known: dict[str, tuple[bool, bool, bytes]]) -> None:
        """Report differences against `known`, then block in GetStatusChange until the next one.

        The wait passes back the exact state pcscd reported, so it returns only on a real
        change; the timeout bounds how late a newly plugged reader is noticed.
        """
        while not self._stop.is_set():
            readers = _list(hcontext)
            for name in [n for n in known if n not in readers]:
                del known[name]
                self._emit(ReaderEvent("reader_removed", name))
            waits: list[tuple[str, int]] = []
            for st in reader_status(hcontext, readers):
                old = known.get(st.reader)
                now = (st.present, st.mute, st.atr)
                if old is None:
                    self._emit(ReaderEvent("reader_added", st.reader))
                    old = (False, False, b"")
                if now != old:
                    if old[0] and (not st.present or now[2] != old[2]):
                        self._emit(ReaderEvent("card_removed", st.reader))
                    if st.present and (not old[0] or now[2] != old[2]):
                        self._emit(
                            ReaderEvent("card_mute" if st.mute else "card_inserted", st.reader, st.atr)
                        )
                known[st.reader] = now
                waits.append((st.reader, st.event_state & ~scard.SCARD_STATE_CHANGED))
            if not waits:
                self._stop.wait(self._poll_ms / 1000)
                continue
            hresult, _ = scard.SCardGetStatusChange(hcontext, self._poll_ms, waits)
            if hresult in _SERVICE_GONE:
                raise NoPcscdError()
            if hresult not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED):
                # e.g. a reader vanished between list and wait: rescan after a short pause
                self._stop.wait(0.2)
