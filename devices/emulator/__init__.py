"""Card emulator: an APDU-level model of the social-security card.

In-process for unit tests (`InProcessTransport`), and behind pcscd's virtual reader
driver vpcd for the real stack (`VpcdLink`), so the station's own pyscard code talks
to a real pcscd. See docs/card.md.
"""

from __future__ import annotations

from devices.emulator.card import CardGone, EmulatedCard
from devices.emulator.factory import CARD_KINDS, SAMPLE_HOLDER, CardKind, make_card, make_kind
from devices.emulator.faults import Faults
from devices.emulator.state import CardState
from devices.emulator.transport import InProcessTransport

__all__ = [
    "CARD_KINDS",
    "SAMPLE_HOLDER",
    "CardGone",
    "CardKind",
    "CardState",
    "EmulatedCard",
    "Faults",
    "InProcessTransport",
    "make_card",
    "make_kind",
]
