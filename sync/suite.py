"""The cryptographic suite behind envelopes, kept behind one small interface.

Why an interface: Chinese government systems may later require SM2/SM3/SM4 (国密). Every
byte format in `sync.envelope` names its suite with one byte, so a second suite can be
added next to this one without touching the framing, the outbox or the gateway's storage.

Suite 1 = HPKE Base mode (RFC 9180) with X25519 + HKDF-SHA256 + AES-256-GCM for
confidentiality, Ed25519 for the station's (and the server's) signatures.

Suite 2 = 国密: SM2 public-key encryption (GB/T 32918.4, C1‖C3‖C2) of a fresh 128-bit SM4
key, SM4-GCM (`cryptography`) over the plaintext with `info` and the encrypted key as
associated data, SM2 signatures with SM3 (GB/T 32918.2, user id "1234567812345678"). The curve
parameters are gmssl's, the point arithmetic fastecdsa's (Rust; every received point is checked
to lie on the curve), SM3 and SM4 OpenSSL's through `cryptography`; every random value (the SM2 `k`s, keys, nonces) comes from `secrets`,
not from gmssl's helper, which uses `random`. It passes the GB/T example vectors
(tests/sync/test_suite_sm.py).

Which suite a station uses is its province profile's `crypto_suite`, announced at enrolment and
pinned on both sides (`sync.keys`, `sync.gateway.keyring`): the gateway refuses an envelope whose
suite is not the one its station key was registered with, so suite 2 cannot be downgraded. The
gateway's downlink signatures (acknowledgements, key sets) stay Ed25519 for every station: the
enrolment token carries that key's fingerprint.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from offline.protocols import CardstationError
from sync import messages

if TYPE_CHECKING:  # imported when suite 2 is first used: suite-1 stations never load it
    from fastecdsa.rust import Curve, Point

#: Suite 0 is reserved for "no encryption" and is always refused (ODK Central #782).
SUITE_NONE = 0
SUITE_X25519_AES256GCM_ED25519 = 1
SUITE_SM2_SM4GCM_SM3 = 2
SM2_USER_ID = b"1234567812345678"  # the default signer id of GB/T 35276


class SuiteError(CardstationError):
    """Decryption or verification failed (the caller maps it to a reason code)."""

    def __init__(self, what: str) -> None:
        super().__init__(messages.reason("tampered"), code=what, text=what)


class Suite(Protocol):
    """What envelopes need from a cryptographic suite."""

    @property
    def suite_id(self) -> int: ...

    @property
    def overhead(self) -> int:
        """Bytes added by `encrypt` on top of the plaintext (encapsulated key + tag)."""
        ...

    @property
    def signature_size(self) -> int: ...

    @property
    def public_key_size(self) -> int:
        """Bytes of a raw public key (encryption and signing keys alike)."""
        ...

    def signing_public_key(self, private_key: bytes) -> bytes:
        """The public half of a signing key (to check a key file against its pinned id)."""
        ...

    def encrypt(self, plaintext: bytes, public_key: bytes, info: bytes) -> bytes: ...

    def decrypt(self, sealed: bytes, private_key: bytes, info: bytes) -> bytes: ...

    def sign(self, private_key: bytes, data: bytes) -> bytes: ...

    def verify(self, public_key: bytes, signature: bytes, data: bytes) -> None: ...

    def new_encryption_key(self) -> tuple[bytes, bytes]:
        """(private, public) raw bytes of a fresh key-agreement key pair."""
        ...

    def new_signing_key(self) -> tuple[bytes, bytes]:
        """(private, public) raw bytes of a fresh signing key pair."""
        ...


@dataclass(frozen=True)
class HpkeEd25519Suite:
    """Suite 1: HPKE Base (X25519, HKDF-SHA256, AES-256-GCM) + Ed25519."""

    suite_id: int = SUITE_X25519_AES256GCM_ED25519
    overhead: int = 32 + 16
    signature_size: int = 64
    public_key_size: int = 32

    def signing_public_key(self, private_key: bytes) -> bytes:
        return ed25519.Ed25519PrivateKey.from_private_bytes(private_key).public_key().public_bytes_raw()

    @staticmethod
    def _hpke() -> hpke.Suite:
        return hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)

    def encrypt(self, plaintext: bytes, public_key: bytes, info: bytes) -> bytes:
        pub = x25519.X25519PublicKey.from_public_bytes(public_key)
        return self._hpke().encrypt(plaintext, pub, info=info)

    def decrypt(self, sealed: bytes, private_key: bytes, info: bytes) -> bytes:
        priv = x25519.X25519PrivateKey.from_private_bytes(private_key)
        try:
            return self._hpke().decrypt(sealed, priv, info=info)
        except (InvalidTag, ValueError) as exc:
            raise SuiteError("decrypt") from exc

    def sign(self, private_key: bytes, data: bytes) -> bytes:
        return ed25519.Ed25519PrivateKey.from_private_bytes(private_key).sign(data)

    def verify(self, public_key: bytes, signature: bytes, data: bytes) -> None:
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
        except (InvalidSignature, ValueError) as exc:
            raise SuiteError("signature") from exc

    def new_encryption_key(self) -> tuple[bytes, bytes]:
        k = x25519.X25519PrivateKey.generate()
        return _raw_private(k), k.public_key().public_bytes_raw()

    def new_signing_key(self) -> tuple[bytes, bytes]:
        k = ed25519.Ed25519PrivateKey.generate()
        return _raw_private(k), k.public_key().public_bytes_raw()


def _raw_private(key: x25519.X25519PrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def _sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def _sm3_kdf(z: bytes, length: int) -> bytes:
    """GB/T 32918.4 §5.4.3: SM3(Z ‖ ct) for ct = 1, 2, ... until `length` bytes."""
    out = b"".join(_sm3(z + i.to_bytes(4, "big")) for i in range(1, length // 32 + 2))
    return out[:length]


@functools.cache
def _sm2_curve() -> Curve:
    """The GB/T 32918.5 recommended curve (parameters from gmssl's table), for fastecdsa's Rust
    arithmetic: gmssl's pure-Python scalar multiplication cost ~7 ms, four per envelope."""
    from fastecdsa.rust import Curve
    from gmssl import sm2

    t = sm2.default_ecc_table
    g = t["g"]
    return Curve(
        "SM2",
        int(t["p"], 16),
        int(t["a"], 16),
        int(t["b"], 16),
        int(t["n"], 16),
        int(g[:64], 16),
        int(g[64:], 16),
    )


def _point(xy: bytes) -> Point:
    """x ‖ y (64 bytes) as a curve point; SuiteError when it is not a point of the curve."""
    from fastecdsa.rust import Point

    if len(xy) != 64:
        raise SuiteError("key")
    try:
        return Point(int.from_bytes(xy[:32], "big"), int.from_bytes(xy[32:], "big"), curve=_sm2_curve())
    except (ValueError, TypeError) as exc:  # fastecdsa raises a ValueError subclass off the curve
        raise SuiteError("key") from exc


def _point_bytes(point: Point) -> bytes:
    if not _sm2_curve().is_point_on_curve(point):  # the point at infinity (fastecdsa: x 0, y 1)
        raise SuiteError("key")
    return int(point.x).to_bytes(32, "big") + int(point.y).to_bytes(32, "big")


@functools.lru_cache(maxsize=8)
def _public_of(private_key: bytes) -> bytes:
    """d·G (cached: every signature needs it for Z, and a station signs with one key)."""
    d = int.from_bytes(private_key, "big")
    n = int(_sm2_curve().q)
    if len(private_key) != 32 or not 0 < d < n - 1:
        raise SuiteError("key")
    return _point_bytes(d * _sm2_curve().G)


@dataclass(frozen=True)
class SmSuite:
    """Suite 2 (国密): SM2 encryption of an SM4 key + SM4-GCM; SM2-with-SM3 signatures."""

    suite_id: int = SUITE_SM2_SM4GCM_SM3
    overhead: int = 64 + 32 + 16 + 12 + 16  # C1 + C3 + C2 (the SM4 key), GCM nonce, GCM tag
    signature_size: int = 64
    public_key_size: int = 64  # x ‖ y, uncompressed without the 04 prefix

    def signing_public_key(self, private_key: bytes) -> bytes:
        return _public_of(private_key)

    @staticmethod
    def _curve() -> tuple[Curve, int]:
        curve = _sm2_curve()
        return curve, int(curve.q)

    def _scalar(self) -> int:
        _c, n = self._curve()
        return 1 + secrets.randbelow(n - 2)

    def _mul(self, k: int, point_hex: str) -> str:
        """k·P for P given as x ‖ y hex; SuiteError when P is not on the curve (invalid-curve attacks)."""
        return _point_bytes(k * _point(bytes.fromhex(point_hex))).hex()

    def _g(self) -> str:
        return _point_bytes(_sm2_curve().G).hex()

    def sm2_encrypt(self, message: bytes, public_key: bytes) -> bytes:
        """GB/T 32918.4 with a `secrets` k: C1 ‖ C3 ‖ C2 (C1 = x ‖ y, 64 bytes)."""
        while True:
            k = self._scalar()
            c1 = bytes.fromhex(self._mul(k, self._g()))
            xy = bytes.fromhex(self._mul(k, public_key.hex()))
            t = _sm3_kdf(xy, len(message))
            if any(t):
                break
        c2 = bytes(a ^ b for a, b in zip(message, t, strict=True))
        c3 = _sm3(xy[:32] + message + xy[32:])
        return c1 + c3 + c2

    def sm2_decrypt(self, data: bytes, private_key: bytes) -> bytes:
        if len(data) < 97:
            raise SuiteError("decrypt")
        c1, c3, c2 = data[:64], data[64:96], data[96:]
        xy = bytes.fromhex(self._mul(int.from_bytes(private_key, "big"), c1.hex()))
        message = bytes(a ^ b for a, b in zip(c2, _sm3_kdf(xy, len(c2)), strict=True))
        if not secrets.compare_digest(_sm3(xy[:32] + message + xy[32:]), c3):
            raise SuiteError("decrypt")
        return message

    def encrypt(self, plaintext: bytes, public_key: bytes, info: bytes) -> bytes:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        key, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
        enc = self.sm2_encrypt(key, public_key)
        e = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        e.authenticate_additional_data(info + enc)
        body = e.update(plaintext) + e.finalize()
        return enc + nonce + body + e.tag

    def decrypt(self, sealed: bytes, private_key: bytes, info: bytes) -> bytes:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        if len(sealed) < self.overhead:
            raise SuiteError("decrypt")
        enc, nonce, body, tag = sealed[:112], sealed[112:124], sealed[124:-16], sealed[-16:]
        key = self.sm2_decrypt(enc, private_key)
        d = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        d.authenticate_additional_data(info + enc)
        try:
            return d.update(body) + d.finalize()
        except InvalidTag as exc:
            raise SuiteError("decrypt") from exc

    def sign(self, private_key: bytes, data: bytes, *, k: int | None = None) -> bytes:
        """SM2 with SM3 (GB/T 32918.2 §6.1, Z from user id 1234567812345678); `k` only for the vectors."""
        curve, n = self._curve()
        d = int.from_bytes(private_key, "big")
        e = int.from_bytes(self._digest(_public_of(private_key).hex(), data), "big")
        while True:
            nonce = k or self._scalar()
            r = (e + (nonce * curve.G).x) % n
            s = pow(1 + d, -1, n) * (nonce - r * d) % n
            if r and r + nonce != n and s:
                return r.to_bytes(32, "big") + s.to_bytes(32, "big")
            if k is not None:
                raise SuiteError("signature")

    def verify(self, public_key: bytes, signature: bytes, data: bytes) -> None:
        """GB/T 32918.2 §7.1: t = r + s, (x1, y1) = s·G + t·P, accept when r = e + x1 (mod n)."""
        curve, n = self._curve()
        if len(signature) != 64 or len(public_key) != 64:
            raise SuiteError("signature")
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        t = (r + s) % n
        if not (0 < r < n and 0 < s < n and t):
            raise SuiteError("signature")
        e = int.from_bytes(self._digest(public_key.hex(), data), "big")
        point = s * curve.G + t * _point(public_key)
        if (e + point.x) % n != r:
            raise SuiteError("signature")

    def _digest(self, public_hex: str, data: bytes) -> bytes:
        """e = SM3(Z ‖ M), Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) (GB/T 32918.2 §5.5).

        Hashed here with OpenSSL's SM3: gmssl's own pure-Python SM3 made a 30 KB envelope cost
        half a second."""
        curve = _sm2_curve()
        z = _sm3(
            b"\x00\x80"
            + SM2_USER_ID
            + curve.a.to_bytes(32, "big")
            + curve.b.to_bytes(32, "big")
            + _point_bytes(curve.G)
            + bytes.fromhex(public_hex)
        )
        return _sm3(z + data)

    def new_encryption_key(self) -> tuple[bytes, bytes]:
        d = self._scalar()
        return d.to_bytes(32, "big"), bytes.fromhex(self._mul(d, self._g()))

    def new_signing_key(self) -> tuple[bytes, bytes]:
        return self.new_encryption_key()


DEFAULT_SUITE = HpkeEd25519Suite()
SM_SUITE = SmSuite()
SUITES: dict[int, Suite] = {DEFAULT_SUITE.suite_id: DEFAULT_SUITE, SM_SUITE.suite_id: SM_SUITE}


def get_suite(suite_id: int) -> Suite:
    """The suite for an id read from an envelope; KeyError when unknown."""
    return SUITES[suite_id]


def check_public_key(suite_id: int, public_key: bytes) -> None:
    """SuiteError unless `public_key` is a usable signing key of the suite (size; SM2: on the curve)."""
    if len(public_key) != get_suite(suite_id).public_key_size:
        raise SuiteError("key")
    if suite_id == SUITE_SM2_SM4GCM_SM3:
        _point_bytes(_point(public_key))  # off the curve, or the point at infinity


def suite_of(value: object) -> int:
    """A suite id from a setting, a JSON field or a database column; 1 when absent (older data)."""
    if value is None or value == "":
        return SUITE_X25519_AES256GCM_ED25519
    if isinstance(value, bool):
        raise ValueError("suite id must be an integer")
    suite_id = int(str(value))
    if suite_id not in SUITES:
        raise ValueError(f"unknown suite {suite_id}")
    return suite_id


def key_id_for(public_key: bytes) -> str:
    """A short stable id for a public key: first 12 hex digits of its SHA-256."""
    return hashlib.sha256(public_key).hexdigest()[:12]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)
