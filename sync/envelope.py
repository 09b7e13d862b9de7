"""Sealed envelopes: the bytes that carry one business event or one blob to the server.

Layout (all integers big-endian; docs/sync.md has the byte table):

    magic "CS" | version u8 | suite u8 | header_len u16 | header | sealed_len u32 | sealed | signature

`header` = server key id, station key id, station id, seq, envelope id, kind (see `Header`).
`sealed` = HPKE output (enc ‖ ciphertext ‖ tag) with `info` = INFO_LABEL ‖ everything before it,
so the header cannot be swapped onto another ciphertext. The station signs every byte before
the signature (Ed25519, or SM2 in suite 2), because HPKE Base mode does not authenticate the
sender. The suite byte must be the one the station pinned at enrolment (no downgrade).

The plaintext inside is: codec u8 | content_len u32 | content | zero padding up to a Padmé
bucket (so length leaks at most O(log log n) bits). Codecs: 0 raw (JPEG blobs), 1 raw deflate,
2 raw deflate with the preset dictionary v1 (small JSON records).
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from offline.protocols import CardstationError, EnvelopeHeader
from sync import messages
from sync.suite import SUITE_NONE, Suite, SuiteError, get_suite
from sync.zdict import DICTIONARIES

MAGIC = b"CS"
VERSION = 1
INFO_LABEL = b"cardstation-envelope-v1\x00"
PREFIX = struct.Struct(">2sBBH")
CODEC_RAW, CODEC_DEFLATE, CODEC_DEFLATE_DICT1 = 0, 1, 2
#: below this a record is "small": try the dictionary codec
SMALL_RECORD = 8 * 1024
MIN_BUCKET = 64
#: From this padded length on (blobs: photos and scans; text records stay far below it) the
#: buckets are 2**FINE_BITS times finer than Padmé's: at most 1.6 % overhead instead of ~3 %
#: (docs/sync.md, "Padding": what the finer buckets leak and why that is acceptable).
FINE_FROM = 8 * 1024
FINE_BITS = 2


class EnvelopeError(CardstationError):
    """An envelope the server must refuse. `code` is one of `sync.wire.REJECTION_CODES`."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(messages.reason(code), code=code, text=f"{code}: {detail}" if detail else code)
        self.detail = detail


