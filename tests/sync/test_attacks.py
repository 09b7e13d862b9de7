"""Red-team findings against the gateway, each attacked the way the red team did: over HTTP at a
real `cardstation gateway serve` process (docs/reliability.md, "Hardening campaign")."""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from offline.protocols import EnvelopeHeader
from offline.store import Store
from sync import keys
from sync.client import GatewayClient, LinkError
from sync.engine import SyncEngine
from sync.enrol import enrol, refresh_server_keys, rotate_station_key
from sync.envelope import StationSealer
from sync.gateway import blobs
from sync.gateway.app import upload_digest
from sync.gateway.db import GatewayStore
from tests.helpers import one
from tests.sync.backends import Backend, GatewayTarget
from tests.sync.gateway_process import ADMIN_TOKEN, GatewayProcess
from tests.sync.helpers import commit_apply, ssn_for, station_id_for

FRAME = struct.Struct(">I")
MB = 1024 * 1024


@pytest.fixture(scope="module")
def gp(module_backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    g = GatewayProcess(
        module_backend.target(tmp_path_factory.mktemp("gwp")),
        "--rotation-overlap",
        "1",
        "--header-timeout",
        "2",
    )
    yield g
    g.stop()


def _sealer(ident: keys.StationIdentity, store: Store) -> StationSealer:
    return StationSealer(
        station_id=ident.station_id,
        station_key_id=ident.key_id,
        station_signing_key=ident.signing_key,
        server_key=keys.current_server_key(store),
    )


def _envelope(sealer: StationSealer, seq: int, payload: bytes = b'{"item":"query"}', eid: str = "") -> bytes:
    h = EnvelopeHeader(
        station_id=sealer.station_id, seq=seq, envelope_id=eid or uuid.uuid4().hex, kind="business"
    )
    return sealer.seal(h, payload)


def _post(url: str, *envelopes: bytes) -> list[dict[str, str]]:
    r = httpx.post(f"{url}/v1/envelopes", content=b"".join(FRAME.pack(len(e)) + e for e in envelopes))
    assert r.status_code == 200, r.text
    results: list[dict[str, str]] = r.json()["results"]
    return results


def _updates_code(url: str, ident: keys.StationIdentity) -> tuple[int, str]:
    c = GatewayClient(url, identity=ident)
    target = "/v1/updates?after=&limit=5"
    r = httpx.get(url + target, headers=c._auth("GET", target))
    c.close()
    return r.status_code, str(r.json().get("error", ""))


def _rotate_code(url: str, ident: keys.StationIdentity) -> str:
    c = GatewayClient(url, identity=ident)
    try:
        c.rotate(keys.new_station_key()[1])
    except LinkError as exc:
        return exc.code
    finally:
        c.close()
    return "accepted"


# --------------------------------------------------------------------------- retired keys


def test_rotated_key_is_refused_after_the_overlap_on_all_three_routes(
    gp: GatewayProcess, tmp_path: Path
) -> None:
    store = gp.station(tmp_path / "a", station_id_for(801))
    old = keys.load_identity(store)
    rotate_station_key(store)
    new = keys.load_identity(store)
    assert new.key_id != old.key_id
    # Only the active key may register a key: the old one is refused at once, with its own reason.
    assert _rotate_code(gp.url, old) == "retired_key"
    time.sleep(1.5)  # the overlap of this gateway (--rotation-overlap 1)
    assert _post(gp.url, _envelope(_sealer(old, store), 1))[0]["code"] == "retired_key"
    assert _updates_code(gp.url, old) == (403, "retired_key")
    # The new key has full power.
    assert _post(gp.url, _envelope(_sealer(new, store), 2))[0]["status"] == "acked"
    assert _updates_code(gp.url, new)[0] == 200


def test_reenrolment_retires_every_earlier_key_at_once(gp: GatewayProcess, tmp_path: Path) -> None:
    sid = station_id_for(802)
    store = gp.station(tmp_path / "a", sid)
    first = keys.load_identity(store)
    rotate_station_key(store)
    second = keys.load_identity(store)
    enrol(store, gp.url, gp.gw.keyring.issue_token(sid, gp.gw.now()))  # re-enrolment, no sleep
    third = keys.load_identity(store)
    for ident in (first, second):
        assert _post(gp.url, _envelope(_sealer(ident, store), 1))[0]["code"] == "retired_key"
        assert _updates_code(gp.url, ident) == (403, "retired_key")
        assert _rotate_code(gp.url, ident) == "retired_key"
    assert _post(gp.url, _envelope(_sealer(third, store), 1))[0]["status"] == "acked"


# --------------------------------------------------------------------------- memory and disk


def _flood(total: int) -> Iterator[bytes]:
    block = b"\xff" * (64 * 1024)
    for _ in range(total // len(block)):
        yield block


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_400_mb_body_without_credentials_is_refused_and_rss_stays_under_150_mb(
    gp: GatewayProcess, declared: bool
) -> None:
    eid = uuid.uuid4().hex
    routes = [("POST", "/v1/enrol"), ("POST", "/v1/stations/rotate"), ("POST", "/v1/envelopes")]
    routes.append(("PATCH", f"/v1/blobs/{eid}"))
    for method, path in routes:
        headers = {"Upload-Offset": "0", "Upload-Length": str(8 * MB)}
        if declared:
            headers["Content-Length"] = str(400 * MB)
        try:
            r = httpx.request(method, gp.url + path, content=_flood(400 * MB), headers=headers, timeout=60)
            assert r.status_code in (401, 413), (path, r.status_code, r.text)
        except httpx.HTTPError:
            pass  # the gateway answered and closed while we were still sending: refused
        assert gp.rss_peak_kb() < 150 * 1024, (path, gp.rss_peak_kb())
    assert gp.proc.poll() is None
    assert httpx.get(f"{gp.url}/v1/ping").status_code == 200


def _chunks(gp: GatewayProcess) -> int:
    return int(gp.gw.db.one("SELECT COUNT(*) AS n FROM blob_chunks")["n"])


def test_unauthenticated_patch_stores_nothing(gp: GatewayProcess, tmp_path: Path) -> None:
    store = gp.station(tmp_path / "a", station_id_for(803))
    r = commit_apply(store, ssn_for(803), photo=30_000)
    env = bytes(
        one(store, "SELECT envelope FROM outbox WHERE envelope_id = ?", (r.envelope_ids[0],))["envelope"]
    )
    before = _chunks(gp)
    url = f"{gp.url}/v1/blobs/{r.envelope_ids[0]}"
    for auth in ({}, {"X-Station-Auth": f"{station_id_for(803)};x;{int(time.time())};AAAA"}):
        for body in (env[:20_000], b"junk" * 1000):
            resp = httpx.patch(
                url, content=body, headers={"Upload-Offset": "0", "Upload-Length": str(len(env)), **auth}
            )
            assert resp.status_code in (401, 403)
    assert httpx.head(url).status_code == 401
    assert _chunks(gp) == before


def test_hijack_of_a_resumable_upload_leaves_the_resume_intact(gp: GatewayProcess, tmp_path: Path) -> None:
    a = gp.station(tmp_path / "a", station_id_for(804))
    b = gp.station(tmp_path / "b", station_id_for(805))
    r = commit_apply(a, ssn_for(804), photo=60_000)
    eid = r.envelope_ids[0]
    env = bytes(one(a, "SELECT envelope FROM outbox WHERE envelope_id = ?", (eid,))["envelope"])
    path = f"/v1/blobs/{eid}"
    ca = GatewayClient(gp.url, identity=keys.load_identity(a))
    first = ca._request(
        "PATCH",
        path,
        body=env[:40_000],
        headers={
            "Upload-Offset": "0",
            "Upload-Length": str(len(env)),
            **ca._auth("PATCH", path, digest=upload_digest(0, len(env))),
        },
    )
    assert first.status_code == 204 and first.headers["upload-offset"] == "40000"
    # Station B knows the id and appends junk at the advertised offset, then from the start.
    cb = GatewayClient(gp.url, identity=keys.load_identity(b))
    for offset in (40_000, 0):
        resp = cb._request(
            "PATCH",
            path,
            body=b"\x00" * 1000,
            headers={
                "Upload-Offset": str(offset),
                "Upload-Length": str(len(env)),
                **cb._auth("PATCH", path, digest=upload_digest(offset, len(env))),
            },
        )
        assert resp.status_code in (400, 409)
    head = ca._request("HEAD", path, headers=ca._auth("HEAD", path))
    assert head.headers["upload-offset"] == "40000"
    ca.close()
    cb.close()
    report = SyncEngine(a, url=gp.url).run_once()
    assert report.acked >= 1 and not report.errors and report.quarantined == 0
    digest = gp.gw.db.one("SELECT sealed_digest FROM envelopes WHERE envelope_id = ?", (eid,))
    assert digest["sealed_digest"] == hashlib.sha256(env).hexdigest()  # the genuine bytes, not the junk


def test_another_station_cannot_cause_a_conflict_with_my_envelope_id(
    gp: GatewayProcess, tmp_path: Path
) -> None:
    a = gp.station(tmp_path / "a", station_id_for(806))
    b = gp.station(tmp_path / "b", station_id_for(807))
    eid = uuid.uuid4().hex
    assert _post(gp.url, _envelope(keys.sealer_for(b), 1, b'{"b":1}', eid))[0]["status"] == "acked"
    mine = _post(gp.url, _envelope(keys.sealer_for(a), 1, b'{"a":1}', eid))[0]
    assert mine["status"] == "acked"


def test_one_byte_patches_write_only_their_bytes(gp: GatewayProcess, tmp_path: Path) -> None:
    store = gp.station(tmp_path / "a", station_id_for(808))
    r = commit_apply(store, ssn_for(808), photo=30_000)
    eid = r.envelope_ids[0]
    env = bytes(one(store, "SELECT envelope FROM outbox WHERE envelope_id = ?", (eid,))["envelope"])
    c = GatewayClient(gp.url, identity=keys.load_identity(store))
    path = f"/v1/blobs/{eid}"
    offset = 0
    for size in (200, 1, 1, 1, 1, 1):
        hdr = {"Upload-Offset": str(offset), "Upload-Length": str(len(env))}
        resp = c._request(
            "PATCH",
            path,
            body=env[offset : offset + size],
            headers={**hdr, **c._auth("PATCH", path, digest=upload_digest(offset, len(env)))},
        )
        assert resp.status_code == 204
        offset += size
    c.close()
    sizes = [
        int(r["n"])
        for r in gp.gw.db.query(
            'SELECT length(data) AS n FROM blob_chunks WHERE envelope_id = ? ORDER BY "offset"', (eid,)
        )
    ]
    assert sizes == [200, 1, 1, 1, 1, 1]


def test_garbage_frames_are_rate_limited_and_rolled_up(gp: GatewayProcess) -> None:
    def counted() -> int:
        return int(
            gp.gw.db.one("SELECT COALESCE(SUM(n), 0) AS n FROM event_counts WHERE code = 'cleartext'")["n"]
        )

    before = counted()
    junk = b"".join(FRAME.pack(12) + b"hello world!" for _ in range(400))
    r = httpx.post(f"{gp.url}/v1/envelopes", content=junk)
    refused = r.json()["results"]
    # The allowance is 100 refused frames (a window shared by every worker on PostgreSQL, where
    # earlier tests of this module may have spent a few of it): far fewer than the 400 sent.
    assert r.status_code == 429 and 50 <= len(refused) <= 101
    assert all(x["code"] == "cleartext" for x in refused)
    details = gp.gw.db.one("SELECT COUNT(*) AS n FROM events WHERE code = 'cleartext'")["n"]
    assert details <= 20 and counted() - before == len(refused)  # every refusal counted, few detailed


def test_partials_expire_and_a_station_has_a_quota(
    tmp_path: Path, gateway_store: Callable[[Path], GatewayStore]
) -> None:
    from datetime import UTC, datetime

    db = gateway_store(tmp_path)
    sid, eid = station_id_for(809), uuid.uuid4().hex
    head = _fake_head(sid, eid)
    now = datetime.now(UTC)
    assert blobs.append(db, sid, eid, 0, 10_000, head, now).outcome == "partial"
    assert blobs.append(db, sid, uuid.uuid4().hex, 0, 10_000, head, now, quota=100).outcome == "not_announced"
    other = uuid.uuid4().hex
    assert (
        blobs.append(db, sid, other, 0, 10_000, _fake_head(sid, other), now, quota=len(head) + 10).outcome
        == "quota"
    )
    later = now + blobs.PARTIAL_TTL + timedelta(minutes=1)
    blobs.append(db, sid, other, 0, 10_000, _fake_head(sid, other), later)
    assert blobs.progress(db, sid, eid) is None  # expired and pruned


def _fake_head(station_id: str, envelope_id: str) -> bytes:
    from sync.envelope import MAGIC, PREFIX, Header

    h = Header(
        station_id=station_id,
        seq=1,
        envelope_id=envelope_id,
        kind="business",
        station_key_id="k",
        server_key_id="s",
    )
    enc = h.encode()
    return PREFIX.pack(MAGIC, 1, 1, len(enc)) + enc


# --------------------------------------------------------------------------- other findings


def test_overflowing_cursor_is_a_400_not_a_500(gp: GatewayProcess, tmp_path: Path) -> None:
    store = gp.station(tmp_path / "a", station_id_for(810))
    c = GatewayClient(gp.url, identity=keys.load_identity(store))
    for cursor in ("c1.99999999999999999999999", "c1.9223372036854775808", "c1.١٢"):
        target = "/v1/updates?" + str(httpx.QueryParams({"after": cursor}))
        r = httpx.get(gp.url + target, headers=c._auth("GET", target))
        assert r.status_code in (200, 400) and r.status_code < 500, cursor
    target = "/v1/updates?after=c1.99999999999999999999999"
    assert httpx.get(gp.url + target, headers=c._auth("GET", target)).status_code == 400
    c.close()


def test_stats_need_the_administrator_token(gp: GatewayProcess) -> None:
    assert httpx.get(f"{gp.url}/v1/stats").status_code == 401
    assert httpx.get(f"{gp.url}/v1/stats", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = httpx.get(f"{gp.url}/v1/stats", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert ok.status_code == 200 and "events" in ok.json()


def test_slow_clients_are_timed_out(gp: GatewayProcess) -> None:
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", gp.port)) as s:
        s.sendall(b"GET /v1/ping HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        s.settimeout(15)
        assert s.recv(100) == b""
    assert time.monotonic() - start < 6
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", gp.port)) as s:
        s.sendall(b"POST /v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        s.settimeout(15)
        assert s.recv(100) == b""  # body far slower than any station link
    assert time.monotonic() - start < 10


def _database_copy(target: GatewayTarget, tmp_path: Path) -> tuple[bytes, str]:
    """What a thief who copies the database holds (the SQLite file, or a pg_dump of the database),
    and the target a copy would be opened as."""
    if not target.postgres:
        copy = tmp_path / "copy.db"
        with sqlite3.connect(target.db) as src, sqlite3.connect(copy) as dst:
            src.backup(dst)
        return copy.read_bytes(), str(copy)
    from tests.pg import pg_bindir

    dump = subprocess.run(
        [str(pg_bindir() / "pg_dump"), "--dbname", str(target.db)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return dump.stdout, str(target.db)  # the dump restored elsewhere is the same rows


def test_server_private_keys_are_wrapped_in_the_database(gp: GatewayProcess, tmp_path: Path) -> None:
    downlink = gp.gw.keyring.downlink().private_key
    hpke = gp.gw.keyring.server_key(gp.gw.keyring.hpke_public_keys(gp.gw.now())[0]["key_id"])
    assert hpke is not None
    raw, copy = _database_copy(gp.target, tmp_path)
    for secret in (downlink, hpke.private_key):
        assert secret not in raw and secret.hex().encode() not in raw
    stored = [bytes(r["private_key"]) for r in gp.gw.db.query("SELECT private_key FROM server_keys")]
    assert stored and all(k.startswith(b"KW1") for k in stored)
    # The copied database with another key-encryption key opens nothing.
    env = {"CARDSTATION_GATEWAY_KEK": "00" * 32, "PATH": "/usr/bin:/bin"}
    thief_kek = tmp_path / "thief"
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from pathlib import Path; from sync.gateway.app import create_app; "
            f"create_app({copy!r}, kek_path=Path({str(thief_kek)!r})).keyring.downlink()",
        ],
        env={**env, "PYTHONPATH": str(Path(__file__).parents[2])},
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0 and "KekError" in out.stderr


def test_replayed_older_key_set_is_refused_by_the_station(gp: GatewayProcess, tmp_path: Path) -> None:
    store = gp.station(tmp_path / "a", station_id_for(811))
    c = GatewayClient(gp.url)
    old_set = c.key_set()
    c.close()
    subprocess.run(
        [sys.executable, "-m", "cardstation.cli", "gateway", "rotate-key", "--db", str(gp.db)],
        check=True,
        capture_output=True,
        env={**os.environ, **gp.target.env},
    )
    pinned = refresh_server_keys(store)
    newest = max(pinned, key=lambda k: k.not_after).key_id
    with pytest.raises(keys.KeySetError):
        keys.update_server_keys(store, old_set)  # validly signed, but older
    assert newest in {k.key_id for k in keys.pinned_server_keys(store)}
    assert int(store.setting(keys.S_KEY_SET_VERSION) or 0) > int(old_set["version"])
