"""The reference gateway over real HTTP: rejection codes counted, idempotency, enrolment,
one person one card across stations (R-APP-3), simulated production, OpenAPI, no 5xx.

Every test runs on both storage engines: SQLite (a file) and PostgreSQL (a throwaway cluster
from tests/pg.py, a fresh database per gateway). Under CI=true PostgreSQL must run, not skip.
"""

from __future__ import annotations

import json
import struct
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offline import outbox
from offline.protocols import EnvelopeHeader
from sync import keys
from sync.engine import SyncEngine
from sync.enrol import EnrolError, enrol
from sync.gateway.openapi import OPENAPI
from sync.keys import sealer_for
from sync.testing import fresh_keys
from tests.helpers import one
from tests.sync.helpers import (
    RunningGateway,
    commit_apply,
    enrol_station,
    ssn_for,
    station_id_for,
)

FRAME = struct.Struct(">I")


def post(url: str, *envelopes: bytes) -> list[dict[str, str]]:
    body = b"".join(FRAME.pack(len(e)) + e for e in envelopes)
    r = httpx.post(f"{url}/v1/envelopes", content=body)
    assert r.status_code == 200, r.text
    results: list[dict[str, str]] = r.json()["results"]
    return results


def seal(
    store_sealer: object,
    seq: int,
    payload: bytes = b'{"item":"query"}',
    *,
    eid: str | None = None,
    station_id: str = "",
) -> bytes:
    h = EnvelopeHeader(station_id=station_id, seq=seq, envelope_id=eid or uuid.uuid4().hex, kind="business")
    return store_sealer.seal(h, payload)  # type: ignore[attr-defined,no-any-return]


def test_accept_then_repeat_returns_the_original_ack(gateway: RunningGateway, tmp_path: Path) -> None:
    store = enrol_station(tmp_path, gateway.gateway, gateway.url, station_id_for(101))
    env = seal(sealer_for(store), 1)
    first = post(gateway.url, env)[0]
    again = post(gateway.url, env)[0]
    assert first["status"] == "acked" and again["status"] == "duplicate"
    assert again["ack"] == first["ack"]
    assert json.loads(first["ack"])["envelope_id"] == parse_eid(env)
    assert gateway.stored(parse_eid(env)) == 1


def parse_eid(env: bytes) -> str:
    from sync.envelope import parse

    return parse(env).header.envelope_id


def test_resealed_same_content_is_duplicate_other_content_is_conflict(
    gateway: RunningGateway, tmp_path: Path
) -> None:
    store = enrol_station(tmp_path, gateway.gateway, gateway.url, station_id_for(102))
    s = sealer_for(store)
    eid = uuid.uuid4().hex
    a = post(gateway.url, seal(s, 1, b'{"a":1}', eid=eid))[0]
    b = post(gateway.url, seal(s, 1, b'{"a":1}', eid=eid))[0]  # new ciphertext, same plaintext
    c = post(gateway.url, seal(s, 1, b'{"a":2}', eid=eid))[0]
    assert (a["status"], b["status"], c["status"]) == ("acked", "duplicate", "conflict")
    assert b["ack"] == a["ack"]


