"""Versioned gateway schema (sync/gateway/schema.py) on both engines.

A store made by the first release (migration 0001 alone, no version recorded, data in it) opens
with today's code: envelope ids re-keyed per station, server keys wrapped in place, outcome
counts rolled up, unowned partials dropped — every row still there. Workers opening one new
store at once migrate it once; a store newer than the code is refused in Chinese by the CLI.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest

from sync.gateway import kek, schema
from sync.gateway.app import create_app
from sync.gateway.pgdb import open_gateway_db, pg_ddl
from sync.suite import DEFAULT_SUITE, key_id_for
from tests.pg import fresh_database

BACKENDS = ["sqlite", "postgresql"]


class OldStore:
    """A store target with raw SQL access in the engine's own dialect (no gateway code involved)."""

    def __init__(
        self, target: str, kek_path: Path | None, run: Callable[[str, tuple[Any, ...]], list[Any]]
    ) -> None:
        self.target, self.kek_path, self.run = target, kek_path, run


@pytest.fixture(params=BACKENDS)
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OldStore]:
    if request.param == "sqlite":
        path = tmp_path / "gateway.db"

        def run_sqlite(sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
            with sqlite3.connect(path) as conn:
                return conn.execute(sql, params).fetchall()

        yield OldStore(str(path), None, run_sqlite)
        return
    dsn = fresh_database(request.getfixturevalue("postgres_dsn"))

    def run_pg(sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with psycopg.connect(dsn, autocommit=True) as conn:
            cur = conn.execute(pg_ddl(sql).replace("?", "%s"), params)
            return cur.fetchall() if cur.description else []

    yield OldStore(dsn, tmp_path / "gateway", run_pg)


def make_first_release_store(store: OldStore) -> bytes:
    """Migration 0001 as the first release left it, with a bare server key and one of everything."""
    from offline.store import split_sql

    first = schema.migrations()[0]
    assert first.version == 1
    for statement in split_sql(first.sql):
        store.run(statement, ())
    priv, pub = DEFAULT_SUITE.new_encryption_key()
    store.run(
        "INSERT INTO server_keys VALUES (?, 'hpke', ?, ?, '2026-01-01T00:00:00+00:00', '2099-01-01T00:00:00+00:00')",
        (key_id_for(pub), priv, pub),
    )
    for seq, eid in ((1, "e-one"), (2, "e-two")):
        store.run(
            "INSERT INTO envelopes VALUES (?, 'S1', ?, 'business', 'd', 'p', 3, ?, ?, '2026-01-01', '{}')",
            (eid, seq, b"\x00", b"\x00"),
        )
    store.run("INSERT INTO partials VALUES ('abc', 10, ?, '2026-01-01')", (b"\x01\x02",))
    for _ in range(3):
        store.run(
            "INSERT INTO events(at, code, station_id) VALUES ('2026-01-01T10:00:00', 'accepted', 'S1')", ()
        )
    store.run(
        "INSERT INTO applications(receipt_no, station_id, ssn, item, state, received_at, card_number)"
        " VALUES ('R1', 'S1', '420102199001000011', 'apply', 'shipped', '2026-01-01', 'S00000013')",
        (),
    )
    store.run(
        "INSERT INTO updates(station_id, update_id, kind, payload, created_at)"
        " VALUES ('S1', 'u1', 'card_shipped', '{}', '2026-01-01')",
        (),
    )
    return priv


def test_a_first_release_store_is_upgraded_to_the_current_schema_with_its_data(old_store: OldStore) -> None:
    priv = make_first_release_store(old_store)
    gw = create_app(old_store.target, kek_path=old_store.kek_path)
    try:
        assert gw.db.schema == (1, schema.latest())  # read off its shape: no version was recorded
        (kid,) = [str(r[0]) for r in gw.db.query("SELECT key_id FROM server_keys WHERE purpose = 'hpke'")][:1]
        key = gw.keyring.server_key(kid)
        assert key is not None and key.private_key == priv and key.suite == 1
        stored = bytes(
            gw.db.one("SELECT private_key FROM server_keys WHERE key_id = ?", (kid,))["private_key"]
        )
        assert kek.is_wrapped(stored) and priv not in stored
        rows = gw.db.query("SELECT station_id, envelope_id, seq FROM envelopes ORDER BY seq")
        assert [(r["station_id"], r["envelope_id"], r["seq"]) for r in rows] == [
            ("S1", "e-one", 1),
            ("S1", "e-two", 2),
        ]
        assert gw.db.event_totals() == {"accepted": 3}
        assert (
            gw.db.one("SELECT card_number FROM applications WHERE receipt_no = 'R1'")["card_number"]
            == "S00000013"
        )
        assert [r["update_id"] for r in gw.db.query("SELECT update_id FROM updates")] == ["u1"]
        # The re-keyed envelopes: another station may now use the same envelope id; the seq stays unique.
        with gw.db.write() as conn:
            conn.execute(
                "INSERT INTO envelopes VALUES ('e-one', 'S2', 1, 'business', 'd', 'p', 3, ?, ?, '2026-01-02', '{}')",
                (b"\x00", b"\x00"),
            )
        with pytest.raises(Exception), gw.db.write() as conn:  # noqa: B017 (either engine's IntegrityError)
            conn.execute(
                "INSERT INTO envelopes VALUES ('e-three', 'S1', 2, 'business', 'd', 'p', 3, ?, ?, '2026-01-02', '{}')",
                (b"\x00", b"\x00"),
            )
        tables = gw.db.tables(gw.db.connection())  # type: ignore[attr-defined]
        assert "partials" not in tables and {"blob_partials", "holders", "bank_changes"} <= tables
        recorded = [
            (int(r["version"]), str(r["applied_at"]))
            for r in gw.db.query("SELECT * FROM schema_version ORDER BY version")
        ]
        assert [v for v, _ in recorded] == list(range(1, schema.latest() + 1))
        assert recorded[0][1] == "" and all(at for _, at in recorded[1:])  # 1 was there; the rest applied now
    finally:
        gw.db.close()
    again = create_app(old_store.target, kek_path=old_store.kek_path)  # a second start changes nothing
    assert again.db.schema == (schema.latest(), schema.latest())
    assert int(again.db.one("SELECT COUNT(*) AS n FROM schema_version")["n"]) == schema.latest()
    again.db.close()


def test_a_store_of_every_earlier_version_reaches_the_current_one(old_store: OldStore) -> None:
    """Versions recorded from here on: a store left at each version by `migrate` up to it."""
    from offline.store import split_sql

    old_store.run(schema.VERSION_TABLE, ())
    for m in schema.migrations()[:3]:  # a store at version 3 (catalogue, no suites yet)
        for statement in split_sql(m.sql):
            old_store.run(statement, ())  # OldStore.run translates for PostgreSQL
        old_store.run("INSERT INTO schema_version VALUES (?, ?, 'then')", (m.version, m.name))
    old_store.run("INSERT INTO stations(station_id, status, created_at) VALUES ('S9', 'active', 'then')", ())
    db = open_gateway_db(old_store.target, kek_path=old_store.kek_path)
    try:
        assert db.schema == (3, schema.latest())
        row = db.one("SELECT suite FROM stations WHERE station_id = 'S9'")
        assert row is not None and int(row["suite"]) == 1
    finally:
        db.close()


def test_workers_opening_a_new_store_at_once_migrate_it_once(old_store: OldStore) -> None:
    def open_one(_: int) -> tuple[int, int]:
        db = open_gateway_db(old_store.target, kek_path=old_store.kek_path)
        try:
            return db.schema
        finally:
            db.close()

    with ThreadPoolExecutor(4) as pool:
        seen = list(pool.map(open_one, range(4)))
    n = schema.latest()
    assert sorted(seen) == [(0, n)] + [(n, n)] * 3
    assert [
        int(r[0]) for r in old_store.run("SELECT version FROM schema_version ORDER BY version", ())
    ] == list(range(1, n + 1))


def cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cardstation.cli", "gateway", *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_gateway_migrate_prints_the_version_and_refuses_a_newer_store_in_chinese(
    old_store: OldStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    n = schema.latest()
    made = cli("migrate", "--database", old_store.target)
    assert made.returncode == 0, made.stderr
    assert f"结构版本 {n}" in made.stdout
    again = cli("migrate", "--db", old_store.target)
    assert again.returncode == 0 and f"已是最新：版本 {n}" in again.stdout
    old_store.run("INSERT INTO schema_version VALUES (?, 'from a newer release', 'later')", (n + 1,))
    for argv in (("migrate", "--db", old_store.target), ("serve", "--db", old_store.target, "--port", "1")):
        refused = cli(*argv)
        assert refused.returncode != 0
        assert f"结构版本为 {n + 1}，高于本程序支持的版本 {n}" in refused.stderr
        assert "Traceback" not in refused.stderr
