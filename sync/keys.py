"""Station-side keys: the signing key file and the pinned server keys.

Where things live (docs/sync.md, "Key lifecycle"):
- the station's Ed25519 signing key: `<store dir>/keys/station_ed25519.pem`, PKCS#8 PEM,
  file mode 0600 in a 0700 directory (suite 2, 国密: the SM2 key in `station_sm2.key`, the raw
  scalar AES-GCM-wrapped with the same derived password — `cryptography` has no SM2 PEM); never in the database (a copied .db file cannot sign),
  never uploaded (only its public half goes to the server at enrolment). On a station with a
  key file (`offline.storekey`, made by `init`) the PEM is encrypted with a key derived from
  it, so a copied data folder cannot sign either; a cleartext PEM from before still loads and
  is re-wrapped by `init`;
- in the store's settings: `station_id`, `sync_url`, `sync_station_key_id`,
  `sync_server_keys` (JSON list of pinned HPKE public keys with id and expiry) and
  `sync_downlink_key` (the server's Ed25519 key that signs acknowledgements, key sets and
  downlink updates). Public keys are not secrets; pinning them in the store keeps a store file
  and its trust anchors together.
- `sync_suite`: the suite pinned at enrolment (the profile's `crypto_suite`, confirmed in the
  gateway's signed bundle); sealing, request signatures and key refreshes all use it.
- `sync_key_set_version`: the highest key-set version seen. A signed key set is only ever
  replaced by one of the same or a later version, so an older set replayed by someone on the
  link (still validly signed) cannot bring back a retired server key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from offline import storekey
from offline.protocols import CardstationError
from offline.store import Store
from sync import messages
from sync.envelope import PinnedServerKey, StationSealer, canonical_json
from sync.suite import (
    DEFAULT_SUITE,
    SUITE_SM2_SM4GCM_SM3,
    SuiteError,
    b64,
    get_suite,
    key_id_for,
    suite_of,
    unb64,
)

KEY_FILE = "station_ed25519.pem"
SM2_KEY_FILE = "station_sm2.key"
SM2_MAGIC = b"CARDSTATION SM2 KEY v1"
S_SUITE = "sync_suite"
S_STATION_ID = "station_id"
S_URL = "sync_url"
S_STATION_KEY_ID = "sync_station_key_id"
S_SERVER_KEYS = "sync_server_keys"
S_DOWNLINK_KEY = "sync_downlink_key"
S_KEY_SET_VERSION = "sync_key_set_version"


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
    signing_key: bytes  # raw 32-byte private key (Ed25519 seed, or the SM2 scalar in suite 2)
    public_key: bytes
    suite: int = 1


def keys_dir(store: Store) -> Path:
    return store.path.parent / "keys"


def pinned_suite(store: Store) -> int:
    """The suite this station enrolled with (1 for a station enrolled before suites were negotiated)."""
    return suite_of(store.setting(S_SUITE))


def key_path(store: Store, suite: int | None = None) -> Path:
    chosen = pinned_suite(store) if suite is None else suite
    return keys_dir(store) / (SM2_KEY_FILE if chosen == SUITE_SM2_SM4GCM_SM3 else KEY_FILE)


# --------------------------------------------------------------------------- the station key file


def _sm2_wrap_key(password: bytes) -> bytes:
    return hashlib.sha256(b"cardstation-sm2-key-file\x00" + password).digest()


def _sm2_file(private_key: bytes, password: bytes | None) -> bytes:
    """Suite 2's key file: a magic line, then the scalar (hex, or AES-GCM-wrapped base64)."""
    if password is None:
        return SM2_MAGIC + b"\n" + private_key.hex().encode() + b"\n"
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_sm2_wrap_key(password)).encrypt(nonce, private_key, SM2_MAGIC)
    return SM2_MAGIC + b" ENCRYPTED\n" + base64.b64encode(nonce + sealed) + b"\n"


