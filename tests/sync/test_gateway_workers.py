"""`cardstation gateway serve --workers 3 --database postgresql://...`: stateless workers.

A station uploads a batch while one of the three workers is SIGKILLed. Its retry lands on
another worker; the database ends with every envelope exactly once, and the supervisor has
started a replacement worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from offline.store import Store
from sync import keys
from sync.engine import SyncEngine
from sync.enrol import enrol
from tests.pg import fresh_database
from tests.sync.helpers import commit_apply, free_port, ssn_for, station_id_for

BATCH = 200  # ten POSTs of 20: the kill lands between or inside them


def serving(workers: list[int], port: int) -> int | None:
    """The worker holding an established connection on `port` (the station's keep-alive link)."""
    inodes: set[str] = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        f = line.split()
        if int(f[1].split(":")[1], 16) == port and f[3] == "01":  # local port, ESTABLISHED
            inodes.add(f[9])
    for pid in workers:
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        if any(link[8:-1] in inodes for link in links if link.startswith("socket:[")):
            return pid
    return None


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def test_sigkill_of_one_of_three_workers_during_a_batch_loses_and_doubles_nothing(
    postgres_dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARDSTATION_GATEWAY_KEK_FILE", str(tmp_path / "gw.kek"))
    database = fresh_database(postgres_dsn)
    sid = station_id_for(401)
    cli = [sys.executable, "-m", "cardstation.cli", "gateway"]
    reg = subprocess.run(
        [*cli, "register-station", "--database", database, "--station-id", sid],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert reg.returncode == 0, reg.stderr
    port = free_port()
    sup = subprocess.Popen(
        [*cli, "serve", "--database", database, "--workers", "3", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while len(children(sup.pid)) < 3 or not _up(url):
            assert time.time() < deadline and sup.poll() is None, "workers did not start"
            time.sleep(0.2)
        first = children(sup.pid)
        store = Store.open(tmp_path / "st" / "station.db")
        with store.write() as conn:
            store.set_setting(conn, keys.S_STATION_ID, sid)
        enrol(store, url, reg.stdout.strip().splitlines()[-1])
        for i in range(BATCH):
            commit_apply(store, ssn_for(500 + i))
        reports: list[int] = []
        upload = threading.Thread(target=lambda: reports.append(SyncEngine(store).run_once().acked))
        upload.start()
        killed, stored_at_kill = 0, 0
        deadline = time.time() + 60
        with psycopg.connect(database, autocommit=True) as conn:
            while not killed and upload.is_alive() and time.time() < deadline:
                stored_at_kill = _count(conn)
                holder = serving(first, port) if stored_at_kill > 0 else None
                if holder is not None:
                    os.kill(holder, signal.SIGKILL)  # the worker serving this very batch
                    killed = holder
                time.sleep(0.01)
        upload.join(120)
        assert killed and 0 < stored_at_kill < BATCH, (killed, stored_at_kill)  # mid-batch, really
        for _ in range(30):  # the station's own retry loop, as its daemon runs it
            pending = store.one("SELECT COUNT(*) AS n FROM outbox WHERE state IN ('pending', 'sending')")
            if pending is not None and pending["n"] == 0:
                break
            SyncEngine(store).run_once()
            time.sleep(0.2)
        with psycopg.connect(database) as conn:
            rows = conn.execute("SELECT COUNT(*), COUNT(DISTINCT envelope_id) FROM envelopes").fetchone()
        assert rows == (BATCH, BATCH)  # every application once, none twice
        # Acknowledged at the station, every one (an ack lost with the worker comes back as the
        # original ack of a `duplicate` on the retry).
        done = store.one("SELECT COUNT(*) AS n FROM outbox WHERE state = 'acked'")
        assert done is not None and done["n"] == BATCH
        deadline = time.time() + 20
        while len(children(sup.pid)) < 3 and time.time() < deadline:
            time.sleep(0.2)
        later = children(sup.pid)
        assert killed not in later and len(later) == 3  # the supervisor replaced the dead worker
    finally:
        sup.send_signal(signal.SIGTERM)
        sup.wait(20)
    assert children(sup.pid) == []


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/v1/ping", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _count(conn: psycopg.Connection[tuple[int]]) -> int:
    row = conn.execute("SELECT COUNT(*) FROM envelopes").fetchone()
    return int(row[0]) if row else 0


def test_a_blob_begun_on_one_worker_is_finished_on_another(
    postgres_dsn: str,
    tmp_path: Path,
) -> None:
    """Two gateway processes' worth of state over one database: the partial is in PostgreSQL."""
    from offline.protocols import EnvelopeHeader
    from sync.keys import load_identity, sealer_for, sign_request
    from sync.wire import AUTH_HEADER
    from tests.sync.helpers import enrol_station, start_gateway

    database = fresh_database(postgres_dsn)
    a = start_gateway(database, kek_path=tmp_path / "gw")
    b = start_gateway(database, kek_path=tmp_path / "gw")
    try:
        sid = station_id_for(402)
        store = enrol_station(tmp_path, a.gateway, a.url, sid)
        eid = "ab" * 16
        sealed = sealer_for(store).seal(
            EnvelopeHeader(sid, 1, eid, "blob"), os.urandom(40_000), compress=False
        )
        ident = load_identity(store)
        path = f"/v1/blobs/{eid}"

        def patch(url: str, offset: int, body: bytes) -> httpx.Response:
            auth = sign_request(ident, "PATCH", path, f"upload {offset} {len(sealed)}", int(time.time()))
            return httpx.patch(
                url + path,
                content=body,
                headers={
                    "Upload-Offset": str(offset),
                    "Upload-Length": str(len(sealed)),
                    "Content-Type": "application/offset+octet-stream",
                    AUTH_HEADER: auth,
                },
            )

        half = len(sealed) // 2
        first = patch(a.url, 0, sealed[:half])
        assert first.status_code in (200, 204) and first.headers["upload-offset"] == str(half)
        head_auth = sign_request(ident, "HEAD", path, "-", int(time.time()))
        head = httpx.head(b.url + path, headers={AUTH_HEADER: head_auth})
        assert head.headers["upload-offset"] == str(half)  # worker B sees what A received
        done = patch(b.url, half, sealed[half:])
        assert done.status_code == 200 and done.json()["status"] == "acked"
        again = patch(a.url, 0, sealed)  # a retry on the first worker: the same ack, stored once
        assert again.json()["status"] == "duplicate" and again.json()["ack"] == done.json()["ack"]
        assert a.stored(eid) == 1
        chunks = a.gateway.db.one("SELECT COUNT(*) AS n FROM blob_chunks WHERE envelope_id = ?", (eid,))
        assert chunks is not None and chunks["n"] == 0  # the partial went with its completion
    finally:
        for gw in (a, b):
            gw.server.stop()
            gw.gateway.db.close()
