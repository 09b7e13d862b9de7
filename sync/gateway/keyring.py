"""Server keys and station registry: what the gateway trusts and what it decrypts with.

- Encryption key pairs (purpose 'hpke', one set per suite in column `suite`: X25519 for suite 1,
  SM2 for suite 2 国密): a station seals to the newest of its suite; an older one keeps opening
  envelopes until its `not_after` (then: `expired_key`). `rotate_hpke_key` adds a new one.
- One Ed25519 'downlink' key signs acknowledgements, key sets and downlink updates; its
  fingerprint is part of every enrolment token, which is how a station knows it talks to us.
- Stations: enrolment tokens (one-time, hashed at rest, 7-day expiry), station keys
  (active/retired/revoked), revocation. At enrolment the station names the suites it supports
  (its profile's `crypto_suite`) with a public key of that suite; the chosen suite is pinned on
  the station row and on each of its keys, rotation keeps it, and envelopes of any other suite
  are refused (`sync.envelope.open_envelope`).
- Station key retirement: `POST /v1/stations/rotate` gives the old key `ROTATION_OVERLAP`
  (envelopes it sealed just before may still be in flight); after that it is `retired` and
  refused everywhere with that reason. Re-enrolment retires every earlier key at once: the
  token proves who the station is now, and an old key may be the one that was stolen.
- Private keys are stored wrapped (`sync.gateway.kek`); key sets carry a `version` that only
  grows, so a station can refuse an older signed key set replayed at it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from offline.protocols import CardstationError
from sync.envelope import ServerKey, StationKey, canonical_json
from sync.gateway import kek as kekmod
from sync.gateway.db import Conn, GatewayStore, Lock, Row
from sync.suite import DEFAULT_SUITE, SUITES, SuiteError, b64, check_public_key, get_suite, key_id_for

HPKE_VALID_DAYS = 730
TOKEN_VALID_DAYS = 7
ROTATION_OVERLAP = timedelta(minutes=10)


class RegistryError(CardstationError):
    """An enrolment or rotation request the gateway refuses; `code` is stable, `str()` Chinese."""

    def __init__(self, code: str, message_zh: str) -> None:
        super().__init__(message_zh, code=code)


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


@dataclass(frozen=True)
class DownlinkSigner:
    key_id: str
    private_key: bytes
    public_key: bytes
    not_after: str

    def sign(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The document plus a `signature` over its canonical JSON."""
        return {**doc, "signature": b64(DEFAULT_SUITE.sign(self.private_key, canonical_json(doc)))}