def _sm2_read(data: bytes) -> bytes:
    head, _, rest = data.partition(b"\n")
    if head == SM2_MAGIC:
        return bytes.fromhex(rest.decode("ascii").strip())
    if head != SM2_MAGIC + b" ENCRYPTED":
        raise ValueError("not an SM2 key file")
    password = storekey.signing_key_password()
    if password is None:
        raise TypeError("encrypted and no key file")
    raw = base64.b64decode(rest.strip(), validate=True)
    try:
        return AESGCM(_sm2_wrap_key(password)).decrypt(raw[:12], raw[12:], SM2_MAGIC)
    except InvalidTag as exc:
        raise ValueError("wrong key file") from exc


def write_station_key(path: Path, private_key: bytes, suite: int = 1) -> None:
    """Write atomically with mode 0600 (created so, never chmod-ed after the fact)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    password = storekey.signing_key_password()
    if suite == SUITE_SM2_SM4GCM_SM3:
        pem = _sm2_file(private_key, password)
    else:
        protection: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
        )
        pem = ed25519.Ed25519PrivateKey.from_private_bytes(private_key).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, protection
        )
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_station_key(path: Path, suite: int = 1) -> bytes:
    """Raw private key; refuses a file others can read (it would let them sign as this station)."""
    try:
        st = path.stat()
        if st.st_mode & 0o077:
            raise NotEnrolled(messages.KEY_FILE_BAD.format(path=path))
        pem = path.read_bytes()
        if suite == SUITE_SM2_SM4GCM_SM3:
            return _sm2_read(pem)
        password = storekey.signing_key_password() if b"ENCRYPTED" in pem[:64] else None
        key = serialization.load_pem_private_key(pem, password=password)
    except FileNotFoundError as exc:
        raise NotEnrolled() from exc
    except (ValueError, TypeError) as exc:  # TypeError: encrypted, and this station has no key file
        raise NotEnrolled(messages.KEY_FILE_BAD.format(path=path)) from exc
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise NotEnrolled(messages.KEY_FILE_BAD.format(path=path))
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def rewrap_station_key(store: Store) -> bool:
    """Encrypt a cleartext signing key file with this station's key file (`init`); True if done."""
    suite = pinned_suite(store)
    path = key_path(store, suite)
    if not path.exists() or b"ENCRYPTED" in path.read_bytes()[:64] or storekey.signing_key_password() is None:
        return False
    write_station_key(path, read_station_key(path, suite), suite)
    return True


def new_station_key(suite: int = 1) -> tuple[bytes, bytes, str]:
    """(private, public, key id) of a fresh station signing key of `suite`."""
    priv, pub = get_suite(suite).new_signing_key()
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


def pin_bundle(
    store: Store,
    bundle: dict[str, Any],
    *,
    expected_fingerprint: str | None = None,
    expected_suite: int | None = None,
) -> int:
    """Pin the server's downlink key, encryption keys and suite from an enrolment bundle.

    The bundle is signed by the downlink key (whose fingerprint the token carries), so its
    `suite` is the gateway's own answer; it must be the suite the station asked for. Returns it.
    """
    dl = _key_from(bundle["downlink_key"])
    if expected_fingerprint is not None and fingerprint(dl.public_key) != expected_fingerprint:
        raise KeySetError(messages.ENROL_FINGERPRINT)
    body = verify_signed(bundle, dl.public_key)
    try:
        suite = suite_of(body.get("suite"))
    except ValueError as exc:
        raise KeySetError("unknown suite in bundle") from exc
    if expected_suite is not None and suite != expected_suite:
        raise KeySetError(f"asked for suite {expected_suite}, the gateway answered {suite}")
    hpke_keys = _server_keys_of(body, suite)
    with store.write() as conn:
        store.set_setting(conn, S_DOWNLINK_KEY, json.dumps(_key_json(dl)))
        store.set_setting(conn, S_SERVER_KEYS, json.dumps([_key_json(k) for k in hpke_keys]))
        store.set_setting(conn, S_KEY_SET_VERSION, str(_version(body)))
        store.set_setting(conn, S_SUITE, str(suite))
    return suite


