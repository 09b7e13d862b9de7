"""Answer-to-reset helpers: historical bytes (a key-diversification factor) and
which transmission protocols the card offers.

Only the structure of ISO 7816-3 is parsed; nothing vendor-specific.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.errors import MuteCardError


@dataclass(frozen=True)
class AtrInfo:
    historical: bytes
    protocols: tuple[int, ...]  # e.g. (0,) or (1,) or (0, 1)


def parse_atr(atr: bytes) -> AtrInfo:
    """Parse TS/T0/interface bytes; an empty or truncated ATR means a mute card."""
    if len(atr) < 2 or atr[0] not in (0x3B, 0x3F):
        raise MuteCardError(detail="no valid ATR")
    y = atr[1] >> 4
    k = atr[1] & 0x0F
    pos = 2
    protocols: list[int] = []
    while True:
        td = None
        for bit in (0x1, 0x2, 0x4, 0x8):
            if y & bit:
                if pos >= len(atr):
                    raise MuteCardError(detail="truncated ATR")
                if bit == 0x8:
                    td = atr[pos]
                pos += 1
        if td is None:
            break
        protocols.append(td & 0x0F)
        y = td >> 4
    historical = atr[pos : pos + k]
    if len(historical) != k:
        raise MuteCardError(detail="truncated ATR")
    return AtrInfo(bytes(historical), tuple(dict.fromkeys(protocols)) or (0,))


def build_atr(historical: bytes, protocol: int) -> bytes:
    """A minimal ATR offering T=0 (no interface bytes) or T=1 (TD1 = 01, with TCK)."""
    if len(historical) > 15:
        raise ValueError("at most 15 historical bytes")
    if protocol == 0:
        return bytes((0x3B, len(historical))) + historical
    body = bytes((0x80 | len(historical), 0x01)) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes((tck,))
