"""Sync benchmark: our protocol vs a naive baseline over the same simulated link, side by side.

    .venv/bin/python bench/sync.py --scale 20 --count 200 [--database sqlite|postgresql|DSN] [--no-naive]

Link: 64 kbit/s each way, 600 ms RTT, a drop every 30 s. `--scale K` multiplies bandwidth by K
and divides RTT and the drop interval by K, so the fractions stay comparable with a run at
full scale (~14.5 min per side) while taking ~1/K of the time.

Ours: N applications, each a business envelope + a 30 KB photo blob (random bytes: JPEG does
not compress), drained by the real `SyncDaemon` (in a spawned child process, whose peak RSS is
reported) to the real gateway through `sync.linksim`.
Naive: one JSON POST per record with the photo in base64, restarted from zero on any failure
(`--no-naive` skips it when iterating). `--database postgresql` runs the gateway on a throwaway
durable PostgreSQL cluster (tests/pg.py: fsync and synchronous_commit on), a `postgresql://`
DSN on an existing server. `--breakdown` serves the gateway through a counting wrapper and
prints where the wire bytes went (headers, bodies, blob bytes kept, lost in flight). The
1-minute load average is sampled every 5 s during our side (the machine is shared: scaled runs
are CPU-sensitive).
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PHOTO = 30_000


def _station_child(db: str, scale: float, out: Any) -> None:
    """The station side in its own process: the daemon until the outbox is empty."""
    import resource

    from offline import outbox
    from offline.store import Store
    from sync import state
    from sync.daemon import DaemonConfig, SyncDaemon
    from sync.engine import EngineConfig

    store = Store.open(db)
    started = time.monotonic()
    daemon: SyncDaemon | None = None

    def on_report(report: Any) -> None:
        if outbox.status(store).pending == 0 and daemon is not None:
            daemon.stop()

    daemon = SyncDaemon(
        store,
        config=DaemonConfig(interval_s=0.2, probe_interval_s=1.0 / scale, tick_s=0.02),
        engine_config=EngineConfig(
            backoff=state.Backoff(base_s=1.0 / scale, cap_s=8.0 / scale), retry_pause_s=0.5 / scale
        ),
        on_report=on_report,
    )
    daemon.serve()
    out.put(
        {
            "seconds": time.monotonic() - started,
            "runs": daemon.runs,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def gateway_database(database: str, work: Path) -> tuple[Path | str, Path | None, Any]:
    """(db, kek file, cluster to stop) for `--database`: 'sqlite' (a file in `work`),
    'postgresql' (a throwaway durable cluster: fsync and synchronous_commit on, as a province
    runs it) or a `postgresql://` DSN of an existing server."""
    if database == "sqlite":
        return work / "gw.db", None, None
    cluster = None
    dsn = database
    if database == "postgresql":
        from tests.pg import PgCluster

        cluster = PgCluster(durable=True)
        dsn = cluster.start()
    return dsn, work / "gateway", cluster


def run_ours(
    count: int, scale: float, work: Path, database: str = "sqlite", *, breakdown: bool = False
) -> dict[str, Any]:
    db, kek, cluster = gateway_database(database, work)
    try:
        return _run_ours(count, scale, work, db, kek, breakdown)
    finally:
        if cluster is not None:
            cluster.stop()


class GatewayTally:
    """ASGI wrapper in front of the gateway (`--breakdown`): what it read, by kind.

    Header bytes are rebuilt from the parsed request (request line, `name: value` lines, blank
    line), so they are an estimate to a few bytes; bodies are the bytes the app read.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.counts: Counter[str] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        target = len(scope.get("raw_path") or b"") + (
            len(scope["query_string"]) + 1 if scope["query_string"] else 0
        )
        self.counts[f"requests_{method}"] += 1
        self.counts["header_bytes"] += (
            len(method) + target + 12 + sum(len(k) + len(v) + 4 for k, v in scope["headers"]) + 2
        )

        async def counted() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                self.counts[f"body_bytes_{method}"] += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