def _server_keys_of(body: dict[str, Any], suite: int) -> list[PinnedServerKey]:
    """The signed document's encryption keys, which must be of `suite` and of its size."""
    try:
        if suite_of(body.get("suite")) != suite:
            raise KeySetError(f"key set of suite {body.get('suite')}, station pinned {suite}")
    except ValueError as exc:
        raise KeySetError("unknown suite in key set") from exc
    keys = [_key_from(k) for k in body["hpke_keys"]]
    if any(len(k.public_key) != get_suite(suite).public_key_size for k in keys):
        raise KeySetError("server key of the wrong size for the pinned suite")
    return keys


def update_server_keys(store: Store, key_set: dict[str, Any]) -> list[PinnedServerKey]:
    """Replace the pinned HPKE keys with a key set signed by the pinned downlink key."""
    body = verify_signed(key_set, downlink_key(store).public_key)
    keys = _server_keys_of(body, pinned_suite(store))
    if not keys:
        raise KeySetError("empty key set")
    version = _version(body)
    with store.write() as conn:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (S_KEY_SET_VERSION,)).fetchone()
        pinned = int(row[0]) if row is not None and str(row[0]).isdigit() else 0
        if version < pinned:
            raise KeySetError(f"key set version {version} is older than the pinned {pinned} (replayed)")
        store.set_setting(conn, S_SERVER_KEYS, json.dumps([_key_json(k) for k in keys]))
        store.set_setting(conn, S_KEY_SET_VERSION, str(version))
    return keys


def _version(body: dict[str, Any]) -> int:
    """A key set's version (0 for a gateway from before versions; never negative)."""
    value = body.get("version", 0)
    return value if isinstance(value, int) and value >= 0 else 0


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


def save_identity(
    store: Store, *, station_id: str, private_key: bytes, url: str | None = None, suite: int | None = None
) -> str:
    """Write the key file and the settings naming it; returns the station key id.

    `suite` defaults to the pinned one (a rotation keeps the suite)."""
    chosen = pinned_suite(store) if suite is None else suite
    pub = get_suite(chosen).signing_public_key(private_key)
    kid = key_id_for(pub)
    write_station_key(key_path(store, chosen), private_key, chosen)
    with store.write() as conn:
        store.set_setting(conn, S_STATION_ID, station_id)
        store.set_setting(conn, S_STATION_KEY_ID, kid)
        store.set_setting(conn, S_SUITE, str(chosen))
        if url is not None:
            store.set_setting(conn, S_URL, url)
    return kid


def load_identity(store: Store) -> StationIdentity:
    station_id = store.setting(S_STATION_ID)
    kid = store.setting(S_STATION_KEY_ID)
    if not station_id or not kid:
        raise NotEnrolled()
    suite = pinned_suite(store)
    path = key_path(store, suite)
    priv = read_station_key(path, suite)
    try:
        pub = get_suite(suite).signing_public_key(priv)
    except (SuiteError, ValueError) as exc:
        raise NotEnrolled(messages.KEY_FILE_BAD.format(path=path)) from exc
    if key_id_for(pub) != kid:
        raise NotEnrolled(messages.KEY_FILE_BAD.format(path=path))
    return StationIdentity(station_id, kid, priv, pub, suite)


def sealer_for(store: Store) -> StationSealer:
    """The real sealer of an enrolled station (raises NotEnrolled, message in Chinese)."""
    ident = load_identity(store)
    return StationSealer(
        station_id=ident.station_id,
        station_key_id=ident.key_id,
        station_signing_key=ident.signing_key,
        server_key=current_server_key(store),
        suite=get_suite(ident.suite),
    )


def sign_request(ident: StationIdentity, method: str, path: str, body_digest: str, at: int) -> str:
    """`X-Station-Auth` value: station id, key id, unix time and a signature of the pinned suite."""
    msg = f"{method}\n{path}\n{body_digest}\n{at}\n{ident.station_id}".encode()
    sig = get_suite(ident.suite).sign(ident.signing_key, msg)
    return f"{ident.station_id};{ident.key_id};{at};{b64(sig)}"
