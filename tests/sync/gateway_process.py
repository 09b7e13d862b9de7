"""The reference gateway as a real `cardstation gateway serve` process (attack tests).

The attacks of the red-team pass went at a running gateway over the network, so these tests
do too: the process is the one an operator starts, its RSS is read from /proc, and the test
side touches its database only to register stations (as `gateway register-station` would).
The store is either engine (`GatewayTarget`: a SQLite file, or a PostgreSQL URL with its key file).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from offline.store import Store
from sync import keys
from sync.gateway.app import create_app
from tests.sync.backends import GatewayTarget
from tests.sync.helpers import free_port

ADMIN_TOKEN = "admin-token-for-tests"


class GatewayProcess:
    def __init__(self, target: GatewayTarget, *extra: str) -> None:
        self.target = target
        self.db = target.db
        self.port = free_port()
        env = {**os.environ, **target.env, "CARDSTATION_GATEWAY_ADMIN_TOKEN": ADMIN_TOKEN}
        argv = ["gateway", "serve", "--db", str(self.db), "--port", str(self.port), "--demo", *extra]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cardstation.cli", *argv],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.time() + 20
        while True:
            try:
                httpx.get(f"{self.url}/v1/ping", timeout=1)
                break
            except httpx.HTTPError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("gateway process did not start") from None
                time.sleep(0.1)
        # same database and key file: registration as an administrator would
        self.gw = create_app(self.db, kek_path=target.kek)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_peak_kb(self) -> int:
        """VmHWM: the highest resident set size the process ever had."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM")

    def station(self, dir_: Path, station_id: str, *, suite: int | None = None) -> Store:
        """A station store enrolled through the real token flow against this process.

        `suite` None: the suite of the station's profile (1 for a store without a station row)."""
        from sync.enrol import enrol

        dir_.mkdir(parents=True, exist_ok=True)
        store = Store.open(dir_ / "station.db")
        with store.write() as conn:
            store.set_setting(conn, keys.S_STATION_ID, station_id)
        enrol(store, self.url, self.gw.keyring.issue_token(station_id, self.gw.now()), suite=suite)
        return store

    def stop(self) -> None:
        self.gw.db.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
