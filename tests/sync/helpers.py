"""Shared helpers of the sync tests: a real gateway on a free port, enrolled station stores."""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn

from offline.business import Blob, BusinessResult, Operator, ServiceContext, commit_business
from offline.profiles import load_profile
from offline.store import Store
from sync import keys
from sync.gateway.app import Gateway, GatewayConfig
from sync.keys import sealer_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Clock:
    """A gateway clock tests can move."""

    def __init__(self) -> None:
        self.offset_s = 0.0

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(time.time() + self.offset_s, UTC)


class ServerThread:
    """uvicorn serving an ASGI app in a daemon thread on 127.0.0.1."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="error", access_log=False, lifespan="off"
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("gateway did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def kek_env(kek_path: Path | None) -> dict[str, str]:
    """Environment naming a PostgreSQL gateway's key file (`<kek_path>.kek`) for a CLI on its store.

    A `cardstation gateway ...` action on a `postgresql://` store finds the key-encryption key
    through $CARDSTATION_GATEWAY_KEK_FILE; without it, it would use the user's default file and
    fail to unwrap this gateway's keys. SQLite (None): the key sits beside the file, nothing needed.
    """
    from sync.gateway.kek import ENV_FILE

    return {} if kek_path is None else {ENV_FILE: str(kek_path.with_name(kek_path.name + ".kek"))}


@dataclass
class RunningGateway:
    gateway: Gateway
    server: ServerThread
    clock: Clock

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def env(self) -> dict[str, str]:
        """For a CLI subprocess (or monkeypatch.setenv) on this gateway's store: see `kek_env`."""
        return kek_env(self.gateway.config.kek_path)

    def stats(self) -> dict[str, int]:
        return self.gateway.db.event_totals()

    def stored(self, envelope_id: str) -> int:
        row = self.gateway.db.one("SELECT COUNT(*) AS n FROM envelopes WHERE envelope_id = ?", (envelope_id,))
        return int(row["n"]) if row else 0


def start_gateway(
    path: Path | str, *, production_days: float = 0.0, kek_path: Path | None = None
) -> RunningGateway:
    """A gateway over the SQLite file `path`, or over a `postgresql://` URL (its key file: `kek_path`)."""
    clock = Clock()
    gw = Gateway(GatewayConfig(path, production_days=production_days, clock=clock, kek_path=kek_path))
    return RunningGateway(gw, ServerThread(gw.app).start(), clock)


_SEQ = {"n": 0}


def station_id_for(n: int) -> str:
    return f"42010200100{n:03d}00101"


def enrol_station(dir_: Path, gw: Gateway, url: str, station_id: str) -> Store:
    """A station store enrolled directly (registration by administrator; the token flow has its own test)."""
    store = Store.open(dir_ / "station.db")
    priv, pub, _kid = keys.new_station_key()
    bundle = gw.keyring.register(station_id, pub, gw.now())
    keys.pin_bundle(store, bundle)
    keys.save_identity(store, station_id=station_id, private_key=priv, url=url)
    return store


def operator(store: Store) -> Operator:
    row = store.one("SELECT id FROM operators WHERE username = 'op1'")
    if row is None:
        with store.write() as conn:
            cur = conn.execute(
                "INSERT INTO operators(username, real_name, role, password_hash, created_at)"
                " VALUES ('op1', '王小红', 'operator', 'x', ?)",
                (datetime.now().astimezone().isoformat(),),
            )
        return Operator(int(cur.lastrowid or 0), "op1", "王小红", "operator")
    return Operator(int(row["id"]), "op1", "王小红", "operator")


def ssn_for(n: int) -> str:
    return f"420102199001{n:05d}X"[-18:]


def commit_apply(store: Store, ssn: str, *, photo: int = 0, item: str = "apply") -> BusinessResult:
    """One real business through commit_business, sealed by the station's real sealer."""
    sid = store.setting("station_id") or ""
    ctx = ServiceContext(
        store=store,
        operator=operator(store),
        sealer=sealer_for(store),
        station_id=sid,
        service_point=sid[:17],
        profile=load_profile("hubei"),
    )
    blobs = (Blob("photo", os.urandom(photo)),) if photo else ()
    with store.write() as conn:
        return commit_business(
            ctx,
            conn,
            item=item,
            summary="申领",
            details={"ssn": ssn, "bank": "工商银行", "name": "张三"},
            blobs=blobs,
        )
