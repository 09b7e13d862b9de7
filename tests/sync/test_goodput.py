"""What keeps the station's goodput on a 64 kbit/s link with drops (docs/benchmarks.md "Sync"):
few header bytes per request, a photo and its business envelope in one claim (one POST for the
business envelopes of two applications), and the first reconnect after a drop at once — with
exactly-once kept across the drops."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import httpx

from offline import outbox
from sync import state
from sync.client import GatewayClient
from sync.engine import EngineConfig, SyncEngine, SyncReport
from sync.keys import downlink_key, load_identity
from sync.linksim import LinkSim
from tests.sync.helpers import RunningGateway, commit_apply, enrol_station, ssn_for, station_id_for
from tests.sync.test_link_cuts import _exactly_once

PHOTO = 30_000


def test_requests_carry_no_unused_default_headers() -> None:
    """httpx's Accept, Accept-Encoding and Connection cost ~70 bytes a request and serve nothing."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json={"service": "cardstation-gateway", "nonce": request.url.params["nonce"]}
        )

    client = GatewayClient("http://gw.test", transport=httpx.MockTransport(handler))
    client.probe()
    names = {k.lower() for k in seen[0].headers}
    assert names == {"host", "user-agent"}, names


class _Counting(GatewayClient):
    """The real client, counting requests per kind (the link below is real)."""

    posts = 0
    patches = 0

    def upload_batch(self, entries):  # type: ignore[no-untyped-def]
        type(self).posts += 1
        return super().upload_batch(entries)

    def upload_blob(self, entry, *, resume):  # type: ignore[no-untyped-def]
        type(self).patches += 1
        return super().upload_blob(entry, resume=resume)


def test_photo_and_business_envelopes_share_claims(gateway: RunningGateway, tmp_path: Path) -> None:
    """Four applications with photos: four PATCHes but only two POSTs (one per two applications)."""
    store = enrol_station(tmp_path, gateway.gateway, gateway.url, station_id_for(231))
    for i in range(4):
        commit_apply(store, ssn_for(2310 + i), photo=PHOTO)
    _Counting.posts = _Counting.patches = 0
    report = SyncEngine(store, config=EngineConfig(lanes=1), client_factory=_Counting).run_once()
    assert report.ok and report.acked == 8
    assert (_Counting.patches, _Counting.posts) == (4, 2)
    _exactly_once(gateway, store, station_id_for(231))


