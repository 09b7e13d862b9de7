"""Station-side keys: the signing key file and the pinned server keys.

Where things live (docs/sync.md, "Key lifecycle"):
- the station's Ed25519 signing key: `<store dir>/keys/station_ed25519.pem`, PKCS#8 PEM,
  file mode 0600 in a 0700 directory; never in the database (a copied .db file cannot sign),
  never uploaded (only its public half goes to the server at enrolment);
- in the store's settings: `station_id`, `sync_url`, `sync_station_key_id`,
  `sync_server_keys` (JSON list of pinned HPKE public keys with id and expiry) and
  `sync_downlink_key` (the server's Ed25519 key that signs acknowledgements, key sets and
  downlink updates). Public keys are not secrets; pinning them in the store keeps a store file
  and its trust anchors together.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from offline.protocols import CardstationError
from offline.store import Store
from sync import messages
from sync.envelope import PinnedServerKey, StationSealer, canonical_json
from sync.suite import DEFAULT_SUITE, SuiteError, b64, key_id_for, unb64

KEY_FILE = "station_ed25519.pem"
S_STATION_ID = "station_id"
S_URL = "sync_url"
S_STATION_KEY_ID = "sync_station_key_id"
S_SERVER_KEYS = "sync_server_keys"
S_DOWNLINK_KEY = "sync_downlink_key"


class NotEnrolled(CardstationError):
    """The station cannot seal: no key file or no pinned server key. `str()` is Chinese."""

    def __init__(self, message: str = messages.NOT_ENROLLED) -> None:
        super().__init__(message)


class KeySetError(CardstationError):
    """A server key set or bundle whose signature or fingerprint does not check out."""


@dataclass(frozen=True)
class StationIdentity:
    station_id: str
    key_id: str
    signing_key: bytes  # raw 32-byte Ed25519 private key
    public_key: bytes


def keys_dir(store: Store) -> Path:
    return store.path.parent / "keys"


def key_path(store: Store) -> Path:
    return keys_dir(store) / KEY_FILE


# --------------------------------------------------------------------------- the station key file


def write_station_key(path: Path, private_key: bytes) -> None:
    """Write atomically with mode 0600 (created so, never chmod-ed after the fact)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    pem = ed25519.Ed25519PrivateKey.from_private_bytes(private_key).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_station_key(path: Path) -> bytes:
    """Raw private key; refuses a file others can read (it would let them sign as this station)."""
    try:
        st = path.stat()
        if st.st_mode & 0o077:
            raise NotEnrolled(messages.KEY_FILE_BAD.format(path=path))
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as exc:
        raise NotEnrolled() from exc
    except ValueError as exc:
        raise NotEnrolled(messages.KEY_FILE_BAD.format(path=path)) from exc
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise NotEnrolled(messages.KEY_FILE_BAD.format(path=path))
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def new_station_key() -> tuple[bytes, bytes, str]:
    """(private, public, key id) of a fresh station signing key."""
    priv, pub = DEFAULT_SUITE.new_signing_key()
    return priv, pub, key_id_for(pub)


# --------------------------------------------------------------------------- pinned server keys


def _key_json(k: PinnedServerKey) -> dict[str, str]:
    return {"key_id": k.key_id, "public_key": b64(k.public_key), "not_after": k.not_after}


def _key_from(d: dict[str, Any]) -> PinnedServerKey:
    return PinnedServerKey(str(d["key_id"]), unb64(str(d["public_key"])), str(d["not_after"]))


def verify_signed(doc: dict[str, Any], downlink_public_key: bytes) -> dict[str, Any]:
    """Check `doc['signature']` over the canonical JSON of the rest; return the rest."""
    body = {k: v for k, v in doc.items() if k != "signature"}
    try:
        DEFAULT_SUITE.verify(downlink_public_key, unb64(str(doc.get("signature", ""))), canonical_json(body))
    except (SuiteError, ValueError) as exc:
        raise KeySetError("bad signature") from exc
    return body


def fingerprint(public_key: bytes) -> str:
    """What an enrolment token carries so the station can check whom it talks to."""
    return key_id_for(public_key)


