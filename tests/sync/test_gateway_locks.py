"""The gateway's named locks on a real PostgreSQL server (sync/gateway/pgdb.py, "Locking model").

Two gateways over one database stand in for two workers. What is proved here could only fail
on a real engine: a station's open transaction holds back that station and nobody else; one
envelope raced from many threads through both gateways is stored once with one ack; card
numbers and catalogue versions handed out by racing intakes and ticks never repeat or skip.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from offline.protocols import EnvelopeHeader
from sync.gateway import production
from sync.gateway.db import Lock, hold
from sync.keys import sealer_for
from tests.sync.helpers import RunningGateway, enrol_station, ssn_for, station_id_for

FRAME_LEN = 4


def post(url: str, envelope: bytes) -> dict[str, Any]:
    body = len(envelope).to_bytes(FRAME_LEN, "big") + envelope
    r = httpx.post(f"{url}/v1/envelopes", content=body, timeout=60)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()["results"][0]
    return result


class Station:
    """An enrolled station that seals business records with its real key, seq after seq."""

    def __init__(self, folder: Path, gw: RunningGateway, n: int) -> None:
        self.station_id = station_id_for(n)
        self.store = enrol_station(folder, gw.gateway, gw.url, self.station_id)
        self.sealer = sealer_for(self.store)
        self.seq = 0

    def envelope(self, record: dict[str, Any]) -> bytes:
        self.seq += 1
        header = EnvelopeHeader(self.station_id, self.seq, uuid.uuid4().hex, "business")
        return self.sealer.seal(header, json.dumps(record, ensure_ascii=False).encode())

    def apply(self, n: int) -> bytes:
        """A first-time applicant (R-APP-1): a new catalogue holder now, a card at the tick."""
        ssn = ssn_for(n)
        details = {"ssn": ssn, "bank": "工商银行", "person": {"name": f"申请人{n}"}}
        return self.envelope(
            {"item": "apply", "receipt_no": f"R{self.station_id[-6:]}{n:06d}", "details": details}
        )


def in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    t = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    t.start()
    return t, out


def test_an_open_transaction_of_station_a_does_not_hold_back_station_b(
    two_workers: tuple[RunningGateway, RunningGateway],
    tmp_path: Path,
) -> None:
    gw, other = two_workers
    a, b = Station(tmp_path / "a", gw, 1), Station(tmp_path / "b", gw, 2)
    env_a, env_b = a.apply(1), b.apply(2)
    db = gw.gateway.db
    with db.write(Lock.station(a.station_id)):  # station A's lock held by an open transaction
        started = time.monotonic()
        result_b = post(other.url, env_b)  # through the other worker
        took_b = time.monotonic() - started
        waiting_a, out_a = in_thread(lambda: post(other.url, env_a))
        waiting_a.join(1.5)
        assert waiting_a.is_alive(), "station A's upload went past A's held lock"
    waiting_a.join(30)
    assert result_b["status"] == "acked" and took_b < 5.0, took_b
    assert out_a and out_a[0]["status"] == "acked"
    row = db.one("SELECT COUNT(*) AS n FROM applications")
    assert int(row["n"]) == 2


def test_production_lock_held_blocks_intake_of_a_business_but_not_a_duplicate(
    two_workers: tuple[RunningGateway, RunningGateway],
    tmp_path: Path,
) -> None:
    gw, other = two_workers
    a = Station(tmp_path / "a", gw, 3)
    first = a.apply(3)
    assert post(gw.url, first)["status"] == "acked"
    db = gw.gateway.db
    with db.write() as conn:
        hold(conn, Lock.PRODUCTION)
        started = time.monotonic()
        assert post(other.url, first)["status"] == "duplicate"  # answered from the stored ack
        assert time.monotonic() - started < 5.0
        waiting, out = in_thread(lambda: post(other.url, a.apply(4)))
        waiting.join(1.5)
        assert waiting.is_alive(), "a new application was numbered while production was locked"
    waiting.join(30)
    assert out and out[0]["status"] == "acked"


def test_one_envelope_raced_from_many_threads_through_two_workers_is_stored_once_with_one_ack(
    two_workers: tuple[RunningGateway, RunningGateway],
    tmp_path: Path,
) -> None:
    gw, other = two_workers
    a = Station(tmp_path / "a", gw, 5)
    env = a.apply(5)
    start = threading.Barrier(16)

    def send(i: int) -> dict[str, Any]:
        start.wait()
        return post((gw if i % 2 else other).url, env)

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(send, range(16)))
    statuses = sorted(r["status"] for r in results)
    assert statuses.count("acked") == 1 and statuses.count("duplicate") == 15, statuses
    assert len({r["ack"] for r in results}) == 1
    assert int(gw.gateway.db.one("SELECT COUNT(*) AS n FROM envelopes")["n"]) == 1
    assert int(gw.gateway.db.one("SELECT COUNT(*) AS n FROM applications")["n"]) == 1


def test_racing_intakes_and_ticks_never_repeat_a_card_number_or_skip_a_catalogue_version(
    two_workers: tuple[RunningGateway, RunningGateway],
    tmp_path: Path,
) -> None:
    gw, other = two_workers
    stations = [Station(tmp_path / f"s{i}", gw, 10 + i) for i in range(6)]
    per_station = 8
    batches = [[s.apply(100 * i + k) for k in range(per_station)] for i, s in enumerate(stations)]
    ticks: list[int] = []

    def upload(i: int) -> list[str]:
        worker = gw if i % 2 else other
        out = [post(worker.url, env)["status"] for env in batches[i]]
        ticks.append(production.tick(worker.gateway.db, worker.clock()))  # ticks race the intakes
        return out

    with ThreadPoolExecutor(len(stations)) as pool:
        statuses = [s for batch in pool.map(upload, range(len(stations))) for s in batch]
    assert statuses == ["acked"] * len(stations) * per_station
    total = len(stations) * per_station
    with ThreadPoolExecutor(8) as pool:  # then eight ticks at once on both workers
        ticks += list(
            pool.map(lambda i: production.tick((gw, other)[i % 2].gateway.db, gw.clock()), range(8))
        )

    db = gw.gateway.db
    numbers = [str(r["card_number"]) for r in db.query("SELECT card_number FROM applications")]
    assert len(numbers) == total and len(set(numbers)) == total
    assert sorted(int(n[1:8]) for n in numbers) == list(range(1, total + 1))  # S0000001.. no gap
    produced = db.query("SELECT update_id FROM updates WHERE kind = 'card_produced'")
    assert len(produced) == total  # each card produced once, whatever tick got there first
    states = {str(r["state"]) for r in db.query("SELECT state FROM applications")}
    assert states == {"shipped"}
    # One version per new holder and one per produced card, handed out without a gap or a repeat.
    version = int(db.meta("catalogue_version"))
    assert version == 2 * total
    card_versions = [int(r["version"]) for r in db.query("SELECT version FROM holder_cards")]
    assert len(card_versions) == total and len(set(card_versions)) == total
    assert max(card_versions) == version
    # The downlink feed: update ids are unique and every produced card reached its station once.
    for s in stations:
        rows = db.query("SELECT update_id FROM updates WHERE station_id = ?", (s.station_id,))
        ids = [str(r["update_id"]) for r in rows]
        assert len(ids) == len(set(ids))
        assert sum(i.startswith("produced-") for i in ids) == per_station


def test_locks_out_of_rank_order_are_refused(
    two_workers: tuple[RunningGateway, RunningGateway],
) -> None:
    db = two_workers[0].gateway.db
    with pytest.raises(RuntimeError, match="deadlock-prone"), db.write(Lock.CATALOGUE) as conn:
        hold(conn, Lock.PRODUCTION)
    with pytest.raises(RuntimeError, match="deadlock-prone"), db.write(Lock.station("a")) as conn:
        hold(conn, Lock.station("b"))


def test_two_workers_start_with_one_key_each_and_racing_rotations_count_every_version(
    two_workers: tuple[RunningGateway, RunningGateway],
) -> None:
    gw, other = two_workers
    db = gw.gateway.db
    kinds = [(str(r["purpose"]), int(r["suite"])) for r in db.query("SELECT purpose, suite FROM server_keys")]
    assert len(kinds) == len(set(kinds))  # both started at once: one downlink key, one per suite
    before = gw.gateway.keyring.key_set_version()

    def rotate(i: int) -> str:
        keyring = (gw, other)[i % 2].gateway.keyring
        return keyring.rotate_hpke_key(gw.clock(), retire_old_after_days=7)

    with ThreadPoolExecutor(6) as pool:
        kids = list(pool.map(rotate, range(12)))
    assert len(set(kids)) == 12
    assert gw.gateway.keyring.key_set_version() == before + 12  # no rotation lost its version
    cutoff = (gw.clock() + timedelta(days=7, seconds=5)).isoformat(timespec="seconds")
    older = db.query("SELECT not_after FROM server_keys WHERE purpose = 'hpke' AND suite = 1")
    assert sum(str(r["not_after"]) <= cutoff for r in older) >= 12  # every older key retires in 7 days


def test_racing_roster_imports_and_status_changes_hand_out_every_catalogue_version_once(
    two_workers: tuple[RunningGateway, RunningGateway],
    tmp_path: Path,
) -> None:
    from sync.gateway.catalogue import set_card_status
    from sync.gateway.roster import import_roster
    from sync.gateway.roster_sample import write_roster_csv

    gw, other = two_workers
    extracts = []
    for i in range(4):  # four extracts of different holders (seeds), imported at once on both workers
        path = tmp_path / f"extract{i}.csv"
        write_roster_csv(path, 150, regions=(f"43012{i}",), seed=100 + i)
        extracts.append(path)
    base = tmp_path / "base.csv"
    write_roster_csv(base, 20, regions=("430199",), seed=99)
    assert import_roster(gw.gateway.db, base).imported == 20
    cards = [str(r["card_number"]) for r in gw.gateway.db.query("SELECT card_number FROM holder_cards")][:10]
    start = int(gw.gateway.db.meta("catalogue_version"))

    def work(i: int) -> int:
        db = (gw, other)[i % 2].gateway.db
        if i < len(extracts):
            return import_roster(db, extracts[i]).imported
        set_card_status(db, cards[i - len(extracts)], "正式挂失", gw.clock().isoformat(timespec="seconds"))
        return 0

    with ThreadPoolExecutor(8) as pool:
        imported = sum(pool.map(work, range(len(extracts) + len(cards))))
    assert imported == 4 * 150
    db = gw.gateway.db
    # Each import hands out one version per row, each status change one: none twice, none lost.
    assert int(db.meta("catalogue_version")) == start + 4 * 150 + len(cards)
    holders = [int(r["version"]) for r in db.query("SELECT version FROM holders WHERE version > ?", (start,))]
    assert len(holders) == len(set(holders)) == 4 * 150 + len(cards)


def test_a_downlink_update_waits_for_an_open_one_so_cursors_never_pass_an_uncommitted_id(
    two_workers: tuple[RunningGateway, RunningGateway],
) -> None:
    gw, other = two_workers
    sid = station_id_for(40)

    def queue(db_of: RunningGateway, update_id: str) -> None:
        with db_of.gateway.db.write() as conn:
            production.add_update(conn, sid, update_id, "ack_status", {"n": update_id}, "2026-01-01T00:00:00")

    with gw.gateway.db.write() as conn:
        production.add_update(conn, sid, "first", "ack_status", {"n": 1}, "2026-01-01T00:00:00")
        waiting, _ = in_thread(lambda: queue(other, "second"))
        waiting.join(1.5)
        assert waiting.is_alive(), "a second update got an id while the first was uncommitted"
        # Meanwhile the station's pull (another connection) sees neither: its cursor stays put.
        pull, page = in_thread(
            lambda: production.updates_after(
                other.gateway.db, other.gateway.keyring.downlink(), sid, "", 10, gw.clock()
            )
        )
        pull.join(30)
        assert page and page[0]["updates"] == [] and production.parse_cursor(page[0]["cursor"]) == 0
    waiting.join(30)
    rows = gw.gateway.db.query("SELECT id, update_id FROM updates WHERE station_id = ? ORDER BY id", (sid,))
    assert [r["update_id"] for r in rows] == ["first", "second"]
