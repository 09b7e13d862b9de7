"""PC/SC status codes become clear operator errors; the monitor survives pcscd going away."""

from __future__ import annotations

import threading

import pytest
from smartcard import scard

from devices import reader
from devices.errors import (
    CardRemovedError,
    MuteCardError,
    NoCardError,
    NoPcscdError,
    NoReaderError,
    ReaderUnpluggedError,
)
from devices.reader import ReaderEvent, ReaderMonitor, is_virtual_reader
from offline.protocols import CardError


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (scard.SCARD_E_NO_SERVICE, NoPcscdError),
        (scard.SCARD_E_NO_READERS_AVAILABLE, NoReaderError),
        (scard.SCARD_E_UNKNOWN_READER, ReaderUnpluggedError),
        (scard.SCARD_E_READER_UNAVAILABLE, ReaderUnpluggedError),
        (scard.SCARD_E_NO_SMARTCARD, NoCardError),
        (scard.SCARD_W_REMOVED_CARD, CardRemovedError),
        (scard.SCARD_W_UNRESPONSIVE_CARD, MuteCardError),
        (scard.SCARD_E_PROTO_MISMATCH, MuteCardError),
    ],
)
def test_pcsc_codes_map_to_typed_errors(code: int, error: type[CardError]) -> None:
    found = reader._error_for(code, during="test")
    assert isinstance(found, error) and not found.message_zh.isascii()


def test_virtual_reader_is_recognised() -> None:
    assert is_virtual_reader("Virtual PCD 00 00")
    assert not is_virtual_reader("ACS ACR39U ICC Reader 00 00")


def test_monitor_reports_no_service_once_and_keeps_trying(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = threading.Semaphore(0)

    def no_pcscd() -> object:
        calls.release()
        raise NoPcscdError()

    monkeypatch.setattr(reader, "_context", no_pcscd)
    events: list[ReaderEvent] = []
    monitor = ReaderMonitor(events.append)
    monitor.start()
    try:
        assert calls.acquire(timeout=3) and calls.acquire(timeout=3)  # retried
    finally:
        monitor.stop()
    assert [e.kind for e in events] == ["no_service"]


def test_list_readers_without_pcscd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scard, "SCardEstablishContext", lambda scope: (scard.SCARD_E_NO_SERVICE, None))
    with pytest.raises(NoPcscdError) as info:
        reader.list_readers()
    assert "pcscd" in info.value.message_zh
