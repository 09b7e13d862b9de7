"""Gateway load bench: S stations upload M applications each, concurrently, to a real gateway process.

    .venv/bin/python bench/gateway_load.py --stations 1000 --per-station 20 --concurrency 100

What is real: the gateway is `cardstation gateway serve` in its own process on 127.0.0.1; every
simulated station is registered with its own Ed25519 key (administrator registration, as
`gateway register-station --public-key` does) and seals with its own gap-free seq to the
gateway's HPKE key, exactly as `commit_business` does: per application one photo envelope
(~30 KB of random bytes, not compressed: JPEG does not compress) and one business envelope
naming it. Everything is sealed before the clock starts, so the client side only sends.

Each station, once it gets one of the `--concurrency` upload slots, does what the sync engine
does with a morning's outbox: the photos one by one through the resumable blob path
(PATCH /v1/blobs/{id}), then the business envelopes in one framed batch (POST /v1/envelopes).
Time to acknowledgement is per envelope: the PATCH's round trip, or the batch's for each
envelope in it (the station learns its acks when the batch answers).

Reported: envelopes/s and applications/s, p50/p99 time to ack, gateway CPU seconds per
envelope (utime+stime of the server process from /proc), database bytes per envelope (file
growth after a WAL checkpoint), gateway peak RSS (VmHWM), mean sealed envelope sizes. Then
exactly-once: the gateway must hold exactly 2·S·M envelopes (S·M photos, S·M businesses, S·M
applications), and a station that resends everything gets only duplicates with the same acks.

`--backend postgresql` runs the gateway over a throwaway, durable (fsync on) PostgreSQL cluster
started for the run (tests/pg.py, Debian's `postgresql` package), with `--workers N` gateway
processes on one port (`gateway serve --database ... --workers N`). Its CPU is reported
separately: gateway workers, and the database server (postmaster and backends).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PHOTO = 30_000
FRAME = struct.Struct(">I")


@dataclass
class Station:
    station_id: str
    photos: list[tuple[str, bytes]] = field(default_factory=list)  # (envelope id, sealed)
    businesses: list[tuple[str, bytes]] = field(default_factory=list)
    acks: dict[str, str] = field(default_factory=dict)
    identity: Any = None  # sync.keys.StationIdentity: a PATCH is signed by its station (gateway auth)


def station_id(n: int) -> str:
    """19 digits: region 42010 + n (4) + institution 00100 + serial 001 + terminal 01."""
    return f"42010{n:04d}0010000101"


def register_and_seal(
    db: Path | str, stations: int, per_station: int, photo: int, kek: Path | None = None
) -> list[Station]:
    """Register every station with its own key, then seal all its envelopes (before timing)."""
    from offline.protocols import EnvelopeHeader
    from sync import keys
    from sync.envelope import PinnedServerKey, StationSealer
    from sync.gateway.app import Gateway, GatewayConfig
    from sync.suite import unb64

    gw = Gateway(GatewayConfig(db, kek_path=kek))
    now = datetime.now(UTC)
    out: list[Station] = []
    for n in range(stations):
        sid = station_id(n)
        priv, pub, kid = keys.new_station_key()
        bundle = gw.keyring.register(sid, pub, now)
        body = keys.verify_signed(bundle, unb64(bundle["downlink_key"]["public_key"]))
        hk = body["hpke_keys"][-1]
        sealer = StationSealer(
            station_id=sid,
            station_key_id=kid,
            station_signing_key=priv,
            server_key=PinnedServerKey(hk["key_id"], unb64(hk["public_key"]), hk["not_after"]),
        )
        st = Station(sid, identity=keys.StationIdentity(sid, kid, priv, pub))
        seq = 0
        for i in range(per_station):
            seq += 1
            pid = uuid.uuid4().hex
            st.photos.append(
                (pid, sealer.seal(EnvelopeHeader(sid, seq, pid, "blob"), os.urandom(photo), compress=False))
            )
            seq += 1
            bid = uuid.uuid4().hex
            record = {
                "schema": 1,
                "receipt_no": f"{sid[:17]}{i:07d}",
                "item": "apply",
                "at": now.isoformat(timespec="seconds"),
                "station_id": sid,
                "service_point": sid[:17],
                "operator": {"username": "op1", "real_name": "王小红"},
                "fee_fen": 0,
                "details": {"ssn": f"4201{n:04d}1990{i:05d}X", "bank": "工商银行", "name": "张三"},
                "audit_seq": i + 1,
                "blobs": [{"kind": "photo", "envelope_id": pid, "size": photo}],
            }
            payload = json.dumps(record, ensure_ascii=False, sort_keys=True).encode()
            st.businesses.append((bid, sealer.seal(EnvelopeHeader(sid, seq, bid, "business"), payload)))
        out.append(st)
    gw.db.close()
    return out


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _proc_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _tree_cpu_s(pid: int) -> float:
    """CPU of a process, of its children that ended (cutime+cstime) and of those still running."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])
    own = ticks / os.sysconf("SC_CLK_TCK")
    return own + sum(_proc_cpu_s(c) for c in _children(pid) if Path(f"/proc/{c}").exists())