@dataclass(frozen=True)
class Header:
    """What the signature and HPKE `info` bind to the ciphertext."""

    server_key_id: str
    station_key_id: str
    station_id: str
    seq: int
    envelope_id: str  # 32 lowercase hex digits (uuid4().hex)
    kind: str

    def encode(self) -> bytes:
        try:
            eid = bytes.fromhex(self.envelope_id)
        except ValueError as exc:
            raise ValueError("envelope id must be 32 hex digits") from exc
        if len(eid) != 16:
            raise ValueError("envelope id must be 32 hex digits")
        return b"".join(
            (
                _short(self.server_key_id),
                _short(self.station_key_id),
                _short(self.station_id),
                struct.pack(">Q", self.seq),
                eid,
                _short(self.kind),
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> Header:
        pos = 0

        def take_short() -> str:
            nonlocal pos
            n = data[pos]
            value = data[pos + 1 : pos + 1 + n]
            if len(value) != n:
                raise EnvelopeError("malformed", "header truncated")
            pos += 1 + n
            return value.decode("utf-8")

        try:
            skid, stkid, station = take_short(), take_short(), take_short()
            seq = struct.unpack_from(">Q", data, pos)[0]
            pos += 8
            eid = data[pos : pos + 16]
            if len(eid) != 16:
                raise EnvelopeError("malformed", "header truncated")
            pos += 16
            kind = take_short()
        except (IndexError, struct.error, UnicodeDecodeError) as exc:
            raise EnvelopeError("malformed", "header unreadable") from exc
        if pos != len(data):
            raise EnvelopeError("malformed", "header has trailing bytes")
        return cls(skid, stkid, station, int(seq), eid.hex(), kind)


def _short(text: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > 255:
        raise ValueError("header field longer than 255 bytes")
    return bytes([len(raw)]) + raw


# --------------------------------------------------------------------------- padding, codecs


def padme(length: int) -> int:
    """Padmé bucket (Nikitin et al. 2019): at most ~12 % overhead, ~3 % at 30 KB."""
    length = max(length, MIN_BUCKET)
    e = length.bit_length() - 1
    s = e.bit_length()
    last_bits = e - s
    mask = (1 << last_bits) - 1
    return (length + mask) & ~mask


def bucket(length: int) -> int:
    """The padded length of a plaintext of `length` bytes: Padmé, finer from FINE_FROM on.

    Why not Padmé throughout: at photo sizes its ~2.4 % is most of the wire overhead a station
    pays on a 64 kbit/s link (bench/sync.py). Two more mantissa bits keep the leak at
    O(log log n) + 2 bits and change nothing for text records. The gateway accepts any zero
    padding, so envelopes sealed before or after this change open alike.
    """
    length = max(length, MIN_BUCKET)
    if length < FINE_FROM:
        return padme(length)
    e = length.bit_length() - 1
    last_bits = max(e - e.bit_length() - FINE_BITS, 0)
    mask = (1 << last_bits) - 1
    return (length + mask) & ~mask


def _deflate(data: bytes, zdict: bytes | None) -> bytes:
    c = (
        zlib.compressobj(9, zlib.DEFLATED, -15, zdict=zdict)
        if zdict
        else zlib.compressobj(9, zlib.DEFLATED, -15)
    )
    return c.compress(data) + c.flush()


def _inflate(data: bytes, zdict: bytes | None, limit: int) -> bytes:
    d = zlib.decompressobj(-15, zdict=zdict) if zdict else zlib.decompressobj(-15)
    out = d.decompress(data, limit)
    if d.unconsumed_tail:
        raise EnvelopeError("malformed", "content larger than allowed")
    return out


def encode_plaintext(payload: bytes, *, compress: bool) -> bytes:
    """codec ‖ length ‖ content ‖ padding; picks the smallest codec that helps."""
    codec, content = CODEC_RAW, payload
    if compress:
        candidates = [(CODEC_DEFLATE, _deflate(payload, None))]
        if len(payload) <= SMALL_RECORD:
            candidates.append((CODEC_DEFLATE_DICT1, _deflate(payload, DICTIONARIES[1])))
        best = min(candidates, key=lambda c: len(c[1]))
        if len(best[1]) < len(payload):
            codec, content = best
    body = struct.pack(">BI", codec, len(content)) + content
    return body + b"\x00" * (bucket(len(body)) - len(body))


def decode_plaintext(plain: bytes, *, max_size: int) -> bytes:
    if len(plain) < 5:
        raise EnvelopeError("malformed", "plaintext too short")
    codec, n = struct.unpack_from(">BI", plain, 0)
    content = plain[5 : 5 + n]
    if len(content) != n or any(plain[5 + n :]):
        raise EnvelopeError("malformed", "bad padding")
    if codec == CODEC_RAW:
        return content
    try:
        if codec == CODEC_DEFLATE:
            return _inflate(content, None, max_size)
        if codec == CODEC_DEFLATE_DICT1:
            return _inflate(content, DICTIONARIES[1], max_size)
    except zlib.error as exc:
        raise EnvelopeError("malformed", "bad compression") from exc
    raise EnvelopeError("malformed", f"unknown codec {codec}")


# --------------------------------------------------------------------------- seal / parse / open


def seal(
    suite: Suite,
    header: Header,
    payload: bytes,
    *,
    server_public_key: bytes,
    station_signing_key: bytes,
    compress: bool = True,
) -> bytes:
    """Build one envelope (station side)."""
    head = header.encode()
    prefix = PREFIX.pack(MAGIC, VERSION, suite.suite_id, len(head)) + head
    sealed = suite.encrypt(
        encode_plaintext(payload, compress=compress), server_public_key, INFO_LABEL + prefix
    )
    signed = prefix + struct.pack(">I", len(sealed)) + sealed
    return signed + suite.sign(station_signing_key, signed)


@dataclass(frozen=True)
class Parsed:
    """An envelope split into its parts, not yet verified."""

    suite_id: int
    header: Header
    prefix: bytes
    sealed: bytes
    signed: bytes
    signature: bytes


def parse(data: bytes) -> Parsed:
    """Split the framing; raise `cleartext` for anything that is not an envelope at all."""
    if len(data) < PREFIX.size or data[:2] != MAGIC:
        raise EnvelopeError("cleartext" if _looks_like_text(data) else "malformed", "not an envelope")
    _magic, version, suite_id, hlen = PREFIX.unpack_from(data, 0)
    if suite_id == SUITE_NONE:
        raise EnvelopeError("cleartext", "suite 0 (no encryption) is never accepted")
    if version != VERSION:
        raise EnvelopeError("malformed", f"unknown version {version}")
    try:
        suite = get_suite(suite_id)
    except KeyError as exc:
        raise EnvelopeError("malformed", f"unknown suite {suite_id}") from exc
    end_prefix = PREFIX.size + hlen
    header = Header.decode(data[PREFIX.size : end_prefix])
    if len(data) < end_prefix + 4:
        raise EnvelopeError("malformed", "truncated")
    (slen,) = struct.unpack_from(">I", data, end_prefix)
    end_sealed = end_prefix + 4 + slen
    if len(data) != end_sealed + suite.signature_size:
        raise EnvelopeError("malformed", "length mismatch")
    return Parsed(
        suite_id,
        header,
        data[:end_prefix],
        data[end_prefix + 4 : end_sealed],
        data[:end_sealed],
        data[end_sealed:],
    )


def _looks_like_text(data: bytes) -> bool:
    head = data[:64].lstrip()
    return (
        not head
        or head[:1] in (b"{", b"[", b"<", b'"')
        or all(32 <= b < 127 or b in (9, 10, 13) for b in head)
    )


@dataclass(frozen=True)
class StationKey:
    """A station's registered verification key as the server knows it."""

    station_id: str
    key_id: str
    public_key: bytes
    status: str  # 'active' | 'retiring' (rotation overlap) | 'retired' | 'revoked'
    suite: int = 1  # the suite pinned at enrolment: its envelopes must name this one


@dataclass(frozen=True)
class ServerKey:
    """One of the server's HPKE key pairs."""

    key_id: str
    private_key: bytes
    not_after: str  # ISO 8601 instant; envelopes sealed to it are refused after it
    suite: int = 1  # which suite's encryption key this is


@dataclass(frozen=True)
class Opened:
    header: Header
    payload: bytes


def open_envelope(
    data: bytes,
    *,
    station_keys: Callable[[str], list[StationKey] | None],
    server_keys: Callable[[str], ServerKey | None],
    now: datetime | None = None,
    max_size: int = 8 * 1024 * 1024,
) -> Opened:
    """Verify and decrypt (server side). Raises EnvelopeError with a distinct code.

    `station_keys(station_id)` returns that station's keys (None when the station is unknown);
    `server_keys(key_id)` the server key pair with that id (None when there is none).
    """
    parsed = parse(data)
    h = parsed.header
    keys = station_keys(h.station_id)
    if keys is None:
        raise EnvelopeError("unknown_station", h.station_id)
    if keys and all(k.status == "revoked" for k in keys):
        raise EnvelopeError("revoked_station", h.station_id)
    key = next((k for k in keys if k.key_id == h.station_key_id), None)
    if key is None:
        raise EnvelopeError("tampered", "unknown station key id")
    if parsed.suite_id != key.suite:  # a downgrade (or upgrade) from the suite pinned at enrolment
        raise EnvelopeError("tampered", f"suite {parsed.suite_id}, station pinned suite {key.suite}")
    suite = get_suite(parsed.suite_id)
    try:
        suite.verify(key.public_key, parsed.signature, parsed.signed)
    except SuiteError as exc:
        raise EnvelopeError("tampered", "bad signature") from exc
    if key.status == "revoked":
        raise EnvelopeError("revoked_station", "station key revoked")
    if key.status == "retired":
        raise EnvelopeError("retired_key", "station key retired (rotated or re-enrolled)")
    server_key = server_keys(h.server_key_id)
    if server_key is None or server_key.suite != parsed.suite_id:
        raise EnvelopeError("wrong_key_id", h.server_key_id)
    moment = now or datetime.now(UTC)
    if datetime.fromisoformat(server_key.not_after) <= moment:
        raise EnvelopeError("expired_key", h.server_key_id)
    try:
        plain = suite.decrypt(parsed.sealed, server_key.private_key, INFO_LABEL + parsed.prefix)
    except SuiteError as exc:
        raise EnvelopeError("tampered", "decryption failed") from exc
    return Opened(h, decode_plaintext(plain, max_size=max_size))


def peek_header(data: bytes) -> Header | None:
    """The claimed header of a (possibly partial) envelope, unverified; None if unreadable."""
    try:
        if len(data) < PREFIX.size or data[:2] != MAGIC:
            return None
        hlen = PREFIX.unpack_from(data, 0)[3]
        return Header.decode(data[PREFIX.size : PREFIX.size + hlen])
    except (EnvelopeError, struct.error, IndexError):
        return None


# --------------------------------------------------------------------------- the station's sealer


@dataclass(frozen=True)
class PinnedServerKey:
    """A server HPKE public key the station pinned (at enrolment or by a signed key refresh)."""

    key_id: str
    public_key: bytes
    not_after: str


class StationSealer:
    """`offline.protocols.Sealer` for a station: encrypts to the server, signs with the station key.

    It holds only public server keys; nothing it holds can open what it sealed.
    """

    def __init__(
        self,
        *,
        station_id: str,
        station_key_id: str,
        station_signing_key: bytes,
        server_key: PinnedServerKey,
        suite: Suite | None = None,
    ) -> None:
        from sync.suite import DEFAULT_SUITE

        self.station_id = station_id
        self.station_key_id = station_key_id
        self._signing_key = station_signing_key
        self.server_key = server_key
        self.suite = suite or DEFAULT_SUITE

    def seal(self, header: EnvelopeHeader, payload: bytes, *, compress: bool = True) -> bytes:
        h = Header(
            server_key_id=self.server_key.key_id,
            station_key_id=self.station_key_id,
            station_id=header.station_id or self.station_id,
            seq=header.seq,
            envelope_id=header.envelope_id,
            kind=header.kind,
        )
        return seal(
            self.suite,
            h,
            payload,
            server_public_key=self.server_key.public_key,
            station_signing_key=self._signing_key,
            compress=compress,
        )


def canonical_json(value: object) -> bytes:
    """The bytes a JSON signature covers (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
