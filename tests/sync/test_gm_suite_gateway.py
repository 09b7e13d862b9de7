"""Suite 2 (国密) negotiated at enrolment, through a real `cardstation gateway serve` process.

A station enrolled with suite 2 seals with SM2 + SM4-GCM and signs with SM2/SM3 (envelopes,
request signatures, key rotation); a suite-1 station works beside it on the same gateway; and an
envelope that names another suite than the one its station pinned is refused (no downgrade).
"""

from __future__ import annotations

import os
import struct
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from offline.store import Store
from sync import keys
from sync.engine import SyncEngine
from sync.enrol import EnrolError, enrol, refresh_server_keys, rotate_station_key
from sync.envelope import Header, seal
from sync.suite import DEFAULT_SUITE, SM_SUITE, b64, unb64
from tests.helpers import one
from tests.sync.backends import Backend
from tests.sync.gateway_process import GatewayProcess
from tests.sync.helpers import commit_apply, ssn_for, station_id_for

FRAME = struct.Struct(">I")


@pytest.fixture(scope="module")
def gp(module_backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    g = GatewayProcess(module_backend.target(tmp_path_factory.mktemp("gwsm")))
    yield g
    g.stop()


def _post(url: str, *envelopes: bytes) -> list[dict[str, str]]:
    r = httpx.post(f"{url}/v1/envelopes", content=b"".join(FRAME.pack(len(e)) + e for e in envelopes))
    assert r.status_code == 200, r.text
    results: list[dict[str, str]] = r.json()["results"]
    return results


def _sync_one_application(store: Store, gp: GatewayProcess, n: int) -> None:
    """One real application through commit_business and the sync engine, acknowledged and stored."""
    result = commit_apply(store, ssn_for(n))
    report = SyncEngine(store, url=gp.url).run_once()
    assert report.acked >= 1 and not report.errors and report.quarantined == 0, report
    (eid,) = result.envelope_ids
    row = one(store, "SELECT state, acked_at, envelope FROM outbox WHERE envelope_id = ?", (eid,))
    assert row["state"] == "acked" and row["acked_at"]
    assert bytes(row["envelope"])[3] == keys.pinned_suite(store)  # the suite byte of the header
    got = gp.gw.db.one("SELECT ssn FROM applications WHERE receipt_no = ?", (result.receipt_no,))
    assert got is not None and got["ssn"] == ssn_for(
        n
    )  # the gateway decrypted it and took the application in


def test_suite_2_station_uploads_and_is_acknowledged_beside_a_suite_1_station(
    gp: GatewayProcess, tmp_path: Path
) -> None:
    gm = gp.station(tmp_path / "gm", station_id_for(901), suite=2)
    intl = gp.station(tmp_path / "intl", station_id_for(902))
    assert keys.pinned_suite(gm) == 2 and keys.pinned_suite(intl) == 1
    assert keys.key_path(gm).name == keys.SM2_KEY_FILE and keys.key_path(gm).stat().st_mode & 0o077 == 0
    assert len(keys.current_server_key(gm).public_key) == 64  # an SM2 point, not an X25519 key
    assert len(keys.current_server_key(intl).public_key) == 32
    pinned = {
        r["station_id"]: r["suite"]
        for r in gp.gw.db.query(
            "SELECT station_id, suite FROM stations WHERE station_id IN (?, ?)",
            (station_id_for(901), station_id_for(902)),
        )
    }
    assert pinned == {station_id_for(901): 2, station_id_for(902): 1}
    _sync_one_application(gm, gp, 901)
    _sync_one_application(intl, gp, 902)


def test_suite_2_key_rotation_and_key_refresh_keep_the_suite(gp: GatewayProcess, tmp_path: Path) -> None:
    gm = gp.station(tmp_path / "gm", station_id_for(903), suite=2)
    old = keys.load_identity(gm).key_id
    new = rotate_station_key(gm)  # signed (X-Station-Auth) with the old SM2 key
    ident = keys.load_identity(gm)
    assert new != old and ident.key_id == new and ident.suite == 2 and len(ident.public_key) == 64
    assert {k.suite for k in gp.gw.keyring.station_keys(station_id_for(903)) or []} == {2}
    refreshed = refresh_server_keys(gm)
    assert refreshed and all(len(k.public_key) == 64 for k in refreshed)
    _sync_one_application(gm, gp, 903)


def _forged(station: Store, *, suite_id: int) -> bytes:
    """An envelope naming `station` and its current key id, sealed and signed with `suite_id`."""
    ident = keys.load_identity(station)
    suite = DEFAULT_SUITE if suite_id == 1 else SM_SUITE
    server_key_id, server_public = _published_keys(station, suite_id)[0]
    signing, _pub = suite.new_signing_key()  # whoever downgrades has no key of the pinned suite
    h = Header(server_key_id, ident.key_id, ident.station_id, 99, uuid.uuid4().hex, "business")
    return seal(suite, h, b'{"item":"query"}', server_public_key=server_public, station_signing_key=signing)


def _published_keys(station: Store, suite_id: int) -> list[tuple[str, bytes]]:
    """The gateway's public keys of `suite_id` as its key route publishes them to anyone."""
    url = station.setting(keys.S_URL) or ""
    doc = httpx.get(f"{url}/v1/keys", params={"suite": suite_id}).json()
    return [(str(k["key_id"]), unb64(str(k["public_key"]))) for k in doc["hpke_keys"]]


def test_downgrade_of_a_suite_2_station_to_suite_1_is_refused(gp: GatewayProcess, tmp_path: Path) -> None:
    gm = gp.station(tmp_path / "gm", station_id_for(904), suite=2)
    intl = gp.station(tmp_path / "intl", station_id_for(905))
    down = _post(gp.url, _forged(gm, suite_id=1))[0]
    up = _post(gp.url, _forged(intl, suite_id=2))[0]
    assert (down["status"], down["code"]) == ("rejected", "tampered")
    assert (up["status"], up["code"]) == ("rejected", "tampered")
    stored = gp.gw.db.one(
        "SELECT COUNT(*) AS n FROM envelopes WHERE station_id IN (?, ?)",
        (station_id_for(904), station_id_for(905)),
    )["n"]
    assert stored == 0
    # the genuine suite-2 station is not disturbed by the attempt
    _sync_one_application(gm, gp, 904)


def test_a_request_signed_with_another_suite_is_refused(gp: GatewayProcess, tmp_path: Path) -> None:
    from sync.client import GatewayClient, LinkError

    gm = gp.station(tmp_path / "gm", station_id_for(906), suite=2)
    ident = keys.load_identity(gm)
    ed_priv, _ = DEFAULT_SUITE.new_signing_key()
    forged = keys.StationIdentity(ident.station_id, ident.key_id, ed_priv, ident.public_key, 1)
    c = GatewayClient(gp.url, identity=forged)
    try:
        with pytest.raises(LinkError):
            c.rotate(DEFAULT_SUITE.new_signing_key()[1])
    finally:
        c.close()
    assert keys.load_identity(gm).key_id == ident.key_id
    assert {k.key_id for k in gp.gw.keyring.station_keys(station_id_for(906)) or []} == {ident.key_id}


def test_enrolment_with_an_unsupported_suite_is_refused_in_chinese(
    gp: GatewayProcess, tmp_path: Path
) -> None:
    store = Store.open(tmp_path / "station.db")
    sid = station_id_for(907)
    with store.write() as conn:
        store.set_setting(conn, keys.S_STATION_ID, sid)
    token = gp.gw.keyring.issue_token(sid, gp.gw.now())
    r = httpx.post(
        f"{gp.url}/v1/enrol",
        json={"token": token, "station_id": sid, "public_key": b64(b"x" * 32), "suites": [7]},
    )
    assert r.status_code == 403 and r.json()["error"] == "unsupported_suite"
    assert "可选：1、2" in r.json()["detail"]
    # an SM2 "key" that is not a point of the curve is malformed, and the token is not spent by it
    off_curve = SM_SUITE.new_signing_key()[1][:63] + b"\x00"
    r = httpx.post(
        f"{gp.url}/v1/enrol",
        json={"token": token, "station_id": sid, "public_key": b64(off_curve), "suites": [2]},
    )
    assert r.status_code == 403 and r.json()["error"] == "malformed"
    # a suite-1-sized key offered as suite 2 is malformed too
    with pytest.raises(EnrolError):
        enrol(store, gp.url, token, suite=2, client=_WrongKeyClient(gp.url))  # type: ignore[arg-type]
    enrol(store, gp.url, token, suite=2)
    assert keys.pinned_suite(store) == 2


class _WrongKeyClient:
    """Sends an Ed25519-sized key while announcing suite 2."""

    def __init__(self, url: str) -> None:
        from sync.client import GatewayClient

        self._c = GatewayClient(url)

    def enrol(self, token: str, station_id: str, public_key: bytes, *, suite: int = 1) -> dict[str, object]:
        return self._c.enrol(token, station_id, public_key[:32], suite=suite)

    def close(self) -> None:
        self._c.close()


def test_expiry_is_checked_per_suite(gp: GatewayProcess) -> None:
    now = datetime.now(UTC)
    sm_keys = gp.gw.keyring.hpke_public_keys(now, 2)
    intl_keys = gp.gw.keyring.hpke_public_keys(now, 1)
    assert sm_keys and intl_keys and not {k["key_id"] for k in sm_keys} & {k["key_id"] for k in intl_keys}
    assert all(datetime.fromisoformat(k["not_after"]) > now + timedelta(days=300) for k in sm_keys)


def test_cli_enrols_with_the_suite_of_the_province_profile(
    gp: GatewayProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    """`cardstation init` then `cardstation keys enrol`: the suite comes from the profile."""
    from dataclasses import replace

    from cardstation.cli import main
    from offline import profiles

    db = str(tmp_path / "station.db")
    monkeypatch.setenv("CARDSTATION_ADMIN_PASSWORD", "Admin#2026pass")
    sp = station_id_for(908)[:17]
    assert main(["--db", db, "init", "--province", "hubei", "--service-point", sp,
                 "--admin", "admin", "--admin-name", "张管理"]) == 0  # fmt: skip
    assert profiles.load_profile("hubei").crypto_suite == 1  # the bundled default
    bundled = profiles.load_profile
    monkeypatch.setattr(profiles, "load_profile", lambda p: replace(bundled(p), crypto_suite=2))
    # The profile in force is cached by (province, update): forget the suite-1 one now, and this
    # test's suite-2 one when it ends, so that no later test sees it.
    profiles.effective_profile.cache_clear()
    request.addfinalizer(profiles.effective_profile.cache_clear)
    store = Store.open(tmp_path / "station.db")
    sid = store.setting(keys.S_STATION_ID) or ""
    token = gp.gw.keyring.issue_token(sid, gp.gw.now())
    capsys.readouterr()
    assert main(["--db", db, "keys", "enrol", "--url", gp.url, "--token", token]) == 0
    out = capsys.readouterr().out
    assert "加密套件：2（国密 SM2/SM3/SM4）" in out and "Traceback" not in out
    assert keys.pinned_suite(store) == 2 and gp.gw.keyring.station_suite(sid) == 2
    assert main(["--db", db, "keys", "show", "--json"]) == 0
    assert '"crypto_suite": 2' in capsys.readouterr().out


def test_gateway_rotate_key_cli_rotates_one_suite_only(
    tmp_path: Path, backend: Backend, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cardstation.cli import main
    from sync.gateway.app import create_app

    target = backend.target(tmp_path)
    for name, value in target.env.items():  # the CLI finds the same key-encryption key
        monkeypatch.setenv(name, value)
    db = target.db
    gw = create_app(db, kek_path=target.kek)
    now = datetime.now(UTC)
    before = {s: {k["key_id"] for k in gw.keyring.hpke_public_keys(now, s)} for s in (1, 2)}
    gw.db.close()
    assert main(["gateway", "rotate-key", "--db", str(db), "--suite", "2"]) == 0
    assert "加密套件 2" in capsys.readouterr().out
    gw = create_app(db, kek_path=target.kek)
    after = {s: {k["key_id"] for k in gw.keyring.hpke_public_keys(now, s)} for s in (1, 2)}
    assert after[1] == before[1] and len(after[2] - before[2]) == 1 and before[2] <= after[2]
    new = gw.keyring.server_key(next(iter(after[2] - before[2])))
    gw.db.close()
    assert new is not None and new.suite == 2 and len(new.private_key) == 32


def test_suite_2_outbox_bundle_is_imported_by_the_gateway_cli(gp: GatewayProcess, tmp_path: Path) -> None:
    """Sneakernet: the bundle manifest is signed with the station's SM2 key and checked as such."""
    import json
    import subprocess
    import sys

    from sync.bundle import export_outbox

    gm = gp.station(tmp_path / "gm", station_id_for(909), suite=2)
    commit_apply(gm, ssn_for(909))
    report = export_outbox(gm, tmp_path / "usb", now=datetime.now(UTC))
    path = report.path
    assert report.envelopes == 1
    cmd = [sys.executable, "-m", "cardstation.cli", "gateway", "import-bundle", str(path), "--db", str(gp.db)]
    env = {**os.environ, **gp.target.env}
    done = subprocess.run([*cmd, "--json"], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"] == {"acked": 1}
    forged = tmp_path / "forged.csb"  # the same bundle, manifest signature by a suite-1 key
    import zipfile

    with zipfile.ZipFile(path) as src, zipfile.ZipFile(forged, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "manifest.sig":
                data = b64(DEFAULT_SUITE.sign(DEFAULT_SUITE.new_signing_key()[0], b"x")).encode()
            dst.writestr(name, data)
    bad = subprocess.run(
        [*cmd[:5], str(forged), *cmd[6:]], capture_output=True, text=True, timeout=60, env=env
    )
    assert bad.returncode != 0 and "签名不对" in bad.stderr + bad.stdout and "Traceback" not in bad.stderr
