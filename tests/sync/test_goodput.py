"""What keeps the station's goodput on a 64 kbit/s link with drops (docs/benchmarks.md "Sync"):
few header bytes per request, a photo and its business envelope in one claim (one POST for the
business envelopes of two applications), and the first reconnect after a drop at once — with
exactly-once kept across the drops."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx

from offline import outbox
from sync import state
from sync.client import GatewayClient
from sync.engine import EngineConfig, SyncEngine
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
