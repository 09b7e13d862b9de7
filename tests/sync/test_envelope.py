"""Envelope format: round trip, padding, compression, and every rejection code of open_envelope."""

from __future__ import annotations

import json
import struct
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from offline.business import ServiceContext, commit_business
from offline.protocols import EnvelopeHeader
from sync.envelope import (
    CODEC_DEFLATE_DICT1,
    CODEC_RAW,
    PREFIX,
    EnvelopeError,
    Header,
    ServerKey,
    StationKey,
    StationSealer,
    bucket,
    decode_plaintext,
    encode_plaintext,
    open_envelope,
    padme,
    parse,
)
from sync.suite import DEFAULT_SUITE
from sync.testing import TestKeys, fresh_keys
from tests.conftest import STATION_ID, RecordingSealer

RECORD = json.dumps(
    {
        "schema": 1,
        "receipt_no": "4201020010010000120260101 0001",
        "item": "apply",
        "details": {
            "ssn": "420102199001011234",
            "name": "张三丰",
            "bank": "工商银行",
            "address": "湖北省武汉市江岸区某某街道某某村5组12号",
        },
    },
    ensure_ascii=False,
    sort_keys=True,
).encode()


def _header(seq: int = 1, kind: str = "business") -> EnvelopeHeader:
    return EnvelopeHeader(station_id=STATION_ID, seq=seq, envelope_id=uuid.uuid4().hex, kind=kind)


def _opener(
    keys: TestKeys, *, status: str = "active", not_after: str | None = None, known: bool = True
) -> dict[str, object]:
    station = StationKey(keys.station_id, keys.station_key_id, keys.station_public, status)
    server = ServerKey(keys.server_key_id, keys.server_private, not_after or keys.not_after)
    return {
        "station_keys": lambda sid: [station] if known and sid == keys.station_id else None,
        "server_keys": lambda kid: server if kid == keys.server_key_id else None,
    }


def test_round_trip_header_and_payload(sealer: RecordingSealer) -> None:
    h = _header(7)
    data = sealer.seal(h, RECORD)
    opened = sealer.keys.open(data)
    assert opened.payload == RECORD
    assert (opened.header.station_id, opened.header.seq, opened.header.envelope_id, opened.header.kind) == (
        STATION_ID,
        7,
        h.envelope_id,
        "business",
    )
    assert sealer.sealed == [(h, RECORD)]


APPLY_DETAILS = {
    "kind": "first",
    "ssn": "420102199001011234",
    "name": "张三丰",
    "channel": "window",
    "mode": "fast",
    "mode_requested": "fast",
    "bank": "中国工商银行",
    "route": "local",
    "deadline": "2026-06-01",
    "mailing": False,
    "mailing_address": "",
    "unit_name": "",
    "cartoon": False,
    "remote_accepted_on": "",
    "person": {
        "ssn": "420102199001011234",
        "name": "张三丰",
        "sex": "1",
        "ethnicity": "01",
        "nationality": "CHN",
        "occupation": "6010000",
        "phone": "13800138000",
        "address": "湖北省武汉市江岸区某某街道某某村5组12号",
        "doc_type": "resident_id",
        "doc_number": "420102199001011234",
        "doc_valid_from": "2015-01-01",
        "doc_valid_to": "2035-01-01",
        "birth_date": "1990-01-01",
    },
    "freeze_override_by": "",
}


def test_text_record_on_the_wire_is_smaller_than_its_json(ctx: ServiceContext) -> None:
    """A real application record as commit_business builds it: sealed envelope < raw JSON."""
    with ctx.store.write() as conn:
        result = commit_business(ctx, conn, item="apply", summary="申领", details=APPLY_DETAILS)
    raw = ctx.sealer.sealed[-1][1]  # type: ignore[attr-defined]
    row = ctx.store.one("SELECT size FROM outbox WHERE envelope_id = ?", (result.envelope_ids[-1],))
    assert row is not None
    assert row["size"] < len(raw), (row["size"], len(raw))


def test_blob_is_never_compressed_and_padding_is_small() -> None:
    jpeg_like = bytes(range(256)) * 120  # compressible on purpose: compress=False must still store it raw
    plain = encode_plaintext(jpeg_like, compress=False)
    assert plain[0] == CODEC_RAW
    assert len(plain) == bucket(len(jpeg_like) + 5)
    assert len(plain) / len(jpeg_like) < 1.01
    assert decode_plaintext(plain, max_size=10**6) == jpeg_like


def test_photo_padding_is_finer_than_padme_and_text_keeps_padme() -> None:
    """A 30 KB photo pays at most 256 B of padding (Padmé: 1 024); text records keep Padmé."""
    assert padme(30_005) == 30_720
    assert bucket(30_005) == 30_208
    for n in (64, 100, 361, 1_000, 4_000, 8_191):
        assert bucket(n) == padme(n)
    previous = 0
    for n in range(8_192, 200_000, 37):
        b = bucket(n)
        assert n <= b <= padme(n)
        assert (b - n) / n <= 1 / 64  # at most ~1.6 % from 8 KiB on
        assert b >= previous  # monotone: a longer plaintext never gets a shorter envelope
        previous = b
    assert len({bucket(n) for n in range(16_385, 32_768)}) == 64  # the leak: 6 bits per octave, Padmé's 4
    assert len({padme(n) for n in range(16_385, 32_768)}) == 16