def pin_bundle(store: Store, bundle: dict[str, Any], *, expected_fingerprint: str | None = None) -> None:
    """Pin the server's downlink key and HPKE keys from an enrolment bundle (signed by that key)."""
    dl = _key_from(bundle["downlink_key"])
    if expected_fingerprint is not None and fingerprint(dl.public_key) != expected_fingerprint:
        raise KeySetError(messages.ENROL_FINGERPRINT)
    body = verify_signed(bundle, dl.public_key)
    hpke_keys = [_key_from(k) for k in body["hpke_keys"]]
    with store.write() as conn:
        store.set_setting(conn, S_DOWNLINK_KEY, json.dumps(_key_json(dl)))
        store.set_setting(conn, S_SERVER_KEYS, json.dumps([_key_json(k) for k in hpke_keys]))


def update_server_keys(store: Store, key_set: dict[str, Any]) -> list[PinnedServerKey]:
    """Replace the pinned HPKE keys with a key set signed by the pinned downlink key."""
    body = verify_signed(key_set, downlink_key(store).public_key)
    keys = [_key_from(k) for k in body["hpke_keys"]]
    if not keys:
        raise KeySetError("empty key set")
    with store.write() as conn:
        store.set_setting(conn, S_SERVER_KEYS, json.dumps([_key_json(k) for k in keys]))
    return keys


def pinned_server_keys(store: Store) -> list[PinnedServerKey]:
    raw = store.setting(S_SERVER_KEYS)
    if not raw:
        return []
    return [_key_from(d) for d in json.loads(raw)]


def current_server_key(store: Store, now: datetime | None = None) -> PinnedServerKey:
    """The pinned key to seal to: the unexpired one with the latest expiry (else the latest)."""
    keys = pinned_server_keys(store)
    if not keys:
        raise NotEnrolled()
    moment = now or datetime.now(UTC)
    live = [k for k in keys if datetime.fromisoformat(k.not_after) > moment]
    return max(live or keys, key=lambda k: k.not_after)


def downlink_key(store: Store) -> PinnedServerKey:
    raw = store.setting(S_DOWNLINK_KEY)
    if not raw:
        raise NotEnrolled()
    return _key_from(json.loads(raw))


# --------------------------------------------------------------------------- identity and sealer


def save_identity(store: Store, *, station_id: str, private_key: bytes, url: str | None = None) -> str:
    """Write the key file and the settings naming it; returns the station key id."""
    pub = ed25519.Ed25519PrivateKey.from_private_bytes(private_key).public_key().public_bytes_raw()
    kid = key_id_for(pub)
    write_station_key(key_path(store), private_key)
    with store.write() as conn:
        store.set_setting(conn, S_STATION_ID, station_id)
        store.set_setting(conn, S_STATION_KEY_ID, kid)
        if url is not None:
            store.set_setting(conn, S_URL, url)
    return kid


def load_identity(store: Store) -> StationIdentity:
    station_id = store.setting(S_STATION_ID)
    kid = store.setting(S_STATION_KEY_ID)
    if not station_id or not kid:
        raise NotEnrolled()
    priv = read_station_key(key_path(store))
    pub = ed25519.Ed25519PrivateKey.from_private_bytes(priv).public_key().public_bytes_raw()
    if key_id_for(pub) != kid:
        raise NotEnrolled(messages.KEY_FILE_BAD.format(path=key_path(store)))
    return StationIdentity(station_id, kid, priv, pub)


def sealer_for(store: Store) -> StationSealer:
    """The real sealer of an enrolled station (raises NotEnrolled, message in Chinese)."""
    ident = load_identity(store)
    return StationSealer(
        station_id=ident.station_id,
        station_key_id=ident.key_id,
        station_signing_key=ident.signing_key,
        server_key=current_server_key(store),
    )


def sign_request(ident: StationIdentity, method: str, path: str, body_digest: str, at: int) -> str:
    """`X-Station-Auth` value: station id, key id, unix time and an Ed25519 signature."""
    msg = f"{method}\n{path}\n{body_digest}\n{at}\n{ident.station_id}".encode()
    sig = DEFAULT_SUITE.sign(ident.signing_key, msg)
    return f"{ident.station_id};{ident.key_id};{at};{b64(sig)}"