def _db_bytes(db: Path | str) -> int:
    """Size of the store after folding the WAL into it (what a year of data would occupy)."""
    if isinstance(db, str):  # PostgreSQL: the database's files after a checkpoint
        import psycopg

        with psycopg.connect(db, autocommit=True) as pg:
            pg.execute("CHECKPOINT")
            row = pg.execute("SELECT pg_database_size(current_database())").fetchone()
            return int(row[0]) if row else 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


#: The bench is the gateway's administrator for /v1/stats (a throwaway token for this run).
ADMIN_TOKEN = secrets.token_hex(16)
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def start_server(db: Path | str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    from cardstation.demo_setup import cli_argv
    from sync.gateway.app import ADMIN_TOKEN_ENV

    extra = ["--workers", str(workers)] if workers > 1 else []
    proc = subprocess.Popen(
        cli_argv("gateway", "serve", "--db", str(db), "--port", str(port), *extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, ADMIN_TOKEN_ENV: ADMIN_TOKEN},  # /v1/stats needs the administrator token
    )
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gateway exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/ping", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gateway did not answer /v1/ping within 60 s")


async def upload(
    stations: list[Station], url: str, concurrency: int
) -> tuple[list[float], list[float], list[str], list[str]]:
    """All stations through `concurrency` slots: photo latencies, business latencies, problems, retried errors."""
    import httpx

    from sync.gateway.app import upload_digest
    from sync.keys import sign_request
    from sync.wire import AUTH_HEADER

    photo_lat: list[float] = []
    biz_lat: list[float] = []
    problems: list[str] = []
    transient: list[str] = []
    slots = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def send(
        client: httpx.AsyncClient, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> Any:
        for attempt in range(5):
            try:
                r = await client.request(method, path, content=body, headers=headers)
                if r.status_code == 200:
                    return r.json()
                transient.append(f"{method} {path}: HTTP {r.status_code}")
            except httpx.HTTPError as exc:
                transient.append(f"{method} {path}: {type(exc).__name__}")
            await asyncio.sleep(0.2 * (attempt + 1))
        problems.append(f"{method} {path}: gave up after 5 tries ({transient[-1]})")
        return None

    async def one_station(client: httpx.AsyncClient, st: Station) -> None:
        async with slots:
            for eid, sealed in st.photos:
                t0 = time.perf_counter()
                doc = await send(
                    client,
                    "PATCH",
                    f"/v1/blobs/{eid}",
                    sealed,
                    {
                        "Upload-Offset": "0",
                        "Upload-Length": str(len(sealed)),
                        "Content-Type": "application/offset+octet-stream",
                        AUTH_HEADER: sign_request(
                            st.identity,
                            "PATCH",
                            f"/v1/blobs/{eid}",
                            upload_digest(0, len(sealed)),
                            int(time.time()),
                        ),
                    },
                )
                photo_lat.append(time.perf_counter() - t0)
                if doc is None or doc.get("status") not in ("acked", "duplicate"):
                    problems.append(f"photo {eid}: {doc}")
                else:
                    st.acks[eid] = doc["ack"]
            body = b"".join(FRAME.pack(len(s)) + s for _, s in st.businesses)
            t0 = time.perf_counter()
            doc = await send(
                client, "POST", "/v1/envelopes", body, {"Content-Type": "application/octet-stream"}
            )
            dt = time.perf_counter() - t0
            results = doc.get("results", []) if isinstance(doc, dict) else []
            for (eid, _), res in zip(st.businesses, results, strict=False):
                biz_lat.append(dt)
                if res.get("envelope_id") != eid or res.get("status") not in ("acked", "duplicate"):
                    problems.append(f"business {eid}: {res}")
                else:
                    st.acks[eid] = res["ack"]
            if len(results) != len(st.businesses):
                problems.append(f"{st.station_id}: {len(results)} results for {len(st.businesses)}")

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=300) as client:
        await asyncio.gather(*(one_station(client, st) for st in stations))
    return photo_lat, biz_lat, problems, transient


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def run(
    stations: int,
    per_station: int,
    concurrency: int,
    photo: int,
    work: Path,
    *,
    backend: str = "sqlite",
    workers: int = 1,
    dsn: str = "",
) -> dict[str, Any]:
    """`dsn`: run on this existing PostgreSQL database (the tests' session cluster) instead of
    starting a durable cluster for the run."""
    import httpx

    from sync.gateway.kek import ENV_FILE
    from tests.sync.helpers import free_port

    cluster = None
    kek: Path | None = None
    db: Path | str = work / "gateway.db"
    saved_env = os.environ.get(ENV_FILE)
    if backend == "postgresql":
        from tests.pg import PgCluster

        if dsn:
            db = dsn
        else:
            cluster = PgCluster(durable=True)
            db = cluster.start()
        kek = work / "gateway"
        os.environ[ENV_FILE] = str(work / "gateway.kek")  # shared by the workers
    try:
        return _run(db, kek, cluster, stations, per_station, concurrency, photo, workers, httpx, free_port)
    finally:
        if cluster is not None:
            cluster.stop()
        if backend == "postgresql":  # the caller's environment as it was (a test process goes on)
            if saved_env is None:
                os.environ.pop(ENV_FILE, None)
            else:
                os.environ[ENV_FILE] = saved_env