def test_envelopes_padded_the_old_way_still_open() -> None:
    """The gateway accepts any zero padding: a station not yet updated stays readable."""
    body = struct.pack(">BI", CODEC_RAW, 30_000) + b"\x01" * 30_000
    old = body + b"\x00" * (padme(len(body)) - len(body))
    assert decode_plaintext(old, max_size=10**6) == b"\x01" * 30_000


def test_small_json_uses_the_preset_dictionary() -> None:
    assert encode_plaintext(RECORD, compress=True)[0] == CODEC_DEFLATE_DICT1


def test_padding_hides_exact_length() -> None:
    sizes = {len(encode_plaintext(b"x" * n, compress=False)) for n in range(600, 640)}
    assert len(sizes) <= 3


def test_header_is_bound_swapping_it_is_tampered(sealer: RecordingSealer) -> None:
    """Reordering: give envelope A the header (sequence number) of envelope B."""
    a = sealer.seal(_header(1), b"first")
    b = sealer.seal(_header(2), b"second")
    pa, pb = parse(a), parse(b)
    forged = pb.prefix + a[len(pa.prefix) :]
    with pytest.raises(EnvelopeError) as e:
        sealer.keys.open(forged)
    assert e.value.code in ("tampered", "malformed")


@pytest.mark.parametrize("where", ["header", "ciphertext", "signature"])
def test_flipped_byte_is_tampered(sealer: RecordingSealer, where: str) -> None:
    data = bytearray(sealer.seal(_header(), RECORD))
    p = parse(bytes(data))
    pos = {"header": len(p.prefix) - 3, "ciphertext": len(p.prefix) + 40, "signature": len(data) - 5}[where]
    data[pos] ^= 0x01
    with pytest.raises(EnvelopeError) as e:
        sealer.keys.open(bytes(data))
    assert e.value.code == "tampered"


def test_unknown_station() -> None:
    keys = fresh_keys(STATION_ID)
    data = keys.sealer().seal(_header(), b"x")
    with pytest.raises(EnvelopeError) as e:
        open_envelope(data, **_opener(keys, known=False))  # type: ignore[arg-type]
    assert e.value.code == "unknown_station"


def test_revoked_station() -> None:
    keys = fresh_keys(STATION_ID)
    data = keys.sealer().seal(_header(), b"x")
    with pytest.raises(EnvelopeError) as e:
        open_envelope(data, **_opener(keys, status="revoked"))  # type: ignore[arg-type]
    assert e.value.code == "revoked_station"


def test_wrong_station_key_is_tampered() -> None:
    """A station signing in another station's name: the signature does not verify."""
    victim, attacker = fresh_keys(STATION_ID), fresh_keys(STATION_ID)
    forged = attacker.sealer()
    forged.station_key_id = victim.station_key_id
    forged.server_key = victim.sealer().server_key
    with pytest.raises(EnvelopeError) as e:
        victim.open(forged.seal(_header(), b"x"))
    assert e.value.code == "tampered"


def test_wrong_key_id() -> None:
    keys, other = fresh_keys(STATION_ID), fresh_keys(STATION_ID)
    s = keys.sealer()
    s.server_key = other.sealer().server_key
    with pytest.raises(EnvelopeError) as e:
        keys.open(s.seal(_header(), b"x"))
    assert e.value.code == "wrong_key_id"


def test_expired_key() -> None:
    keys = fresh_keys(STATION_ID)
    data = keys.sealer().seal(_header(), b"x")
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    with pytest.raises(EnvelopeError) as e:
        open_envelope(data, **_opener(keys, not_after=past))  # type: ignore[arg-type]
    assert e.value.code == "expired_key"


@pytest.mark.parametrize("body", [b'{"receipt_no": "1"}', b"hello", b""])
def test_cleartext_is_refused(body: bytes) -> None:
    keys = fresh_keys(STATION_ID)
    with pytest.raises(EnvelopeError) as e:
        keys.open(body)
    assert e.value.code == "cleartext"


def test_suite_zero_is_cleartext() -> None:
    keys = fresh_keys(STATION_ID)
    head = Header(
        keys.server_key_id, keys.station_key_id, STATION_ID, 1, uuid.uuid4().hex, "business"
    ).encode()
    prefix = PREFIX.pack(b"CS", 1, 0, len(head)) + head
    signed = prefix + struct.pack(">I", 3) + b"abc"
    data = signed + DEFAULT_SUITE.sign(keys.station_private, signed)
    with pytest.raises(EnvelopeError) as e:
        keys.open(data)
    assert e.value.code == "cleartext"


@pytest.mark.parametrize("cut", [5, 30, -1])
def test_truncated_is_malformed(sealer: RecordingSealer, cut: int) -> None:
    data = sealer.seal(_header(), RECORD)
    with pytest.raises(EnvelopeError) as e:
        sealer.keys.open(data[:cut])
    assert e.value.code == "malformed"


def test_station_sealer_holds_no_private_server_key(sealer: RecordingSealer) -> None:
    """The station can seal but never open: it holds the server's public key only."""
    inner = sealer.inner
    assert isinstance(inner, StationSealer)
    assert inner.server_key.public_key == sealer.keys.server_public
    assert set(vars(inner.server_key)) == {"key_id", "public_key", "not_after"}
    assert sealer.keys.server_private not in [v for v in vars(inner).values() if isinstance(v, bytes)]
