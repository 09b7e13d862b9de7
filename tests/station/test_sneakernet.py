"""Sneakernet round trip through real processes: a station with no link exports its queue to a
"USB stick", the county gateway imports it (and a second time, changing nothing), another
enrolled station uploads a later bundle, the gateway exports the acknowledgements and downlink,
the station imports them, its outbox is acknowledged, and a later online sync sends nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cardstation.demo_setup import Gateway
from tests.station.helpers import station_connection
from tests.sync.backends import Backend, backend  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(300)
PW = "Admin#2026pass"


def run(*args: str, db: Path | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "cardstation.cli", *(["--db", str(db)] if db else []), *args]
    env = {
        **os.environ,
        "CARDSTATION_ADMIN_PASSWORD": PW,
        "CARDSTATION_PASSWORD": PW,
        "CARDSTATION_NEW_PASSWORD": PW,
    }
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, env=env)
    assert "Traceback" not in done.stderr, done.stderr
    if ok:
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def station(root: Path, gw: Gateway, sp: str) -> Path:
    db = root / "station.db"
    init_and_enrol(db, sp, gw.url, gw.register(sp + "01"))
    return db


def init_and_enrol(db: Path, service_point: str, url: str, token: str) -> None:
    """A Hunan station as the county sets one up: init, an operator (wangxh), enrolment."""
    run("init", "--province", "hunan", "--service-point", service_point, "--admin", "admin",
        "--admin-name", "张三", db=db)  # fmt: skip
    run("operator", "add", "--as", "admin", "--name", "王小红", "--role", "operator", "wangxh", db=db)
    run("keys", "enrol", "--url", url, "--token", token, db=db)


def apply_rows(db: Path, folder: Path, seeds: list[int]) -> None:
    from tests.offline.services.conftest import make_photo
    from tests.offline.services.test_batch import row, write_csv

    path = write_csv(
        folder / f"list-{seeds[0]}.csv", [row(s) for s in seeds], encoding="utf-8", photo=make_photo(1)
    )
    out = run("apply", "--csv", str(path), "--as", "wangxh", "--json", db=db).stdout
    assert [json.loads(x)["status"] for x in out.splitlines()] == ["accepted"] * len(seeds)


def outbox_states(db: Path) -> dict[str, int]:
    conn = station_connection(db)
    try:
        return dict(conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
    finally:
        conn.close()


def gateway_envelopes(gw: Gateway, station_id: str) -> int:
    db = gw.open()
    try:
        return int(db.one("SELECT COUNT(*) AS n FROM envelopes WHERE station_id = ?", (station_id,))["n"])
    finally:
        db.close()


@pytest.fixture
def gateway(tmp_path: Path, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:  # noqa: F811
    """The county gateway on either engine (the CLI's import and export find its key file)."""
    gw = backend.demo_gateway(tmp_path / "gw", monkeypatch)
    gw.start()
    yield gw
    gw.stop()


def test_sneakernet_round_trip_exactly_once(gateway: Gateway, tmp_path: Path) -> None:
    gw_db = gateway.db
    a_sp, b_sp = "43012100100100001", "43012100100100002"
    a = station(tmp_path / "village", gateway, a_sp)
    b = station(tmp_path / "township", gateway, b_sp)
    a_id = a_sp + "01"
    usb = tmp_path / "usb"
    early = json.loads(run("backup", "--to", str(tmp_path / "early"), "--json", db=a).stdout)["path"]
    apply_rows(a, tmp_path, [801, 802])
    # No link at the village: a sync sends nothing.
    down = run("sync", "--once", "--json", "--url", "http://127.0.0.1:9", db=a, ok=False)
    assert down.returncode == 1 and json.loads(down.stdout)["sent"] == 0
    queued = outbox_states(a)["pending"]
    assert queued >= 4  # two businesses, each with its photo blob

    # 1. Export: one signed bundle; the outbox is unchanged (the envelopes wait for their acks).
    first = json.loads(run("outbox", "export", "--to", str(usb), "--json", db=a).stdout)
    bundle1 = Path(first["path"])
    assert first["envelopes"] == queued and outbox_states(a) == {"pending": queued}
    with zipfile.ZipFile(bundle1) as z:
        names = z.namelist()
        manifest = json.loads(z.read("manifest.json"))
        sealed = b"".join(z.read(n) for n in names if n.endswith(".env"))
    assert "manifest.sig" in names and len(manifest["envelopes"]) == queued
    assert "王小红".encode() not in sealed and "刘".encode() not in sealed  # sealed: nothing readable

    # 2. The county gateway imports it; importing again changes nothing.
    imported = json.loads(run("gateway", "import-bundle", str(bundle1), "--db", str(gw_db), "--json").stdout)
    assert imported["counts"] == {"acked": queued}
    again = json.loads(run("gateway", "import-bundle", str(bundle1), "--db", str(gw_db), "--json").stdout)
    assert again["counts"] == {"duplicate": queued}
    assert gateway_envelopes(gateway, a_id) == queued

    # A tampered bundle is refused whole.
    tampered = usb / "tampered.csb"
    with zipfile.ZipFile(bundle1) as src, zipfile.ZipFile(tampered, "w") as dst:
        for n in src.namelist():
            data = src.read(n)
            dst.writestr(n, data[:-1] + bytes([data[-1] ^ 1]) if n.endswith(".env") else data)
    bad = run("gateway", "import-bundle", str(tampered), "--db", str(gw_db), ok=False)
    assert bad.returncode == 1 and "签名不对" in bad.stderr

    # 3. More work at the village; the next bundle goes out through another enrolled station.
    apply_rows(a, tmp_path, [803])
    bundle2 = Path(json.loads(run("outbox", "export", "--to", str(usb), "--json", db=a).stdout)["path"])
    total = outbox_states(a)["pending"]
    via_b = json.loads(run("sync", "--upload-bundle", str(bundle2), "--json", db=b).stdout)
    assert via_b["duplicate"] == queued and via_b["acked"] == total - queued and via_b["rejected"] == 0
    assert gateway_envelopes(gateway, a_id) == total
    assert outbox_states(b) == {}  # station B's own queue is untouched

    # 4. The way back: acknowledgements and downlink updates, exported for station A only.
    out = run("gateway", "export-updates", "--station", a_id, "--db", str(gw_db), "--to", str(usb)).stdout
    (updates,) = usb.glob(f"updates-{a_id}-*.json")
    assert f"回执 {total} 条" in out
    refused = run("sync", "--import-updates", str(updates), db=b, ok=False)
    assert refused.returncode == 1 and "拒绝导入" in refused.stderr
    done = json.loads(run("sync", "--import-updates", str(updates), "--json", db=a).stdout)
    assert done["acked"] == total and done["unknown"] == 0 and done["updates_applied"] >= 1
    assert outbox_states(a) == {"acked": total}
    repeat = json.loads(run("sync", "--import-updates", str(updates), "--json", db=a).stdout)
    assert repeat["acked"] == 0 and repeat["already"] == total and repeat["updates_applied"] == 0

    # 5. Later the link comes up: nothing is sent again, nothing is stored twice.
    online = json.loads(run("sync", "--once", "--json", db=a).stdout)
    assert online["sent"] == 0 and not online["errors"], online
    assert gateway_envelopes(gateway, a_id) == total
    status = json.loads(run("sync", "--status", "--json", db=a).stdout)
    assert status["queue_depth"] == 0

    # 6. The village store comes back from the backup taken before all this (a new disk, same keys).
    run("restore", early, db=a)
    conn = station_connection(a)
    conn.execute("DELETE FROM settings WHERE key = 'outbox.seq_floor'")  # as on a replacement machine
    conn.close()
    assert outbox_states(a) == {}
    back = json.loads(run("sync", "--import-updates", str(updates), "--json", db=a).stdout)
    assert back["unknown"] == total  # the centre holds envelopes this store lost: numbering continues above
    apply_rows(a, tmp_path, [804])
    after_restore = json.loads(run("sync", "--once", "--json", db=a).stdout)
    assert after_restore["sent"] >= 2 and after_restore["acked"] == after_restore["sent"], after_restore
    assert after_restore["quarantined"] == 0 and outbox_states(a) == {"acked": after_restore["sent"]}


def test_export_refuses_an_unenrolled_station_and_a_bad_folder(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    run(
        "init",
        "--province",
        "hubei",
        "--service-point",
        "42010200100100001",
        "--admin",
        "admin",
        "--admin-name",
        "张三",
        db=db,
    )
    done = run("outbox", "export", "--to", str(tmp_path / "usb"), db=db, ok=False)
    assert done.returncode == 1 and "keys enrol" in done.stderr
    junk = tmp_path / "junk.csb"
    junk.write_bytes(b"not a zip")
    bad: Any = run("sync", "--import-updates", str(junk), db=db, ok=False)
    assert bad.returncode == 1 and "错误" in bad.stderr