def test_every_rejection_is_refused_and_counted(
    fresh_gateway: RunningGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = fresh_gateway
    store = enrol_station(tmp_path / "a", gw.gateway, gw.url, station_id_for(1))
    other = enrol_station(tmp_path / "b", gw.gateway, gw.url, station_id_for(2))
    s = sealer_for(store)
    ok = seal(s, 1)
    tampered = bytearray(seal(s, 2))
    tampered[60] ^= 0x40
    replayed = seal(s, 1)  # seq 1 again under a new id
    # reordered: the header (seq 3) of one envelope on the body of another
    from sync.envelope import parse

    e3, e4 = seal(s, 3), seal(s, 4)
    reordered = parse(e3).prefix + e4[len(parse(e4).prefix) :]
    wrong_station = seal(sealer_for(other), 5, station_id=station_id_for(1))  # B signs as A
    stranger = (
        fresh_keys(station_id_for(99))
        .sealer()
        .seal(EnvelopeHeader(station_id_for(99), 1, uuid.uuid4().hex, "business"), b"x")
    )
    cleartext = json.dumps({"receipt_no": "x", "item": "apply"}).encode()
    results = post(gw.url, ok, bytes(tampered), replayed, reordered, wrong_station, stranger, cleartext)
    assert [r.get("code", r["status"]) for r in results] == [
        "acked",
        "tampered",
        "replayed",
        "tampered",
        "tampered",
        "unknown_station",
        "cleartext",
    ]
    gw.gateway.keyring.expire_hpke_key(s.server_key.key_id, gw.clock() - timedelta(seconds=1))
    assert post(gw.url, seal(s, 6))[0]["code"] == "expired_key"
    gw.gateway.keyring.revoke_station(station_id_for(2), "test", gw.clock())
    assert post(gw.url, seal(sealer_for(other), 1))[0]["code"] == "revoked_station"
    assert httpx.get(f"{gw.url}/v1/stats").status_code == 401  # statistics need the admin token
    monkeypatch.setenv("CARDSTATION_GATEWAY_ADMIN_TOKEN", "s3cret-admin")
    admin = {"Authorization": "Bearer s3cret-admin"}
    stats = httpx.get(f"{gw.url}/v1/stats", headers=admin).json()["events"]
    assert stats["accepted"] == 1 and stats["tampered"] == 3 and stats["replayed"] == 1
    assert stats["unknown_station"] == 1 and stats["cleartext"] == 1
    assert stats["expired_key"] == 1 and stats["revoked_station"] == 1
    assert httpx.get(f"{gw.url}/v1/stats", headers=admin).json()["envelopes"] == 1


def test_enrolment_token_flow_pins_the_server_keys(gateway: RunningGateway, tmp_path: Path) -> None:
    from offline.store import Store

    sid = station_id_for(103)
    token = gateway.gateway.keyring.issue_token(sid, gateway.clock())
    store = Store.open(tmp_path / "st" / "station.db")
    key = enrol(store, gateway.url, token, station_id=sid)
    assert key.key_id in {k["key_id"] for k in gateway.gateway.keyring.hpke_public_keys(gateway.clock())}
    path = keys.key_path(store)
    assert path.stat().st_mode & 0o777 == 0o600
    assert store.one("SELECT COUNT(*) AS n FROM settings WHERE value LIKE '%PRIVATE%'")["n"] == 0  # type: ignore[index]
    with pytest.raises(EnrolError):  # one-time
        enrol(Store.open(tmp_path / "st2" / "station.db"), gateway.url, token, station_id=sid)
    commit_apply(store, ssn_for(103))
    assert SyncEngine(store).run_once().acked == 1


def test_enrolment_refuses_a_server_with_another_fingerprint(gateway: RunningGateway, tmp_path: Path) -> None:
    from offline.store import Store

    sid = station_id_for(104)
    secret = gateway.gateway.keyring.issue_token(sid, gateway.clock()).split(".")[0]
    with pytest.raises(EnrolError) as e:
        enrol(Store.open(tmp_path / "station.db"), gateway.url, f"{secret}.000000000000", station_id=sid)
    assert "指纹" in str(e.value)


def test_one_person_one_card_across_stations_R_APP_3(gateway: RunningGateway, tmp_path: Path) -> None:
    a = enrol_station(tmp_path / "a", gateway.gateway, gateway.url, station_id_for(105))
    b = enrol_station(tmp_path / "b", gateway.gateway, gateway.url, station_id_for(106))
    ssn = ssn_for(105)
    commit_apply(a, ssn)
    assert SyncEngine(a).run_once().acked == 1
    rb = commit_apply(b, ssn)
    report = SyncEngine(b).run_once()
    assert report.acked == 1 and report.downlink_seen >= 1
    row = b.one("SELECT payload FROM inbox WHERE kind = 'application_result'")
    assert row is not None
    payload = json.loads(row["payload"])
    assert payload["receipt_no"] == rb.receipt_no and payload["accepted"] is False
    assert "一人一卡" in payload["reason"]
    assert (
        one(gateway.gateway.db, "SELECT state FROM applications WHERE receipt_no = ?", (rb.receipt_no,))[
            "state"
        ]
        == "rejected"
    )


def test_production_after_configured_days(fresh_gateway: RunningGateway, tmp_path: Path) -> None:
    gw = fresh_gateway
    gw.gateway.intake_config.production_days = 5
    store = enrol_station(tmp_path, gw.gateway, gw.url, station_id_for(107))
    commit_apply(store, ssn_for(107))
    SyncEngine(store).run_once()
    kinds = {r["kind"] for r in store.query("SELECT kind FROM inbox")}
    assert kinds == {"application_result"}
    gw.clock.offset_s = 5 * 86400 + 60
    SyncEngine(store).run_once()
    kinds = {r["kind"] for r in store.query("SELECT kind FROM inbox")}
    assert "card_produced" in kinds and "card_shipped" not in kinds
    gw.clock.offset_s = 6 * 86400 + 120
    SyncEngine(store).run_once()
    shipped = store.one("SELECT payload FROM inbox WHERE kind = 'card_shipped'")
    assert shipped is not None and json.loads(shipped["payload"])["station_id"] == station_id_for(107)


def test_openapi_lists_every_route_and_only_them(gateway: RunningGateway) -> None:
    from starlette.routing import Route

    served = {
        (r.path, m.lower())
        for r in gateway.gateway.app.routes
        if isinstance(r, Route)
        for m in (r.methods or ())
        if m != "HEAD" or r.path.startswith("/v1/blobs")
    }
    doc = httpx.get(f"{gateway.url}/openapi.json").json()
    documented = {(p, m) for p, ops in doc["paths"].items() for m in ops if m != "parameters"}
    assert served == documented
    assert doc == OPENAPI


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(
        [
            "/v1/envelopes",
            "/v1/enrol",
            "/v1/blobs/" + "a" * 32,
            "/v1/blobs/xyz",
            "/v1/updates?after=zz&limit=x",
            "/v1/stations/rotate",
            "/v1/ping?nonce=%ff",
        ]
    ),
    method=st.sampled_from(["POST", "PATCH", "GET", "HEAD"]),
    body=st.binary(max_size=300),
    headers=st.dictionaries(
        st.sampled_from(["Upload-Offset", "Upload-Length", "X-Station-Auth"]),
        st.text(alphabet="0123456789-;abc", max_size=12),
        max_size=3,
    ),
)
def test_malformed_input_never_gets_5xx(
    gateway: RunningGateway, path: str, method: str, body: bytes, headers: dict[str, str]
) -> None:
    r = httpx.request(method, gateway.url + path, content=body, headers=headers)
    assert r.status_code < 500, (r.status_code, r.text)