def _run_ours(
    count: int, scale: float, work: Path, db: Path | str, kek: Path | None, breakdown: bool = False
) -> dict[str, Any]:
    from offline import outbox
    from sync.gateway import blobs
    from sync.linksim import LinkSim
    from tests.sync.helpers import (
        ServerThread,
        commit_apply,
        enrol_station,
        ssn_for,
        start_gateway,
        station_id_for,
    )

    gw = start_gateway(db, production_days=1.0, kek_path=kek)
    port = gw.server.port
    tally: GatewayTally | None = None
    tally_server: Any = None
    if breakdown:  # a second server on the same gateway app, counting; the link goes there
        tally = GatewayTally(gw.gateway.app)
        tally_server = ServerThread(tally).start()
        port = tally_server.port
        append = blobs.append

        def kept(*args: Any, **kwargs: Any) -> Any:
            done = append(*args, **kwargs)
            if done.outcome in ("partial", "complete"):
                assert tally is not None
                tally.counts["blob_bytes_kept"] += len(args[5])
            return done

        blobs.append = kept
    sim = LinkSim("127.0.0.1", port, kbps=64 * scale, rtt_ms=600 / scale, drop_every_s=30 / scale)
    sim.start()
    store = enrol_station(work / "st", gw.gateway, f"http://127.0.0.1:{sim.port}", station_id_for(900))
    raw_json = 0
    for i in range(count):
        commit_apply(store, ssn_for(90_000 + i), photo=PHOTO)
    rows = store.query("SELECT kind, length(payload) AS p, size FROM outbox")
    raw_json = sum(r["p"] for r in rows if r["kind"] == "business")
    sealed_json = sum(r["size"] for r in rows if r["kind"] == "business")
    payload = sum(r["p"] for r in rows)
    sealed = sum(r["size"] for r in rows)
    store.close()
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_station_child, args=(str(store.path), scale, q))
    up0 = sim.bytes_up
    loads: list[float] = []
    sampling = threading.Event()

    def sample_load() -> None:  # the machine is shared: say how busy it was during the run
        while not sampling.wait(5.0):
            with open("/proc/loadavg") as f:
                loads.append(float(f.read().split()[0]))

    sampler = threading.Thread(target=sample_load, daemon=True)
    sampler.start()
    p.start()
    child = q.get(timeout=3600)
    p.join(30)
    sampling.set()
    wire = sim.bytes_up - up0
    acked = outbox.status(store).acked
    stored = gw.gateway.db.one("SELECT COUNT(*) AS n FROM envelopes")["n"]
    drops = sim.drops
    sim.stop()
    if tally_server is not None:
        tally_server.stop()
        blobs.append = append
    gw.server.stop()
    rate = 64 * scale * 1000 / 8
    extra: dict[str, Any] = {}
    if tally is not None:
        c = tally.counts
        read = c["header_bytes"] + sum(v for k, v in c.items() if k.startswith("body_bytes_"))
        extra = {
            "breakdown": {
                "sealed_bytes": sealed,
                **dict(sorted(c.items())),
                "lost_in_flight_bytes": wire - read,  # carried by the link, never read by the gateway
            }
        }
    return {
        **extra,
        "side": "ours",
        "database": "sqlite" if isinstance(db, Path) else "postgresql",
        "records": count,
        "envelopes_acked": acked,
        "gateway_envelopes": stored,
        "seconds": round(child["seconds"], 1),
        "drops": drops,
        "payload_bytes": payload,
        "wire_bytes_up": wire,
        "goodput_fraction": round(payload / (child["seconds"] * rate), 3),
        "wire_per_payload": round(wire / payload, 3),
        "text_only_sealed_per_raw_json": round(sealed_json / raw_json, 3),
        "daemon_peak_rss_mb": round(child["peak_rss_mb"], 1),
        "daemon_runs": child["runs"],
        "load_avg_mean": round(sum(loads) / len(loads), 2) if loads else "-",
        "load_avg_max": max(loads) if loads else "-",
    }


