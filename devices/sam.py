"""The security module: what a PSAM in the reader's SAM slot does for the station.

Real deployments keep the master keys in a PSAM issued by the provincial card centre;
the station never sees them. `SecurityModule` is the interface the card session needs
(authentication cryptograms, MACs, the PIN reload block), so a PSAM driver can replace
`SoftwareSam` without touching the command sequences.

`SoftwareSam` computes the same values in software with TEST master keys. It says so:
`test_keys` is True, it logs a warning when created, and every `ChipCard` read through
it carries `test_keys=True` so the UI can show "测试密钥".

Three-level diversification (card-spec.md "Write", step 2; factor layout is [U]):
province factor = BCD(province code + "0000") || RID, city factor = BCD(city code) || RID,
card factor = last 8 ATR historical bytes (the chip serial; falls back to serial + auth
code of the card identification code when the ATR carries fewer than 8 bytes).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from devices import crypto
from devices.atr import parse_atr
from devices.errors import InvalidValueError
from devices.layout import RID, Algorithm, KeyId

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CardIdentity:
    """What the security module needs to know about a card to derive its keys."""

    card_id_code: str  # tag 01, 32 hex characters
    atr: bytes
    algorithm: Algorithm


def card_factors(identity: CardIdentity) -> tuple[bytes, bytes, bytes]:
    """Province, city and card diversification factors (8 bytes each)."""
    code = identity.card_id_code.upper()
    if len(code) != 32:
        raise InvalidValueError(detail="card identification code must be 32 characters")
    city = code[:6]
    rid = bytes.fromhex(RID)
    province = bytes.fromhex(city[:2] + "0000") + rid
    city_factor = bytes.fromhex(city) + rid
    historical = parse_atr(identity.atr).historical
    card = historical[-8:] if len(historical) >= 8 else bytes.fromhex(code[16:32])
    return province, city_factor, card


def derive_card_key(master: bytes, identity: CardIdentity) -> bytes:
    """Master key -> province key -> city key -> card key."""
    key = master
    for factor in card_factors(identity):
        key = crypto.diversify(identity.algorithm, key, factor)
    return key


def software_master_key(key_id: KeyId, algorithm: Algorithm, *, variant: str = "") -> bytes:
    """Deterministic TEST master key. `variant` lets the emulator model a card from another issuer."""
    seed = f"cardstation TEST master key {key_id.name} {algorithm.name} {variant}".encode()
    return hashlib.sha256(seed).digest()[:16]


@runtime_checkable
class SecurityModule(Protocol):
    """What the card session asks of a PSAM."""

    @property
    def test_keys(self) -> bool:
        """True when the keys are test keys (never for production cards)."""
        ...

    @property
    def label(self) -> str:
        """Short description for logs and the status bar."""
        ...

    def external_auth(self, identity: CardIdentity, key_id: KeyId, challenge: bytes) -> bytes:
        """8-byte cryptogram for `00 82 00 <keyId> 10 <auth 8><challenge 8>`."""
        ...

    def check_internal_auth(self, identity: CardIdentity, factor: bytes, data: bytes, answer: bytes) -> bool:
        """Whether the card's answer to INTERNAL AUTHENTICATE proves it holds the issuer's IRK."""
        ...

    def command_mac(self, identity: CardIdentity, key_id: KeyId, challenge: bytes, message: bytes) -> bytes:
        """4-byte MAC over `message` (header || Lc || data) with the session key of `challenge`."""
        ...

    def encrypt_pin(self, identity: CardIdentity, key_id: KeyId, challenge: bytes, pin_bcd: bytes) -> bytes:
        """The enciphered PIN block of PIN RELOAD, under the session key of `challenge`."""
        ...


class SoftwareSam:
    """SecurityModule in software with TEST master keys (labelled "测试密钥" everywhere)."""

    def __init__(self, *, variant: str = "") -> None:
        self._variant = variant
        log.warning("software security module with TEST keys in use (测试密钥); not for production cards")

    @property
    def test_keys(self) -> bool:
        return True

    @property
    def label(self) -> str:
        return "软件安全模块（测试密钥）"

    def card_key(self, identity: CardIdentity, key_id: KeyId) -> bytes:
        master = software_master_key(key_id, identity.algorithm, variant=self._variant)
        return derive_card_key(master, identity)

    def external_auth(self, identity: CardIdentity, key_id: KeyId, challenge: bytes) -> bytes:
        key = self.card_key(identity, key_id)
        sk = crypto.session_key(identity.algorithm, key, challenge)
        return crypto.cryptogram(identity.algorithm, sk, challenge)

    def check_internal_auth(self, identity: CardIdentity, factor: bytes, data: bytes, answer: bytes) -> bool:
        key = self.card_key(identity, KeyId.IRK)
        sk = crypto.session_key(identity.algorithm, key, factor)
        return crypto.cryptogram(identity.algorithm, sk, data) == answer

    def command_mac(self, identity: CardIdentity, key_id: KeyId, challenge: bytes, message: bytes) -> bytes:
        key = self.card_key(identity, key_id)
        sk = crypto.session_key(identity.algorithm, key, challenge)
        return crypto.mac(identity.algorithm, sk, message)

    def encrypt_pin(self, identity: CardIdentity, key_id: KeyId, challenge: bytes, pin_bcd: bytes) -> bytes:
        key = self.card_key(identity, key_id)
        sk = crypto.session_key(identity.algorithm, key, challenge)
        return crypto.encrypt_pin_block(identity.algorithm, sk, pin_bcd)
