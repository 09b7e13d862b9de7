"""The link cut at random byte offsets during uploads and downloads (≥ 200 cases), and the
station process SIGKILLed between send and acknowledgement: always exactly once. The gateway
runs on both storage engines (tests/sync/backends.py via tests/sync/conftest.py)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from offline import outbox
from offline.store import Store
from sync import state
from sync.engine import EngineConfig, SyncEngine
from sync.linksim import LinkSim
from tests.sync.backends import Backend
from tests.sync.helpers import (
    RunningGateway,
    commit_apply,
    enrol_station,
    ssn_for,
    station_id_for,
)

CASES = 200
FAST = EngineConfig(backoff=state.Backoff(base_s=0.01, cap_s=0.05), network_retries=0)
#: the other path: a lane reconnects within the same run
RETRYING = EngineConfig(backoff=state.Backoff(base_s=0.01, cap_s=0.05), retry_pause_s=0.0)


@pytest.fixture(scope="module")
def rig(
    module_backend: Backend, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningGateway, LinkSim, Store]]:
    d = tmp_path_factory.mktemp("cuts")
    gw = module_backend.start(d / "gw")
    sim = LinkSim("127.0.0.1", gw.server.port).start()
    store = enrol_station(d / "st", gw.gateway, f"http://127.0.0.1:{sim.port}", station_id_for(500))
    yield gw, sim, store
    sim.stop()


def _exactly_once(gw: RunningGateway, store: Store, station_id: str) -> None:
    st = outbox.status(store)
    assert st.pending == 0 and st.quarantined == 0 and st.conflicts == 0
    ids = [r["envelope_id"] for r in store.query("SELECT envelope_id FROM outbox")]
    accepted = {
        r["envelope_id"]: r["n"]
        for r in gw.gateway.db.query(
            "SELECT envelope_id, COUNT(*) AS n FROM events WHERE code = 'accepted' AND station_id = ?"
            " GROUP BY envelope_id",
            (station_id,),
        )
    }
    assert all(accepted.get(e) == 1 for e in ids), [e for e in ids if accepted.get(e) != 1]
    assert gw.gateway.db.one("SELECT COUNT(*) AS n FROM envelopes WHERE station_id = ?", (station_id,))[
        "n"
    ] == len(ids)
    updates = [
        r["update_id"]
        for r in gw.gateway.db.query(
            "SELECT update_id FROM updates WHERE station_id = ? ORDER BY id", (station_id,)
        )
    ]
    inbox = [r["update_id"] for r in store.query("SELECT update_id FROM inbox")]
    assert sorted(inbox) == sorted(updates) and len(set(inbox)) == len(inbox)


def test_link_cut_at_random_offsets_exactly_once(rig: tuple[RunningGateway, LinkSim, Store]) -> None:
    gw, sim, store = rig
    sid = station_id_for(500)
    rng = random.Random(20260521)
    # a clean exchange first, to learn how many bytes one case moves
    commit_apply(store, ssn_for(5000), photo=12_000)
    commit_apply(store, ssn_for(5001))
    before = sim.bytes_up + sim.bytes_down
    assert SyncEngine(store, config=FAST).run_once().ok
    span = sim.bytes_up + sim.bytes_down - before
    assert span > 12_000
    cut_reports = 0
    for case in range(CASES):
        commit_apply(store, ssn_for(5100 + 2 * case), photo=rng.choice([0, 9_000, 12_000]))
        commit_apply(store, ssn_for(5101 + 2 * case))
        sim.cut_after(rng.randint(1, span))
        first = SyncEngine(store, config=FAST if case % 2 == 0 else RETRYING).run_once()
        cut_reports += bool(first.errors) and case % 2 == 0
        sim.cut_after(None)
        for _ in range(3):
            if SyncEngine(store, config=FAST).run_once().ok and outbox.status(store).pending == 0:
                break
        _exactly_once(gw, store, sid)
    assert cut_reports > CASES // 4  # the cuts really interrupted most of the runs that do not retry


def _cli(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "cardstation.cli", "--db", str(db), *args]


def test_sigkill_between_send_and_ack_then_rerun_exactly_once(tmp_path: Path, backend: Backend) -> None:
    gw = backend.start(tmp_path / "gw")
    # slow the way back so the process is killed after the gateway stored, before the ack arrives
    sim = LinkSim("127.0.0.1", gw.server.port, rtt_ms=1200).start()
    try:
        store = enrol_station(
            tmp_path / "st", gw.gateway, f"http://127.0.0.1:{sim.port}", station_id_for(501)
        )
        results = [commit_apply(store, ssn_for(6000 + i)) for i in range(3)]
        ids = [e for r in results for e in r.envelope_ids]
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        proc = subprocess.Popen(
            _cli(store.path, "sync", "--once"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.time() + 30
        while time.time() < deadline and not all(gw.stored(e) for e in ids):
            time.sleep(0.02)
        assert all(gw.stored(e) for e in ids), "the gateway never stored the batch"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert outbox.status(store).acked == 0  # killed before any acknowledgement was recorded
        assert outbox.entries(store, states=(outbox.SENDING,))  # and its leases are left behind
        sim.set(rtt_ms=0)
        rerun = subprocess.run(
            _cli(store.path, "sync", "--once", "--json"), env=env, capture_output=True, text=True, timeout=60
        )
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert outbox.status(store).acked == len(ids)
        for e in ids:
            assert gw.stored(e) == 1
        assert gw.stats().get("accepted") == len(ids) and gw.stats().get("duplicate") == len(ids)
    finally:
        sim.stop()
