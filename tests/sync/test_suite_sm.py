"""Suite 2 (国密): the GB/T example vectors, and whole envelopes sealed and opened with it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from sync.envelope import EnvelopeError, Header, ServerKey, StationKey, open_envelope, seal
from sync.suite import SM_SUITE, SuiteError, _sm3, get_suite, key_id_for

# GB/T 32918.2 (GM/T 0003.2) example on the recommended curve: private key, public key, message,
# user id 1234567812345678, the random k of the example, and the signature (r, s) it gives.
D = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
P = bytes.fromhex(
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
R_S = bytes.fromhex(
    "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
)


def test_sm3_example_vectors_gbt_32905() -> None:
    assert _sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert _sm3(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_sm4_example_vector_gbt_32907() -> None:
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    e = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert (e.update(key) + e.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm2_signature_example_vector_gbt_32918() -> None:
    assert SM_SUITE._mul(int.from_bytes(D, "big"), SM_SUITE._g()).upper() == P.hex().upper()
    assert SM_SUITE.sign(D, b"message digest", k=K) == R_S
    SM_SUITE.verify(P, R_S, b"message digest")
    with pytest.raises(SuiteError):
        SM_SUITE.verify(P, R_S, b"message digest!")
    random_k = SM_SUITE.sign(D, b"message digest")
    assert random_k != R_S  # a fresh k from `secrets` every time
    SM_SUITE.verify(P, random_k, b"message digest")


def test_sm2_encryption_round_trip_and_integrity() -> None:
    priv, pub = SM_SUITE.new_encryption_key()
    c = SM_SUITE.sm2_encrypt(b"sixteen byte key", pub)
    assert len(c) == 64 + 32 + 16 and SM_SUITE.sm2_decrypt(c, priv) == b"sixteen byte key"
    bad = bytearray(c)
    bad[-1] ^= 1
    with pytest.raises(SuiteError):
        SM_SUITE.sm2_decrypt(bytes(bad), priv)


def test_envelope_sealed_and_opened_with_the_sm_suite() -> None:
    suite = get_suite(2)
    server_priv, server_pub = suite.new_encryption_key()
    station_priv, station_pub = suite.new_signing_key()
    header = Header(
        server_key_id=key_id_for(server_pub),
        station_key_id=key_id_for(station_pub),
        station_id="4301210010010000101",
        seq=1,
        envelope_id=uuid.uuid4().hex,
        kind="business",
    )
    payload = b'{"item":"apply","details":{"ssn":"430102199001011234"}}' * 20
    env = seal(suite, header, payload, server_public_key=server_pub, station_signing_key=station_priv)
    assert b"430102199001011234" not in env
    not_after = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    keys = {
        "station_keys": lambda sid: [StationKey(sid, key_id_for(station_pub), station_pub, "active", 2)],
        "server_keys": lambda kid: ServerKey(kid, server_priv, not_after, 2),
    }
    assert open_envelope(env, **keys).payload == payload  # type: ignore[arg-type]
    flipped = bytearray(env)
    flipped[len(flipped) // 2] ^= 1
    with pytest.raises(EnvelopeError) as err:
        open_envelope(bytes(flipped), **keys)  # type: ignore[arg-type]
    assert err.value.code == "tampered"


def test_sm2_arithmetic_agrees_with_gmssl_and_refuses_points_off_the_curve() -> None:
    """The fast curve arithmetic (fastecdsa) against gmssl's reference implementation."""
    from gmssl import sm2

    for _ in range(3):
        priv, pub = SM_SUITE.new_signing_key()
        ref = sm2.CryptSM2(private_key=priv.hex(), public_key=pub.hex())
        k = SM_SUITE._scalar()
        assert ref._kg(k, pub.hex()) == SM_SUITE._mul(k, pub.hex())
        ours = SM_SUITE.sign(priv, b"cross-check")
        assert ref.verify(ours.hex(), SM_SUITE._digest(pub.hex(), b"cross-check"))
        theirs = bytes.fromhex(ref.sign(SM_SUITE._digest(pub.hex(), b"cross-check"), f"{k:064x}"))
        SM_SUITE.verify(pub, theirs, b"cross-check")
    off_curve = P[:63] + bytes([P[63] ^ 1])
    with pytest.raises(SuiteError):
        SM_SUITE.verify(off_curve, R_S, b"message digest")
    enc = SM_SUITE.sm2_encrypt(b"k" * 16, P)
    with pytest.raises(SuiteError):  # a C1 off the curve (invalid-curve attack) is refused
        SM_SUITE.sm2_decrypt(off_curve + enc[64:], D)


def test_sm2_point_at_infinity_is_never_encoded() -> None:
    from sync.suite import _point_bytes, _sm2_curve

    curve = _sm2_curve()
    with pytest.raises(SuiteError):
        _point_bytes(curve.q * curve.G)
