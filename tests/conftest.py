"""Fixtures shared by every test package: a real store file, an operator, a service context.

Per-area fixtures live in tests/<area>/conftest.py.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from offline.business import Operator, ServiceContext
from offline.protocols import EnvelopeHeader, Sealer
from offline.store import Store
from tests.pg import postgres_dsn  # noqa: F401 (fixture)

# `postgres_dsn` (tests/pg.py) is registered here, once: a session fixture imported into several
# modules is one fixture per module to pytest, and each would start its own PostgreSQL cluster.
# Modules take it (or `backend`, tests/sync/backends.py) without importing it.

# The data-at-rest key file of every store the tests encrypt (`cardstation init`, the demo):
# one per test run, never the developer's own (~/.config/cardstation/store.key). Subprocesses
# inherit it.
os.environ.setdefault(
    "CARDSTATION_KEY_FILE", str(Path(tempfile.mkdtemp(prefix="cardstation-key-")) / "store.key")
)

SERVICE_POINT = "420102001000010"[:9] + "00100" + "001"  # region 420102001 + institution 00100 + serial 001
STATION_ID = SERVICE_POINT + "01"


class RecordingSealer:
    """Records what it sealed; with `inner` (the `sealer` fixture) it seals for real through it.

    Without `inner` it returns a recognisable fake envelope (kept for callers that want no crypto).
    """

    def __init__(self, inner: Sealer | None = None) -> None:
        self.sealed: list[tuple[EnvelopeHeader, bytes]] = []
        self.inner = inner
        self.keys: Any = None  # sync.testing.TestKeys when sealing for real: `.keys.open(envelope)`

    def seal(self, header: EnvelopeHeader, payload: bytes, *, compress: bool = True) -> bytes:
        self.sealed.append((header, payload))
        if self.inner is not None:
            return self.inner.seal(header, payload, compress=compress)
        return b"TEST" + header.envelope_id.encode() + payload


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "station.db")
    yield s
    s.close()


def add_operator(
    store: Store, username: str = "op1", role: str = "operator", real_name: str = "王小红"
) -> Operator:
    with store.write() as conn:
        cur = conn.execute(
            "INSERT INTO operators(username, real_name, role, password_hash, created_at) VALUES (?, ?, ?, 'x', ?)",
            (username, real_name, role, datetime.now().astimezone().isoformat(timespec="seconds")),
        )
    return Operator(int(cur.lastrowid or 0), username, real_name, role)


@pytest.fixture
def sealer() -> RecordingSealer:
    """A real StationSealer (HPKE + Ed25519, fresh test keys) that also records what it sealed."""
    from sync.testing import fresh_keys

    keys = fresh_keys(STATION_ID)
    recording = RecordingSealer(keys.sealer())
    recording.keys = keys
    return recording


@pytest.fixture
def ctx(store: Store, sealer: RecordingSealer) -> ServiceContext:
    op = add_operator(store)
    from offline.profiles import load_profile

    return ServiceContext(
        store=store,
        operator=op,
        sealer=sealer,
        station_id=STATION_ID,
        service_point=SERVICE_POINT,
        profile=load_profile("hunan"),
    )
