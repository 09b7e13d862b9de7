"""Refused-frame allowance shared by every worker (sync/gateway/limits.py, SharedRateLimiter).

With N PostgreSQL workers a per-process limiter granted a client N times its allowance. Here two
gateways over one database, and then `cardstation gateway serve --workers 2`, together grant
exactly 100 refused frames per window; a SQLite gateway keeps its in-memory bucket.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sync.gateway.db import GatewayDB
from sync.gateway.limits import RateLimiter, SharedRateLimiter
from tests.pg import fresh_database
from tests.sync.helpers import RunningGateway, free_port

FRAME = struct.Struct(">I")
ALLOWANCE = 100
GARBAGE = FRAME.pack(12) + b"hello world!"  # a cleartext frame: refused, counted


def wait_for_a_fresh_window(window_s: float = 100.0, margin_s: float = 40.0) -> None:
    """Start well inside a window, so the whole test counts in one."""
    left = window_s - time.time() % window_s
    if left < margin_s:
        time.sleep(left + 0.5)


def spend(urls: list[str], requests: int, frames: int) -> tuple[int, int]:
    """`requests` POSTs of `frames` garbage frames, each on a new connection, round the `urls`.

    (frames refused within the allowance, 429 answers). A 429 answer carries the one frame it
    refused past the allowance, hence the subtraction.
    """
    granted, limited = 0, 0
    for i in range(requests):
        r = httpx.post(f"{urls[i % len(urls)]}/v1/envelopes", content=GARBAGE * frames, timeout=60)
        assert r.status_code in (200, 429), r.text
        results = len(r.json()["results"])
        if r.status_code == 429:
            limited += 1
            granted += results - 1
        else:
            granted += results
    return granted, limited


def test_two_gateways_over_one_database_grant_one_allowance(
    two_workers: tuple[RunningGateway, RunningGateway],
) -> None:
    first, second = two_workers
    assert isinstance(first.gateway.refused, SharedRateLimiter)
    wait_for_a_fresh_window()
    granted, limited = spend([first.url, second.url], requests=8, frames=30)
    assert granted == ALLOWANCE  # a per-process bucket would have let both grant 100 (240 here)
    assert limited == 8 - 3  # 30 + 30 + 30 + 10: the 4th request meets the limit, and all after it
    row = first.gateway.db.one("SELECT SUM(n) AS n FROM rate_windows")
    assert int(row["n"]) == ALLOWANCE + limited


def test_serve_with_two_workers_shares_the_allowance(postgres_dsn: str, tmp_path: Path) -> None:
    database = fresh_database(postgres_dsn)
    port = free_port()
    cli = [sys.executable, "-m", "cardstation.cli", "gateway", "serve", "--database", database]
    sup = subprocess.Popen(
        [*cli, "--kek", str(tmp_path / "gw.kek"), "--workers", "2", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                httpx.get(f"{url}/v1/ping", timeout=1)
                break
            except httpx.HTTPError:
                assert time.time() < deadline and sup.poll() is None, "gateway workers did not start"
                time.sleep(0.2)
        wait_for_a_fresh_window()
        granted, limited = spend([url], requests=40, frames=10)
        assert granted == ALLOWANCE, (granted, limited)
        assert limited == 40 - 10
    finally:
        sup.terminate()
        sup.wait(30)


def test_the_shared_window_rolls_over_and_forgets_old_windows(tmp_path: Path) -> None:
    now = [1_000_000.0]
    db = GatewayDB(tmp_path / "gw.db")
    limiter = SharedRateLimiter(db, burst=3, per_second=0.1, clock=lambda: now[0])  # 3 per 30 s
    assert [limiter.allow("1.2.3.4") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("5.6.7.8")  # another client has its own count
    now[0] += 30
    assert limiter.allow("1.2.3.4")  # a new window
    now[0] += 60
    assert limiter.allow("1.2.3.4")
    windows = {int(r["win"]) for r in db.query("SELECT win FROM rate_windows")}
    assert windows == {limiter.window()}  # three windows on: the ones before the last are deleted
    db.close()


def test_a_sqlite_gateway_keeps_its_bucket_in_memory(tmp_path: Path) -> None:
    from sync.gateway.app import create_app

    gw = create_app(tmp_path / "gw.db")
    assert isinstance(gw.refused, RateLimiter)
    gw.db.close()


@pytest.mark.parametrize("who", ["127.0.0.1", ""])
def test_the_shared_limiter_counts_any_client_key(tmp_path: Path, who: str) -> None:
    db = GatewayDB(tmp_path / "gw.db")
    limiter = SharedRateLimiter(db, burst=2, per_second=1.0, clock=lambda: 50.0)
    assert [limiter.allow(who) for _ in range(3)] == [True, True, False]
    db.close()
