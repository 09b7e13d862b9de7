"""A gateway store made before the hardening opens with the new code: envelope ids re-keyed per
station, server keys wrapped in place, outcome counts rolled up, unowned partials dropped."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sync.gateway import kek
from sync.gateway.app import create_app
from sync.suite import DEFAULT_SUITE, key_id_for

#: The gateway schema before the hardening (sync/gateway/db.py at that time).
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS server_keys (
    key_id TEXT PRIMARY KEY, purpose TEXT NOT NULL CHECK (purpose IN ('hpke', 'downlink')),
    private_key BLOB NOT NULL, public_key BLOB NOT NULL, created_at TEXT NOT NULL, not_after TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stations (
    station_id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS station_keys (
    station_id TEXT NOT NULL, key_id TEXT NOT NULL, public_key BLOB NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (station_id, key_id));
CREATE TABLE IF NOT EXISTS enrol_tokens (
    token_hash TEXT PRIMARY KEY, station_id TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS envelopes (
    envelope_id TEXT PRIMARY KEY, station_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
    sealed_digest TEXT NOT NULL, plain_digest TEXT NOT NULL, size INTEGER NOT NULL, sealed BLOB NOT NULL,
    payload BLOB NOT NULL, received_at TEXT NOT NULL, ack TEXT NOT NULL, UNIQUE (station_id, seq));
CREATE TABLE IF NOT EXISTS partials (
    envelope_id TEXT PRIMARY KEY, total INTEGER NOT NULL, data BLOB NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, code TEXT NOT NULL, station_id TEXT NOT NULL DEFAULT '',
    envelope_id TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS events_code ON events (code);
CREATE TABLE IF NOT EXISTS applications (
    receipt_no TEXT PRIMARY KEY, station_id TEXT NOT NULL, ssn TEXT NOT NULL, item TEXT NOT NULL,
    state TEXT NOT NULL, received_at TEXT NOT NULL, produce_at TEXT NOT NULL DEFAULT '',
    ship_at TEXT NOT NULL DEFAULT '', bank TEXT NOT NULL DEFAULT '', card_number TEXT NOT NULL DEFAULT '',
    card_id_code TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS applications_ssn ON applications (ssn, state);
CREATE TABLE IF NOT EXISTS updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT, station_id TEXT NOT NULL, update_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS updates_station ON updates (station_id, id);
"""


def test_old_gateway_store_is_upgraded_in_place(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    priv, pub = DEFAULT_SUITE.new_encryption_key()
    with sqlite3.connect(db) as conn:
        conn.executescript(OLD_SCHEMA)
        conn.execute(
            "INSERT INTO server_keys VALUES (?, 'hpke', ?, ?, '2026-01-01T00:00:00+00:00', '2099-01-01T00:00:00+00:00')",
            (key_id_for(pub), priv, pub),
        )
        conn.execute(
            "INSERT INTO envelopes VALUES ('e' || hex(randomblob(15)), 'S1', 1, 'business', 'd', 'p', 3, x'00', x'00',"
            " '2026-01-01', '{}')"
        )
        conn.execute("INSERT INTO partials VALUES ('abc', 10, x'0102', '2026-01-01')")
        conn.executemany(
            "INSERT INTO events(at, code, station_id) VALUES (?, 'accepted', 'S1')",
            [("2026-01-01T10:00:00",)] * 3,
        )
    gw = create_app(db)
    assert gw.keyring.server_key(key_id_for(pub)) is not None
    assert gw.keyring.server_key(key_id_for(pub)).private_key == priv  # type: ignore[union-attr]
    with sqlite3.connect(db) as conn:
        stored = conn.execute(
            "SELECT private_key FROM server_keys WHERE key_id = ?", (key_id_for(pub),)
        ).fetchone()[0]
        assert kek.is_wrapped(stored) and priv not in stored
        pk = [r[1] for r in conn.execute("PRAGMA table_info(envelopes)") if r[5]]
        assert set(pk) == {"envelope_id", "station_id"}
        assert conn.execute("SELECT COUNT(*) FROM envelopes").fetchone()[0] == 1
        assert "partials" not in {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    assert gw.db.event_totals() == {"accepted": 3}
    gw.db.close()
    create_app(db).db.close()  # and a second start changes nothing
