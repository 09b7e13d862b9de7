"""Command and response APDUs (ISO 7816-4 short form only).

The social-security card never needs extended length: the largest record is 32
bytes. Parsing is strict and total: any byte string either yields a value or
raises a typed `CardError`, which is what a reader talking to an unknown or
damaged card needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.errors import MalformedResponseError, SwContext, WrongLengthError, error_for_status


@dataclass(frozen=True)
class Apdu:
    """A short command APDU. `le=None` means no Le byte; `le=0` means Le = 00 (256)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None
    sensitive: bool = False  # carries PIN material: never log the data field (R-PIN-6)

    def __post_init__(self) -> None:
        for name, value in (("cla", self.cla), ("ins", self.ins), ("p1", self.p1), ("p2", self.p2)):
            if not 0 <= value <= 0xFF:
                raise ValueError(f"{name} out of range: {value}")
        if len(self.data) > 255:
            raise ValueError("short APDU data longer than 255 bytes")
        if self.le is not None and not 0 <= self.le <= 0xFF:
            raise ValueError(f"le out of range: {self.le}")

    @property
    def header(self) -> bytes:
        return bytes((self.cla, self.ins, self.p1, self.p2))

    def to_bytes(self) -> bytes:
        out = bytearray(self.header)
        if self.data:
            out.append(len(self.data))
            out += self.data
        if self.le is not None:
            out.append(self.le)
        return bytes(out)

    def with_le(self, le: int) -> Apdu:
        return Apdu(self.cla, self.ins, self.p1, self.p2, self.data, le, self.sensitive)

    def loggable(self) -> str:
        """Hex for logs, with the data of PIN commands masked."""
        if self.sensitive and self.data:
            return f"{self.header.hex().upper()} {len(self.data):02X} <{len(self.data)} bytes masked>"
        return self.to_bytes().hex().upper()

    @classmethod
    def parse(cls, raw: bytes) -> Apdu:
        """Parse a short command APDU (used by the emulator). Raises WrongLengthError."""
        if len(raw) < 4:
            raise WrongLengthError(detail="command shorter than 4 bytes")
        cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, le=body[0])
        lc = body[0]
        if lc == 0:
            # Lc = 0 is not a legal short-form Lc; treat "00 xx" as malformed.
            raise WrongLengthError(detail="Lc = 0 with trailing bytes")
        if len(body) == 1 + lc:
            return cls(cla, ins, p1, p2, body[1:])
        if len(body) == 2 + lc:
            return cls(cla, ins, p1, p2, body[1 : 1 + lc], body[1 + lc])
        raise WrongLengthError(detail="Lc does not match the command length")


@dataclass(frozen=True)
class Response:
    """A response APDU: data and the two status bytes."""

    data: bytes
    sw: int

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    @property
    def ok(self) -> bool:
        return self.sw == 0x9000

    def to_bytes(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    def check(self, context: SwContext = "plain") -> bytes:
        """Return the data on 9000, raise the typed error the status word means otherwise."""
        error = error_for_status(self.sw, context)
        if error is not None:
            raise error
        return self.data

    @classmethod
    def parse(cls, raw: bytes) -> Response:
        """Split raw card bytes into data and SW; fewer than two bytes is malformed."""
        if len(raw) < 2:
            raise MalformedResponseError(detail=f"{len(raw)} bytes")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))


def sw_of(sw1: int, sw2: int) -> int:
    return (sw1 << 8) | sw2
