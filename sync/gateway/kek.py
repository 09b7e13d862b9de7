"""The key-encryption key that wraps the gateway's private keys in its database.

Why: a copy of the gateway database alone must not let anyone open stations' envelopes or sign
as the card management system. The private keys are stored AES-256-GCM-wrapped (the key id and
purpose are the associated data, so a wrapped key cannot be swapped into another row); the
wrapping key lives outside the database (docs/sync.md, "Server keys at rest"):

1. `CARDSTATION_GATEWAY_KEK` — 32 bytes as 64 hex digits or base64 (a secret store / systemd
   credential puts it in the service's environment);
2. else `CARDSTATION_GATEWAY_KEK_FILE` — a file holding that text, readable by the service only;
3. else `<database>.kek` beside the database, created 0600 on first start (a development and
   demo default: it protects a copied database file, not a copied folder).
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from offline.protocols import CardstationError

ENV_KEY = "CARDSTATION_GATEWAY_KEK"
ENV_FILE = "CARDSTATION_GATEWAY_KEK_FILE"
MAGIC = b"KW1"


class KekError(CardstationError):
    """The wrapping key is missing, malformed or not the one the keys were wrapped with."""


def _decode(text: str) -> bytes:
    text = text.strip()
    try:
        raw = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise KekError("key-encryption key is neither 64 hex digits nor base64") from exc
    if len(raw) != 32:
        raise KekError("key-encryption key must be 32 bytes")
    return raw


def load_kek(db_path: Path) -> bytes:
    """The wrapping key, from the environment, a key file, or the default file beside the DB."""
    if os.environ.get(ENV_KEY):
        return _decode(os.environ[ENV_KEY])
    path = (
        Path(os.environ[ENV_FILE]) if os.environ.get(ENV_FILE) else db_path.with_name(db_path.name + ".kek")
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            raise KekError(f"{path} is readable by others; chmod 600 it") from None
        return _decode(path.read_text())
    try:
        os.write(fd, secrets.token_hex(32).encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    return _decode(path.read_text())


def wrap(kek: bytes, key_id: str, purpose: str, private_key: bytes) -> bytes:
    nonce = secrets.token_bytes(12)
    return MAGIC + nonce + AESGCM(kek).encrypt(nonce, private_key, f"{purpose}:{key_id}".encode())


def unwrap(kek: bytes, key_id: str, purpose: str, stored: bytes) -> bytes:
    if not is_wrapped(stored):
        raise KekError(f"server key {key_id} is not wrapped")
    try:
        return AESGCM(kek).decrypt(stored[3:15], stored[15:], f"{purpose}:{key_id}".encode())
    except InvalidTag as exc:
        raise KekError("wrong key-encryption key for this gateway database") from exc


def is_wrapped(stored: bytes) -> bool:
    return stored[:3] == MAGIC and len(stored) > 15 + 16
