"""The card and the reader: everything the station does with a social-security card.

Public API (lazy: importing `devices` loads neither pyscard nor cryptography):

- `open_pcsc_session(reader=None, sam=None)` -> CardSession over pcscd.
- `open_emulated_session(card, sam=None)` -> CardSession over an in-process emulated card.
- `CardSessionImpl(transport, sam, emulated=...)` for any other Transport.
- `ReaderMonitor(callback)` -> insert/remove events from pcscd (start()/stop()).
- `list_readers()`, `SoftwareSam`, `SecurityModule`.
- `classify_written(card, expected_holder)` -> 'complete' | 'blank' | 'partial'.
- `card_number_check_char(first8)`.

`devices/` imports `offline.protocols` only: no SQLite, Textual or httpx here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devices.classify import Written, classify_written
from offline.protocols import card_number_check_char, card_number_is_valid

if TYPE_CHECKING:
    from devices.emulator.card import EmulatedCard
    from devices.reader import ReaderEvent, ReaderMonitor, list_readers
    from devices.sam import SecurityModule, SoftwareSam
    from devices.session import CardSessionImpl, open_pcsc_session
    from devices.transport import Transport

__all__ = [
    "CardSessionImpl",
    "ReaderEvent",
    "ReaderMonitor",
    "SecurityModule",
    "SoftwareSam",
    "Transport",
    "Written",
    "card_number_check_char",
    "card_number_is_valid",
    "classify_written",
    "list_readers",
    "open_emulated_session",
    "open_pcsc_session",
]

_LAZY = {
    "CardSessionImpl": "devices.session",
    "open_pcsc_session": "devices.session",
    "ReaderEvent": "devices.reader",
    "ReaderMonitor": "devices.reader",
    "list_readers": "devices.reader",
    "SecurityModule": "devices.sam",
    "SoftwareSam": "devices.sam",
    "Transport": "devices.transport",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(module), name)


def open_emulated_session(card: EmulatedCard, sam: SecurityModule | None = None) -> CardSessionImpl:
    """A CardSession on an in-process emulated card (marked emulated, "模拟读卡器")."""
    from devices.emulator.transport import InProcessTransport
    from devices.sam import SoftwareSam
    from devices.session import CardSessionImpl

    return CardSessionImpl(InProcessTransport(card), sam or SoftwareSam(), emulated=True)