def test_key_set_is_signed_by_the_pinned_downlink_key(gateway: RunningGateway, tmp_path: Path) -> None:
    store = enrol_station(tmp_path, gateway.gateway, gateway.url, station_id_for(108))
    doc = httpx.get(f"{gateway.url}/v1/keys").json()
    assert keys.update_server_keys(store, doc)
    doc["hpke_keys"][0]["public_key"] = doc["hpke_keys"][0]["public_key"][::-1]
    with pytest.raises(keys.KeySetError):
        keys.update_server_keys(store, doc)


def test_gateway_keeps_envelope_ids_forever(gateway: RunningGateway, tmp_path: Path) -> None:
    store = enrol_station(tmp_path, gateway.gateway, gateway.url, station_id_for(109))
    commit_apply(store, ssn_for(109))
    SyncEngine(store).run_once()
    acked = outbox.entries(store, states=(outbox.ACKED,))
    gateway.clock.offset_s = 3650 * 86400  # ten years on (server key expired by then)
    try:
        assert post(gateway.url, acked[0].envelope)[0]["status"] == "duplicate"
    finally:
        gateway.clock.offset_s = 0
    assert datetime.now(UTC)


def test_rotate_with_a_short_public_key_is_400(gateway: RunningGateway, tmp_path: Path) -> None:
    import hashlib
    import time

    from sync.keys import load_identity, sign_request

    store = enrol_station(tmp_path, gateway.gateway, gateway.url, station_id_for(110))
    body = b'{"public_key": "AAAA"}'
    auth = sign_request(
        load_identity(store),
        "POST",
        "/v1/stations/rotate",
        hashlib.sha256(body).hexdigest(),
        int(time.time()),
    )
    r = httpx.post(f"{gateway.url}/v1/stations/rotate", content=body, headers={"X-Station-Auth": auth})
    assert r.status_code == 400 and r.json()["error"] == "malformed"
