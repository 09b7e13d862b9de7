"""The cryptographic suite behind envelopes, kept behind one small interface.

Why an interface: Chinese government systems may later require SM2/SM3/SM4 (国密). Every
byte format in `sync.envelope` names its suite with one byte, so a second suite can be
added next to this one without touching the framing, the outbox or the gateway's storage.

Suite 1 = HPKE Base mode (RFC 9180) with X25519 + HKDF-SHA256 + AES-256-GCM for
confidentiality, Ed25519 for the station's (and the server's) signatures.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from offline.protocols import CardstationError
from sync import messages

#: Suite 0 is reserved for "no encryption" and is always refused (ODK Central #782).
SUITE_NONE = 0
SUITE_X25519_AES256GCM_ED25519 = 1


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


DEFAULT_SUITE = HpkeEd25519Suite()
SUITES: dict[int, Suite] = {DEFAULT_SUITE.suite_id: DEFAULT_SUITE}


def get_suite(suite_id: int) -> Suite:
    """The suite for an id read from an envelope; KeyError when unknown."""
    return SUITES[suite_id]


def key_id_for(public_key: bytes) -> str:
    """A short stable id for a public key: first 12 hex digits of its SHA-256."""
    return hashlib.sha256(public_key).hexdigest()[:12]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)