class Keyring:
    def __init__(
        self,
        db: GatewayStore,
        clock: Callable[[], datetime] | None = None,
        *,
        rotation_overlap: timedelta = ROTATION_OVERLAP,
    ) -> None:
        self.db = db
        self.rotation_overlap = rotation_overlap
        self.clock = clock or (lambda: datetime.now(UTC))
        self._kek = kekmod.load_kek(db.path)
        self._unwrapped: dict[str, bytes] = {}

    def _private(self, row: Row) -> bytes:
        kid = str(row["key_id"])
        if kid not in self._unwrapped:
            self._unwrapped[kid] = kekmod.unwrap(
                self._kek, kid, str(row["purpose"]), bytes(row["private_key"])
            )
        return self._unwrapped[kid]

    def key_set_version(self) -> int:
        return int(self.db.meta("key_set_version", "1"))

    def _bump_version(self, conn: Conn) -> None:
        """+1 in one statement (no read-then-write: two rotations never land on one version)."""
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('key_set_version', '2') ON CONFLICT(key)"
            " DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)"
        )

    # ------------------------------------------------------------------ server keys

    def ensure_keys(self, now: datetime) -> None:
        """Create the first HPKE and downlink keys of a new gateway store; wrap any stored bare.

        Under `Lock.KEYRING`: N workers starting at once create one key of each kind, not N.
        """
        with self.db.write(Lock.KEYRING) as conn:
            for row in conn.execute("SELECT key_id, purpose, private_key FROM server_keys").fetchall():
                if not kekmod.is_wrapped(bytes(row["private_key"])):
                    wrapped = kekmod.wrap(self._kek, row["key_id"], row["purpose"], bytes(row["private_key"]))
                    conn.execute(
                        "UPDATE server_keys SET private_key = ? WHERE key_id = ?", (wrapped, row["key_id"])
                    )
            if conn.execute("SELECT 1 FROM server_keys WHERE purpose = 'downlink'").fetchone() is None:
                self._new_key(conn, "downlink", now, days=3650)
            for suite in SUITES:
                if (
                    conn.execute(
                        "SELECT 1 FROM server_keys WHERE purpose = 'hpke' AND suite = ?", (suite,)
                    ).fetchone()
                    is None
                ):
                    self._new_key(conn, "hpke", now, days=HPKE_VALID_DAYS, suite=suite)

    def _new_key(self, conn: Conn, purpose: str, now: datetime, *, days: int, suite: int = 1) -> str:
        """A new server key; the downlink key is always suite 1 (Ed25519: its fingerprint is in tokens)."""
        if purpose == "hpke":
            priv, pub = get_suite(suite).new_encryption_key()
        else:
            priv, pub = DEFAULT_SUITE.new_signing_key()
        kid = key_id_for(pub)
        conn.execute(
            "INSERT INTO server_keys(key_id, purpose, private_key, public_key, created_at, not_after, suite)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                kid,
                purpose,
                kekmod.wrap(self._kek, kid, purpose, priv),
                pub,
                _iso(now),
                _iso(now + timedelta(days=days)),
                suite if purpose == "hpke" else 1,
            ),
        )
        return kid

    def rotate_hpke_key(
        self,
        now: datetime,
        *,
        valid_days: int = HPKE_VALID_DAYS,
        retire_old_after_days: int | None = None,
        suite: int = 1,
    ) -> str:
        """Add a new encryption key of `suite`; optionally shorten the life of that suite's older keys."""
        with self.db.write(Lock.KEYRING) as conn:
            if retire_old_after_days is not None:
                cutoff = _iso(now + timedelta(days=retire_old_after_days))
                # The earlier of the two ISO times: CASE, not SQLite's two-argument MIN(), which
                # PostgreSQL has not (there MIN is an aggregate, refused in an UPDATE).
                conn.execute(
                    "UPDATE server_keys SET not_after = CASE WHEN not_after < ? THEN not_after ELSE ? END"
                    " WHERE purpose = 'hpke' AND suite = ?",
                    (cutoff, cutoff, suite),
                )
            self._bump_version(conn)
            return self._new_key(conn, "hpke", now, days=valid_days, suite=suite)

    def expire_hpke_key(self, key_id: str, at: datetime) -> None:
        with self.db.write(Lock.KEYRING) as conn:
            conn.execute(
                "UPDATE server_keys SET not_after = ? WHERE key_id = ? AND purpose = 'hpke'",
                (_iso(at), key_id),
            )
            self._bump_version(conn)

    def server_key(self, key_id: str) -> ServerKey | None:
        row = self.db.one("SELECT * FROM server_keys WHERE key_id = ? AND purpose = 'hpke'", (key_id,))
        if row is None:
            return None
        return ServerKey(row["key_id"], self._private(row), row["not_after"], int(row["suite"]))

    def hpke_public_keys(self, now: datetime, suite: int = 1) -> list[dict[str, str]]:
        rows = self.db.query(
            "SELECT * FROM server_keys WHERE purpose = 'hpke' AND suite = ? AND not_after > ?"
            " ORDER BY not_after",
            (suite, _iso(now)),
        )
        return [
            {"key_id": r["key_id"], "public_key": b64(bytes(r["public_key"])), "not_after": r["not_after"]}
            for r in rows
        ]

    def downlink(self) -> DownlinkSigner:
        row = self.db.one(
            "SELECT * FROM server_keys WHERE purpose = 'downlink' ORDER BY created_at DESC LIMIT 1"
        )
        if row is None:
            raise RegistryError("no_keys", "网关尚未生成密钥")
        return DownlinkSigner(row["key_id"], self._private(row), bytes(row["public_key"]), row["not_after"])

    def key_set(self, now: datetime, suite: int = 1) -> dict[str, Any]:
        """The signed set of `suite`'s public keys stations of that suite may seal to."""
        doc: dict[str, Any] = {
            "hpke_keys": self.hpke_public_keys(now, suite),
            "issued_at": _iso(now),
            "version": self.key_set_version(),
        }
        if suite != 1:  # suite 1's documents stay as stations from before suites know them
            doc["suite"] = suite
        return self.downlink().sign(doc)

    # ------------------------------------------------------------------ stations

    def station_keys(self, station_id: str) -> list[StationKey] | None:
        st = self.db.one("SELECT status FROM stations WHERE station_id = ?", (station_id,))
        if st is None or st["status"] == "pending":
            return None
        rows = self.db.query("SELECT * FROM station_keys WHERE station_id = ?", (station_id,))
        revoked = st["status"] == "revoked"
        now = _iso(self.clock())
        return [
            StationKey(
                station_id,
                r["key_id"],
                bytes(r["public_key"]),
                "revoked" if revoked else _status(r, now),
                int(r["suite"]),
            )
            for r in rows
        ] or ([StationKey(station_id, "", b"", "revoked")] if revoked else [])

    def issue_token(self, station_id: str, now: datetime) -> str:
        """A one-time enrolment token: secret + '.' + fingerprint of the downlink key."""
        secret = secrets.token_hex(12)  # hex: never a leading '-' that a shell would read as an option
        with self.db.write(Lock.station(station_id)) as conn:
            conn.execute(
                "INSERT INTO stations(station_id, status, created_at) VALUES (?, 'pending', ?)"
                " ON CONFLICT(station_id) DO NOTHING",
                (station_id, _iso(now)),
            )
            conn.execute(
                "INSERT INTO enrol_tokens(token_hash, station_id, expires_at) VALUES (?, ?, ?)",
                (_hash(secret), station_id, _iso(now + timedelta(days=TOKEN_VALID_DAYS))),
            )
        return f"{secret}.{key_id_for(self.downlink().public_key)}"

    def enrol(
        self, token: str, station_id: str, public_key: bytes, now: datetime, suites: tuple[int, ...] = (1,)
    ) -> dict[str, Any]:
        """Redeem a token: register the station key; return the signed bundle the station pins.

        `suites` are the station's, in its order of preference; the first the gateway supports
        is pinned, and `public_key` must be a key of that suite."""
        secret = token.split(".", 1)[0]
        suite = choose_suite(suites)
        _check_key(suite, public_key)
        with self.db.write(Lock.station(station_id)) as conn:
            row = conn.execute("SELECT * FROM enrol_tokens WHERE token_hash = ?", (_hash(secret),)).fetchone()
            if (
                row is None
                or row["used_at"]
                or row["expires_at"] <= _iso(now)
                or row["station_id"] != station_id
            ):
                raise RegistryError("bad_token", "注册码无效、已使用、已过期或与站点编号不符")
            used = conn.execute(  # spent in the statement that checks it is unspent: one redemption
                "UPDATE enrol_tokens SET used_at = ? WHERE token_hash = ? AND used_at = ''",
                (_iso(now), row["token_hash"]),
            )
            if used.rowcount != 1:
                raise RegistryError("bad_token", "注册码无效、已使用、已过期或与站点编号不符")
            self._register(conn, station_id, public_key, now, suite)
        return self.bundle(station_id, now)

    def register(self, station_id: str, public_key: bytes, now: datetime, suite: int = 1) -> dict[str, Any]:
        """Direct registration (an administrator with the station's public key file)."""
        _check_key(suite, public_key)
        with self.db.write(Lock.station(station_id)) as conn:
            self._register(conn, station_id, public_key, now, suite)
        return self.bundle(station_id, now)

    def _register(self, conn: Conn, station_id: str, public_key: bytes, now: datetime, suite: int) -> None:
        conn.execute(
            "INSERT INTO stations(station_id, status, created_at, suite) VALUES (?, 'active', ?, ?)"
            " ON CONFLICT(station_id) DO UPDATE SET status = 'active', revoked_at = '', reason = '',"
            " suite = excluded.suite",
            (station_id, _iso(now), suite),
        )
        conn.execute(  # re-enrolment: every earlier key is retired now, no overlap
            "UPDATE station_keys SET status = 'retired', retire_at = ? WHERE station_id = ?"
            " AND (status != 'retired' OR retire_at > ?)",
            (_iso(now), station_id, _iso(now)),
        )
        conn.execute(
            "INSERT INTO station_keys(station_id, key_id, public_key, status, created_at, suite)"
            " VALUES (?, ?, ?, 'active', ?, ?) ON CONFLICT(station_id, key_id)"
            " DO UPDATE SET status = 'active', retire_at = '', suite = excluded.suite",
            (station_id, key_id_for(public_key), public_key, _iso(now), suite),
        )

    def station_suite(self, station_id: str) -> int:
        row = self.db.one("SELECT suite FROM stations WHERE station_id = ?", (station_id,))
        return 1 if row is None else int(row["suite"])

    def bundle(self, station_id: str, now: datetime) -> dict[str, Any]:
        d = self.downlink()
        suite = self.station_suite(station_id)
        doc: dict[str, Any] = {
            "station_id": station_id,
            "hpke_keys": self.hpke_public_keys(now, suite),
            "downlink_key": {
                "key_id": d.key_id,
                "public_key": b64(d.public_key),
                "not_after": d.not_after,
            },
            "version": self.key_set_version(),
        }
        if suite != 1:
            doc["suite"] = suite
        return d.sign(doc)

    def rotate_station_key(
        self, station_id: str, old_key_id: str, new_public_key: bytes, now: datetime
    ) -> str:
        """Station key rotation, signed with the current key: it retires after ROTATION_OVERLAP.

        Only the active key may rotate. The one exception is a retry of the same rotation by
        a key still in its overlap (the answer to the first attempt was lost on the link).
        """
        suite = self.station_suite(station_id)  # rotation keeps the suite pinned at enrolment
        _check_key(suite, new_public_key)
        kid = key_id_for(new_public_key)
        with self.db.write(Lock.station(station_id)) as conn:  # one rotation of a station at a time
            old = conn.execute(
                "SELECT status FROM station_keys WHERE station_id = ? AND key_id = ?",
                (station_id, old_key_id),
            ).fetchone()
            if old is None or old["status"] != "active":
                again = conn.execute(
                    "SELECT 1 FROM station_keys WHERE station_id = ? AND key_id = ? AND status = 'active'",
                    (station_id, kid),
                ).fetchone()
                if again is not None and old is not None and old["status"] == "retired":
                    return kid
                raise RegistryError("retired_key", "该站点密钥已更换，不能再用于更换密钥")
            conn.execute(
                "UPDATE station_keys SET status = 'retired', retire_at = ? WHERE station_id = ? AND key_id = ?",
                (_iso(now + self.rotation_overlap), station_id, old_key_id),
            )
            conn.execute(
                "INSERT INTO station_keys(station_id, key_id, public_key, status, created_at, suite)"
                " VALUES (?, ?, ?, 'active', ?, ?) ON CONFLICT(station_id, key_id) DO NOTHING",
                (station_id, kid, new_public_key, _iso(now), suite),
            )
        return kid

    def revoke_station(self, station_id: str, reason: str, now: datetime) -> bool:
        with self.db.write(Lock.station(station_id)) as conn:
            cur = conn.execute(
                "UPDATE stations SET status = 'revoked', revoked_at = ?, reason = ? WHERE station_id = ?",
                (_iso(now), reason, station_id),
            )
            conn.execute("UPDATE station_keys SET status = 'revoked' WHERE station_id = ?", (station_id,))
            return cur.rowcount > 0


def choose_suite(suites: tuple[int, ...]) -> int:
    """The first of the station's suites this gateway supports; refused, naming ours, if none."""
    for suite in suites:
        if suite in SUITES:
            return suite
    names = "、".join(str(s) for s in SUITES)
    raise RegistryError("unsupported_suite", f"网关不支持站点提出的加密套件，可选：{names}")


def _check_key(suite: int, public_key: bytes) -> None:
    """A public key of its suite: the right size, and for SM2 a point of the curve."""
    try:
        check_public_key(suite, public_key)
    except SuiteError as exc:
        raise RegistryError("malformed", "站点公钥格式错误（与所选加密套件不符）") from exc


def _status(row: Row, now: str) -> str:
    """'retired' once a retired key's overlap has passed; during the overlap it still counts."""
    if row["status"] == "retired" and row["retire_at"] and row["retire_at"] > now:
        return "retiring"
    return str(row["status"])


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
