"""Roster benchmark: the area snapshot over a slow link, and a county-sized extract.

    .venv/bin/python bench/roster.py [--township 50000] [--county 1000000] [--scale 1] [--lookups 2000]

Township (default 50,000 holders): a province extract is imported into a real gateway store, the
gateway serves it (uvicorn thread) behind `sync.linksim` at 64 kbit/s each way and 600 ms RTT
(`--scale K`: K times the rate, RTT / K — for a quick run), and a station downloads its area
snapshot with the real `sync.roster.download_roster`, as at enrolment. Printed: snapshot bytes,
bytes on the wire both ways, download time, apply time on the station.

County (default 1,000,000 holders, `--county 0` to skip): each step in its own spawned process so
its peak RSS is its own — import of the extract on the gateway (`import_roster`), the snapshot
build for a station serving the whole county, and its apply on a fresh station store
(`sync.roster.apply_file`). Then the lookups of `bench/store.py` run on that station store (search
by SSN, card number, name prefix, pinyin initials: goal p99 < 1 ms), wall and CPU time per call.
`--lookups-only PATH` runs just those on an existing store.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

STATION = "43012100100100001" + "01"


def _peak_mb() -> float:
    """VmHWM of this process (ru_maxrss would carry the parent's peak over fork + exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _child(step: str, args: tuple[Any, ...], out: Any) -> None:
    """One measured step in a fresh process: (seconds, peak RSS MB, result)."""
    started = time.monotonic()
    result: Any = None
    if step == "import":
        from sync.gateway.db import GatewayDB
        from sync.gateway.roster import import_roster

        r = import_roster(GatewayDB(args[0]), Path(args[1]))
        result = {"imported": r.imported, "bad": r.bad}
    elif step == "build":
        from datetime import UTC, datetime

        from sync.gateway import catalogue, snapshot
        from sync.gateway.db import GatewayDB
        from sync.gateway.keyring import Keyring

        db = GatewayDB(args[0])
        keyring = Keyring(db)
        keyring.ensure_keys(datetime.now(UTC))
        catalogue.set_area(db, STATION, ["43"])
        meta = snapshot.build(db, keyring.downlink(), STATION, datetime.now(UTC))
        data = snapshot.chunk(db, STATION, meta["snapshot_id"], 0, meta["size"])
        assert data is not None
        Path(args[1]).write_bytes(data)
        result = {"rows": meta["rows"], "size": meta["size"]}
    elif step == "apply":
        from offline.store import Store
        from sync.roster import apply_file

        store = Store.open(args[0])
        result = apply_file(store, Path(args[1]))
        store.close()
    out.put(
        {
            "seconds": round(time.monotonic() - started, 1),
            "peak_rss_mb": round(_peak_mb(), 1),
            "result": result,
        }
    )


def measured(step: str, *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(step, args, q))
    p.start()
    got: dict[str, Any] = q.get(timeout=7200)
    p.join(60)
    return got


def township(n: int, scale: float, work: Path) -> dict[str, Any]:
    from sync import roster
    from sync.gateway import catalogue, snapshot
    from sync.gateway.roster import import_roster
    from sync.gateway.roster_sample import write_roster_csv
    from sync.linksim import LinkSim
    from tests.sync.helpers import enrol_station, start_gateway

    csv = work / "township.csv"
    write_roster_csv(csv, n, regions=("430121",), seed=50)
    gw = start_gateway(work / "gw.db")
    t = time.monotonic()
    import_roster(gw.gateway.db, csv)
    import_s = time.monotonic() - t
    sim = LinkSim("127.0.0.1", gw.server.port, kbps=64 * scale, rtt_ms=600 / scale).start()
    catalogue.set_area(gw.gateway.db, STATION, ["430121"])
    t = time.monotonic()
    meta = snapshot.build(gw.gateway.db, gw.gateway.keyring.downlink(), STATION, gw.gateway.now())
    build_s = time.monotonic() - t
    (work / "st").mkdir()
    store = enrol_station(work / "st", gw.gateway, f"http://127.0.0.1:{sim.port}", STATION)
    up0, down0 = sim.bytes_up, sim.bytes_down
    t = time.monotonic()
    report = roster.download_roster(store)
    total_s = time.monotonic() - t
    persons = store.one("SELECT COUNT(*) FROM persons")[0]  # type: ignore[index]
    store.close()
    out = {
        "holders": n,
        "gateway_import_s": round(import_s, 1),
        "snapshot_build_s": round(build_s, 1),
        "snapshot_bytes": meta["size"],
        "bytes_per_holder": round(meta["size"] / n, 1),
        "wire_bytes_down": sim.bytes_down - down0,
        "wire_bytes_up": sim.bytes_up - up0,
        "download_s": report.seconds_download,
        "apply_s": report.seconds_apply,
        "total_s": round(total_s, 1),
        "station_persons": persons,
        "link": f"{64 * scale:g} kbit/s, RTT {600 / scale:g} ms",
    }
    sim.stop()
    gw.server.stop()
    return out


def county(n: int, work: Path, lookups: int) -> dict[str, Any]:
    from sync.gateway.roster_sample import write_roster_csv

    csv = work / "county.csv"
    t = time.monotonic()
    write_roster_csv(csv, n, regions=("430121", "430181"), seed=1000)
    print(
        f"  (extract of {n} rows written in {time.monotonic() - t:.0f} s, {csv.stat().st_size} bytes)",
        flush=True,
    )
    imp = measured("import", str(work / "county-gw.db"), str(csv))
    print(f"  import: {imp}", flush=True)
    build = measured("build", str(work / "county-gw.db"), str(work / "county.snapshot"))
    print(f"  build: {build}", flush=True)
    from offline.store import Store

    Store.open(work / "county-st.db").close()
    apply = measured("apply", str(work / "county-st.db"), str(work / "county.snapshot"))
    print(f"  apply: {apply}", flush=True)
    _lookups(work / "county-st.db", lookups)
    return {"import": imp, "build": build, "apply": apply, "extract_bytes": csv.stat().st_size}


def _lookups(path: Path, count: int) -> None:
    """bench/store.py's lookups on the roster-applied station store, wall and CPU time per call.

    CPU time (thread_time) is reported beside wall time because on a shared 2-core machine the
    wall-clock p99 is the scheduler's time slice, not the query.
    """
    from offline.services.queries import search_persons
    from offline.store import Store

    store = Store.open(path)
    rng = random.Random(5)
    total = store.one("SELECT MAX(id) FROM persons")[0]  # type: ignore[index]
    ids = [rng.randint(1, total) for _ in range(500)]
    marks = ",".join("?" for _ in ids)
    rows = store.query(
        f"SELECT p.ssn, p.name, p.name_initials, c.card_number FROM persons p JOIN cards c ON c.person_id = p.id"
        f" WHERE p.id IN ({marks})",
        ids,
    )
    keys = {
        "ssn (exact)": [r["ssn"] for r in rows],
        "card number (exact)": [r["card_number"] for r in rows],
        "name prefix (2 chars)": [r["name"][:2] for r in rows],
        "pinyin initials": [r["name_initials"][:2] for r in rows],
    }
    print(f"\n{'lookup':<22}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'cpu p50':>9}{'cpu p99':>9}{'hits':>7}")
    for label, values in keys.items():
        wall, cpu, hits = [], [], 0
        for i in range(count):
            t, c = time.perf_counter(), time.thread_time()
            hits += bool(search_persons(store, values[i % len(values)]))
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.thread_time() - c) * 1000)
        wall.sort()
        cpu.sort()
        k = min(count - 1, int(count * 0.99))
        print(
            f"{label:<22}{count:>6}{wall[count // 2]:>9.3f}{wall[k]:>9.3f}{cpu[count // 2]:>9.3f}{cpu[k]:>9.3f}{hits:>7}"
        )
    store.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--township", type=int, default=50_000)
    ap.add_argument("--county", type=int, default=1_000_000)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--lookups", type=int, default=2000)
    ap.add_argument("--lookups-only", type=Path, metavar="PATH")
    args = ap.parse_args()
    if args.lookups_only:
        _lookups(args.lookups_only, args.lookups)
        return 0
    work = Path(tempfile.mkdtemp(prefix="roster-bench-"))
    if args.township:
        print("township:", township(args.township, args.scale, work), flush=True)
    if args.county:
        print("county:", flush=True)
        county(args.county, work, args.lookups)
    return 0


if __name__ == "__main__":
    sys.exit(main())