def run_naive(count: int, scale: float, work: Path) -> dict[str, Any]:
    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from sync.linksim import LinkSim
    from tests.sync.helpers import ServerThread

    received: set[str] = set()

    from starlette.requests import ClientDisconnect

    async def naive(request: Request) -> Response:
        try:
            doc = json.loads(await request.body())
        except ClientDisconnect:
            return Response(status_code=400)
        received.add(doc["receipt_no"])
        return JSONResponse({"ok": True})

    srv = ServerThread(Starlette(routes=[Route("/naive", naive, methods=["POST"])])).start()
    sim = LinkSim("127.0.0.1", srv.port, kbps=64 * scale, rtt_ms=600 / scale, drop_every_s=30 / scale).start()
    records = []
    payload = 0
    for i in range(count):
        photo = os.urandom(PHOTO)
        rec = {
            "schema": 1,
            "receipt_no": f"R{i:06d}",
            "item": "apply",
            "station_id": "4201020010090000101",
            "details": {"ssn": f"42010219900101{i:04d}", "bank": "工商银行", "name": "张三"},
            "operator": {"username": "op1", "real_name": "王小红"},
        }
        payload += len(json.dumps(rec, ensure_ascii=False).encode()) + PHOTO
        records.append({**rec, "photo": base64.b64encode(photo).decode()})
    rate = 64 * scale * 1000 / 8
    started = time.monotonic()
    up0 = sim.bytes_up
    restarts = 0
    with httpx.Client(base_url=f"http://127.0.0.1:{sim.port}", timeout=30) as client:
        for rec in records:
            while True:
                try:
                    r = client.post(
                        "/naive",
                        content=json.dumps(rec, ensure_ascii=False).encode(),
                        headers={"Content-Type": "application/json"},
                    )
                    if r.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                restarts += 1
                time.sleep(1.0 / scale)
    seconds = time.monotonic() - started
    wire = sim.bytes_up - up0
    sim.stop()
    srv.stop()
    return {
        "side": "naive",
        "records": count,
        "received": len(received),
        "seconds": round(seconds, 1),
        "restarts": restarts,
        "payload_bytes": payload,
        "wire_bytes_up": wire,
        "goodput_fraction": round(payload / (seconds * rate), 3),
        "wire_per_payload": round(wire / payload, 3),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=20.0)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument(
        "--database",
        default="sqlite",
        help="gateway store: sqlite (default), postgresql (a throwaway durable cluster), or a postgresql:// DSN",
    )
    ap.add_argument("--no-naive", action="store_true", help="skip the naive baseline (when iterating)")
    ap.add_argument(
        "--breakdown",
        action="store_true",
        help="count at the gateway where the wire bytes went (headers, bodies, blob bytes kept, lost in flight)",
    )
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results: list[dict[str, Any]] = [
            run_ours(a.count, a.scale, Path(tmp), a.database, breakdown=a.breakdown)
        ]
        if not a.no_naive:
            results.append(run_naive(a.count, a.scale, Path(tmp)))
    header = (
        f"link 64 kbit/s x{a.scale:g}, RTT {600 / a.scale:.0f} ms, drop every {30 / a.scale:.1f} s,"
        f" {a.count} records, gateway on {results[0]['database']}"
    )
    if a.json:
        print(json.dumps({"setup": header, "results": results}, ensure_ascii=False, indent=2))
        return 0
    print(header)
    keys = [
        "records",
        "seconds",
        "drops",
        "restarts",
        "payload_bytes",
        "wire_bytes_up",
        "goodput_fraction",
        "wire_per_payload",
        "text_only_sealed_per_raw_json",
        "daemon_peak_rss_mb",
        "load_avg_mean",
        "load_avg_max",
    ]
    print(f"{'':34}" + "".join(f"{r['side']:>14}" for r in results))
    for k in keys:
        print(f"{k:34}" + "".join(f"{r.get(k, '-')!s:>14}" for r in results))
    if "breakdown" in results[0]:
        print("\nat the gateway (ours):")
        for k, v in results[0]["breakdown"].items():
            print(f"  {k:32}{v:>14}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