def test_first_reconnect_after_a_drop_is_immediate_and_exactly_once(
    gateway: RunningGateway, tmp_path: Path
) -> None:
    """A drop in the middle of a photo: the lane reconnects without its pause (a pause of 20 s
    here would show), resumes the blob at the gateway's offset, and nothing is doubled."""
    sim = LinkSim("127.0.0.1", gateway.server.port).start()
    try:
        store = enrol_station(tmp_path, gateway.gateway, f"http://127.0.0.1:{sim.port}", station_id_for(232))
        for i in range(2):
            commit_apply(store, ssn_for(2320 + i), photo=PHOTO)
        config = EngineConfig(
            lanes=1, backoff=state.Backoff(base_s=0.01, cap_s=0.05), network_retries=3, retry_pause_s=20.0
        )
        sim.cut_after(PHOTO // 2)
        started = time.monotonic()
        report = SyncEngine(store, config=config).run_once()
        elapsed = time.monotonic() - started
        assert sim.drops == 1
        assert report.ok and report.acked == 4 and outbox.status(store).pending == 0
        assert elapsed < 10, elapsed
        _exactly_once(gateway, store, station_id_for(232))
    finally:
        sim.stop()


class _Sink:
    """A TCP server that counts the bytes it receives (the far end of the simulated link)."""

    def __init__(self) -> None:
        self.received = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                while data := conn.recv(65536):
                    self.received += len(data)


def test_link_counts_bytes_it_serialised_and_a_drop_loses_those_in_flight() -> None:
    """The simulator paces, then propagates: at a drop, bytes already serialised but still
    propagating were carried by the link (counted) and never arrive (lost), as on a real link."""
    sink = _Sink()
    # 10 KB/s, 2 s round trip: 4 KB take 0.4 s to serialise and arrive 1 s later
    sim = LinkSim("127.0.0.1", sink.port, kbps=80, rtt_ms=2000).start()
    try:
        with socket.create_connection(("127.0.0.1", sim.port)) as c:
            c.sendall(b"x" * 4096)
            time.sleep(0.8)  # all serialised, none arrived
            assert sim.bytes_up == 4096 and sink.received == 0
            sim.drop_all()
            time.sleep(1.0)
        assert sim.bytes_up == 4096 and sink.received == 0 and sim.drops == 1
        with socket.create_connection(("127.0.0.1", sim.port)) as c:
            c.sendall(b"y" * 2048)
            deadline = time.monotonic() + 5
            while sink.received < 2048 and time.monotonic() < deadline:
                time.sleep(0.05)
        assert sink.received == 2048 and sim.bytes_up == 4096 + 2048
    finally:
        sim.stop()
        sink.sock.close()


class _Recording(GatewayClient):
    """The real client, recording each call in order: ('post', n) or ('blob', id, resume)."""

    calls: ClassVar[list[tuple[object, ...]]] = []

    def upload_batch(self, entries):  # type: ignore[no-untyped-def]
        type(self).calls.append(("post", len(entries)))
        return super().upload_batch(entries)

    def upload_blob(self, entry, *, resume):  # type: ignore[no-untyped-def]
        type(self).calls.append(("blob", entry.envelope_id, resume))
        return super().upload_blob(entry, resume=resume)


def test_a_blob_never_reached_before_a_drop_is_sent_without_a_head(
    gateway: RunningGateway, tmp_path: Path
) -> None:
    """A drop cuts the first photo of a claim of two: the first resumes (HEAD, then the rest),
    the second — claimed twice, never sent — goes straight to PATCH, and nothing is doubled."""
    sim = LinkSim("127.0.0.1", gateway.server.port).start()
    try:
        store = enrol_station(tmp_path, gateway.gateway, f"http://127.0.0.1:{sim.port}", station_id_for(233))
        results = [commit_apply(store, ssn_for(2330 + i), photo=PHOTO) for i in range(2)]
        first, second = (r.envelope_ids[0] for r in results)  # the photo is committed first
        config = EngineConfig(lanes=1, backoff=state.Backoff(base_s=0.01, cap_s=0.05), retry_pause_s=0.0)
        _Recording.calls = []
        sim.cut_after(PHOTO // 2)
        report = SyncEngine(store, config=config, client_factory=_Recording).run_once()
        assert report.ok and report.acked == 4
        blobs = [c for c in _Recording.calls if c[0] == "blob"]
        assert blobs == [("blob", first, False), ("blob", first, True), ("blob", second, False)]
        _exactly_once(gateway, store, station_id_for(233))
    finally:
        sim.stop()


def test_odd_lanes_post_their_small_envelopes_before_their_blobs(
    gateway: RunningGateway, tmp_path: Path
) -> None:
    """Lanes start a claim in opposite orders, so two lanes do not wait for answers together."""
    store = enrol_station(tmp_path, gateway.gateway, gateway.url, station_id_for(234))
    for i in range(2):
        commit_apply(store, ssn_for(2340 + i), photo=PHOTO)
    engine = SyncEngine(store)
    batch = outbox.claim_batch(store, max_bytes=EngineConfig().batch_bytes)
    assert [e.kind for e in batch] == ["blob", "business", "blob", "business"]
    _Recording.calls = []
    client = _Recording(
        gateway.url, identity=load_identity(store), downlink_public_key=downlink_key(store).public_key
    )
    report = SyncReport()
    engine._send(client, batch, report, threading.Lock(), small_first=True)
    assert [c[0] for c in _Recording.calls] == ["post", "blob", "blob"]
    batch2 = [replace(e, attempts=0) for e in batch]
    _Recording.calls = []
    engine._send(client, batch2, report, threading.Lock(), small_first=False)  # answered as duplicates
    assert [c[0] for c in _Recording.calls] == ["blob", "blob", "post"]
    assert report.acked == 8 and report.duplicates == 4
    assert all(gateway.stored(e.envelope_id) == 1 for e in batch)
