"""The transport boundary and the channel that speaks ISO 7816-4 over it.

A `Transport` moves raw bytes to one card and back; `PcscTransport` (reader.py)
does it through pcscd, `InProcessTransport` (emulator) calls the emulated card
directly. Everything above - GET RESPONSE, Le correction, status words, command
sequences - lives in `CardChannel` and `CardSessionImpl`, so one implementation is
exercised by unit tests and by the real stack alike.
"""

from __future__ import annotations

import logging
from typing import Protocol, runtime_checkable

from devices.apdu import Apdu, Response
from devices.errors import SwContext

log = logging.getLogger(__name__)

_MAX_CHAINED = 32  # a card that keeps answering 61xx forever is broken, not slow


@runtime_checkable
class Transport(Protocol):
    """Raw access to one inserted card. Implementations raise CardError subclasses."""

    def transmit(self, apdu: bytes) -> bytes:
        """Send one command APDU, return response data || SW1 SW2."""
        ...

    def atr(self) -> bytes:
        """Answer-to-reset of the card in the reader."""
        ...


class CardChannel:
    """ISO 7816-4 exchange over a Transport: 61xx -> GET RESPONSE, 6Cxx -> resend with Le.

    T=0 cards answer case-4 commands with 61xx and report a wrong Le with 6Cxx; T=1
    cards usually do neither, and then this costs nothing. `apdu_count` counts every
    command sent to the card (benchmarks, tests).
    """

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.apdu_count = 0

    def _raw(self, apdu: Apdu) -> Response:
        self.apdu_count += 1
        # Header, lengths and status only: record data is the holder's SSN and name (R-SEC-1),
        # and PIN blocks never leave the session (R-PIN-6), so no data field is logged, ever.
        if log.isEnabledFor(logging.DEBUG):
            log.debug("> %s Lc=%d Le=%s", apdu.header.hex().upper(), len(apdu.data), apdu.le)
        response = Response.parse(self.transport.transmit(apdu.to_bytes()))
        if log.isEnabledFor(logging.DEBUG):
            log.debug("< %d bytes %04X", len(response.data), response.sw)
        return response

    def send(self, apdu: Apdu) -> Response:
        """Send and complete the exchange; the returned response is never 61xx/6Cxx."""
        response = self._raw(apdu)
        if response.sw1 == 0x6C:
            response = self._raw(apdu.with_le(response.sw2))
        data = bytearray(response.data)
        rounds = 0
        while response.sw1 == 0x61 and rounds < _MAX_CHAINED:
            rounds += 1
            response = self._raw(Apdu(0x00, 0xC0, 0x00, 0x00, le=response.sw2))
            if response.sw1 == 0x6C:
                response = self._raw(Apdu(0x00, 0xC0, 0x00, 0x00, le=response.sw2))
            data += response.data
        return Response(bytes(data), response.sw)

    def call(self, apdu: Apdu, context: SwContext = "plain") -> bytes:
        """Send and return the data; raise the typed error of any status other than 9000."""
        return self.send(apdu).check(context)

    def atr(self) -> bytes:
        return self.transport.atr()