def _run(
    db: Path | str,
    kek: Path | None,
    cluster: Any,
    stations: int,
    per_station: int,
    concurrency: int,
    photo: int,
    workers: int,
    httpx: Any,
    free_port: Any,
) -> dict[str, Any]:
    from sync.gateway.db import GatewayStore
    from sync.gateway.pgdb import open_gateway_db

    t0 = time.monotonic()
    fleet = register_and_seal(db, stations, per_station, photo, kek)
    prepare_s = time.monotonic() - t0
    base_bytes = _db_bytes(db)
    port = free_port()
    proc = start_server(db, port, workers)
    url = f"http://127.0.0.1:{port}"
    pg_pid = cluster.pid() if cluster is not None else None
    try:
        cpu0 = _tree_cpu_s(proc.pid)
        db_cpu0 = _tree_cpu_s(pg_pid) if pg_pid else 0.0
        t0 = time.monotonic()
        photo_lat, biz_lat, problems, transient = asyncio.run(upload(fleet, url, concurrency))
        seconds = time.monotonic() - t0
        cpu = _tree_cpu_s(proc.pid) - cpu0
        db_cpu = (_tree_cpu_s(pg_pid) - db_cpu0) if pg_pid else 0.0
        hwm = max(_proc_hwm_mb(p) for p in [proc.pid, *_children(proc.pid)])
        stats_before = httpx.get(f"{url}/v1/stats", headers=ADMIN_HEADERS, timeout=60).json()
        # A station that lost every answer resends everything: only duplicates, same acks.
        again = Station(fleet[0].station_id, fleet[0].photos, fleet[0].businesses, identity=fleet[0].identity)
        _, _, replay_problems, _ = asyncio.run(upload([again], url, 1))
        replay_same_acks = again.acks == fleet[0].acks
        stats = httpx.get(f"{url}/v1/stats", headers=ADMIN_HEADERS, timeout=60).json()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    envelopes = 2 * stations * per_station
    store: GatewayStore = open_gateway_db(db, kek_path=kek)
    by_kind = {r[0]: int(r[1]) for r in store.query("SELECT kind, COUNT(*) FROM envelopes GROUP BY kind")}
    sizes = {r[0]: float(r[1]) for r in store.query("SELECT kind, AVG(size) FROM envelopes GROUP BY kind")}
    payloads = {
        r[0]: float(r[1])
        for r in store.query("SELECT kind, AVG(length(payload)) FROM envelopes GROUP BY kind")
    }
    applications = int(store.one("SELECT COUNT(*) FROM applications")[0])
    distinct_seq = int(
        store.one("SELECT COUNT(*) FROM (SELECT DISTINCT station_id, seq FROM envelopes) AS s")[0]
    )
    store.close()
    db_bytes = _db_bytes(db) - base_bytes
    lat = photo_lat + biz_lat
    exactly_once = (
        stats_before["envelopes"] == envelopes
        and stats["envelopes"] == envelopes
        and by_kind.get("blob") == stations * per_station
        and by_kind.get("business") == stations * per_station
        and applications == stations * per_station
        and distinct_seq == envelopes
        and not replay_problems
        and replay_same_acks
    )
    return {
        "stations": stations,
        "per_station": per_station,
        "concurrency": concurrency,
        "workers": workers,
        "backend": "sqlite (WAL, synchronous=FULL)"
        if isinstance(db, Path)
        else ("postgresql 15 (fsync on)" if cluster is not None else "postgresql (given database)"),
        "prepare_seconds": round(prepare_s, 1),
        "seconds": round(seconds, 1),
        "envelopes": envelopes,
        "envelopes_per_s": round(envelopes / seconds, 1),
        "applications_per_s": round(stations * per_station / seconds, 1),
        "ack_p50_ms": round(_pct(lat, 0.50) * 1000, 1),
        "ack_p99_ms": round(_pct(lat, 0.99) * 1000, 1),
        "photo_ack_p50_ms": round(_pct(photo_lat, 0.50) * 1000, 1),
        "photo_ack_p99_ms": round(_pct(photo_lat, 0.99) * 1000, 1),
        "batch_ack_p50_ms": round(_pct(biz_lat, 0.50) * 1000, 1),
        "batch_ack_p99_ms": round(_pct(biz_lat, 0.99) * 1000, 1),
        "ack_mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else 0.0,
        "gateway_cpu_s": round(cpu, 1),
        "gateway_cpu_ms_per_envelope": round(cpu / envelopes * 1000, 2),
        "database_cpu_s": round(db_cpu, 1),
        "database_cpu_ms_per_envelope": round(db_cpu / envelopes * 1000, 2),
        "db_bytes_per_envelope": round(db_bytes / envelopes),
        "db_bytes_per_application": round(db_bytes / (stations * per_station)),
        "db_bytes_total": db_bytes,
        "gateway_peak_rss_mb": round(hwm, 1),
        "sealed_photo_bytes": round(sizes.get("blob", 0)),
        "sealed_business_bytes": round(sizes.get("business", 0)),
        "business_payload_bytes": round(payloads.get("business", 0)),
        "retries": len(transient),
        "retried_errors": transient[:5],
        "problems": problems[:10],
        "gateway_envelopes": stats["envelopes"],
        "exactly_once": exactly_once,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stations", type=int, default=100, help="S: simulated stations")
    ap.add_argument(
        "--per-station", type=int, default=20, help="M: applications per station (photo + business)"
    )
    ap.add_argument("--concurrency", type=int, default=100, help="stations uploading at the same time")
    ap.add_argument(
        "--workers",
        type=int,
        default=1,
        help="gateway worker processes (more than 1 needs the PostgreSQL backend)",
    )
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--photo", type=int, default=PHOTO, help="photo bytes per application")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.workers != 1 and a.backend != "postgresql":
        print("--workers > 1 needs --backend postgresql (one SQLite file has one writer)")
        return 2
    if not 0 < a.stations <= 9999:
        print("--stations must be 1..9999")
        return 2
    with tempfile.TemporaryDirectory(prefix="gateway-load-") as tmp:
        result = run(
            a.stations, a.per_station, a.concurrency, a.photo, Path(tmp), backend=a.backend, workers=a.workers
        )
    if a.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for k, v in result.items():
            print(f"{k:32}{v}")
    return 0 if result["exactly_once"] and not result["problems"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
