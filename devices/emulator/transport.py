"""In-process transport: the card session talks to an EmulatedCard by function call.

Used by unit tests and by the demo when pcscd is absent. Faults surface as the same
typed errors the pcscd transport raises, so the error paths are shared.
"""

from __future__ import annotations

from devices.emulator.card import CardGone, EmulatedCard
from devices.errors import CardRemovedError, MuteCardError, NoCardError


class InProcessTransport:
    """Transport over an EmulatedCard in the same process; `card=None` is an empty reader."""

    reader_name = "模拟读卡器 (in-process)"

    def __init__(self, card: EmulatedCard | None) -> None:
        self.card = card
        self.exchanges = 0
        if card is not None:
            card.reset()

    def atr(self) -> bytes:
        card = self._card()
        atr = card.atr()
        if not atr:
            raise MuteCardError()
        return atr

    def transmit(self, apdu: bytes) -> bytes:
        card = self._card()
        if card.faults.mute:
            raise MuteCardError()
        self.exchanges += 1
        try:
            return card.process(apdu)
        except CardGone:
            self.card = None
            raise CardRemovedError() from None

    def _card(self) -> EmulatedCard:
        if self.card is None:
            raise NoCardError()
        if self.card.faults.removed:
            self.card = None
            raise CardRemovedError()
        return self.card
