"""Value encodings of the card: cn (packed BCD, right-padded F), an (ASCII/GBK,
right-padded 00) and `tag len value` records.

Every value is written at its full field length (card-spec.md), so encoders take
the field length and pad; decoders strip the padding. A field made only of
padding decodes to '' - that is how a blank temporary card reads.

cn values accept the hex digits 0-9 and A-E: the card identification code embeds
the RID `D156000005`, which is not decimal. F is reserved for padding.
"""

from __future__ import annotations

from devices.errors import InvalidValueError, MalformedResponseError, NameNotGbkError, NameTooLongError

_CN_DIGITS = frozenset("0123456789ABCDE")


def encode_cn(value: str, length: int) -> bytes:
    """Packed BCD of `value`, right-padded with F nibbles to `length` bytes."""
    text = value.upper()
    if any(ch not in _CN_DIGITS for ch in text):
        raise InvalidValueError(detail=f"cn value has non-digit characters: {value!r}")
    if len(text) > 2 * length:
        raise InvalidValueError(detail=f"cn value longer than {length} bytes: {value!r}")
    return bytes.fromhex(text.ljust(2 * length, "F"))


def decode_cn(raw: bytes) -> str:
    """Digits of a cn field with the F padding removed ('' when all padding).

    Only trailing F nibbles are padding; an F in the middle makes the value malformed.
    """
    text = raw.hex().upper().rstrip("F")
    if "F" in text:
        raise MalformedResponseError(detail="F nibble inside a cn value")
    return text


def encode_an(value: str, length: int) -> bytes:
    """GBK bytes of `value`, right-padded with 00 to `length` bytes."""
    try:
        raw = value.encode("gbk")
    except UnicodeEncodeError as exc:
        raise NameNotGbkError(detail=value) from exc
    if b"\x00" in raw:
        raise InvalidValueError(detail="an value contains NUL")
    if len(raw) > length:
        raise NameTooLongError(detail=f"{len(raw)} > {length} bytes")
    return raw.ljust(length, b"\x00")


def decode_an(raw: bytes) -> str:
    """Text of an an field with the 00 padding removed ('' when all padding)."""
    body = raw.rstrip(b"\x00")
    try:
        return body.decode("gbk")
    except UnicodeDecodeError as exc:
        raise MalformedResponseError(detail="an value is not GBK") from exc


def split_gbk(value: str, first: int) -> tuple[str, str]:
    """Split `value` so the first part fits in `first` GBK bytes, on a character boundary.

    Names longer than the 30-byte name field continue in tag 4E (2.0+ cards); cutting a
    two-byte GBK character in half would corrupt both fields.
    """
    used = 0
    for index, ch in enumerate(value):
        try:
            size = len(ch.encode("gbk"))
        except UnicodeEncodeError as exc:
            raise NameNotGbkError(detail=value) from exc
        if used + size > first:
            return value[:index], value[index:]
        used += size
    return value, ""


def encode_record(tag: int, value: bytes) -> bytes:
    """A `tag len value` record."""
    if not 0 <= tag <= 0xFF or len(value) > 0xFF:
        raise InvalidValueError(detail="record tag or length out of range")
    return bytes((tag, len(value))) + value


def decode_record(raw: bytes, expected_tag: int | None = None) -> tuple[int, bytes]:
    """Parse one `tag len value` record; the length must match the bytes present."""
    if len(raw) < 2:
        raise MalformedResponseError(detail="record shorter than 2 bytes")
    tag, length = raw[0], raw[1]
    if len(raw) != 2 + length:
        raise MalformedResponseError(detail="record length byte does not match")
    if expected_tag is not None and tag != expected_tag:
        raise MalformedResponseError(detail=f"record tag {tag:02X}, expected {expected_tag:02X}")
    return tag, bytes(raw[2:])


def encode_pin(pin: str) -> bytes:
    """BCD PIN, final nibble F when the digit count is odd (card-spec.md PIN table)."""
    from devices.errors import InvalidPinError

    if not (4 <= len(pin) <= 12 and pin.isascii() and pin.isdigit()):
        raise InvalidPinError()
    return bytes.fromhex(pin + ("F" if len(pin) % 2 else ""))


def decode_pin(raw: bytes) -> str | None:
    """Digits of a BCD PIN block, or None when it is not a valid PIN encoding."""
    text = raw.hex().upper()
    if text.endswith("F"):
        text = text[:-1]
    if not (4 <= len(text) <= 12 and text.isdigit()):
        return None
    return text


def iter_ber_tlv(data: bytes) -> list[tuple[int, bytes]]:
    """Top-level BER-TLV objects of `data` (FCI parsing); raises MalformedResponseError."""
    out: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(data):
        if data[pos] in (0x00, 0xFF):  # inter-object padding
            pos += 1
            continue
        tag = data[pos]
        pos += 1
        if tag & 0x1F == 0x1F:
            while True:
                if pos >= len(data):
                    raise MalformedResponseError(detail="truncated BER tag")
                tag = (tag << 8) | data[pos]
                pos += 1
                if not data[pos - 1] & 0x80 or tag > 0xFFFFFF:
                    break
        if pos >= len(data):
            raise MalformedResponseError(detail="missing BER length")
        length = data[pos]
        pos += 1
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 2 or pos + count > len(data):
                raise MalformedResponseError(detail="bad BER length")
            length = int.from_bytes(data[pos : pos + count], "big")
            pos += count
        if pos + length > len(data):
            raise MalformedResponseError(detail="BER value overruns")
        out.append((tag, bytes(data[pos : pos + length])))
        pos += length
    return out


def find_ber(data: bytes, path: tuple[int, ...]) -> bytes | None:
    """Value at a nested tag path (e.g. 6F/A5/9F0C/86), or None when absent."""
    current = data
    for tag in path:
        for found_tag, value in iter_ber_tlv(current):
            if found_tag == tag:
                current = value
                break
        else:
            return None
    return current
