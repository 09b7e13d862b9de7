"""Fixtures shared by every test package: a real store file, an operator, a service context.

Per-area fixtures live in tests/<area>/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from offline.business import Operator, ServiceContext
from offline.protocols import EnvelopeHeader
from offline.store import Store

SERVICE_POINT = "420102001000010"[:9] + "00100" + "001"  # region 420102001 + institution 00100 + serial 001
STATION_ID = SERVICE_POINT + "01"


class RecordingSealer:
    """Unit-test sealer: records what it sealed. Integration tests use sync's real sealer."""

    def __init__(self) -> None:
        self.sealed: list[tuple[EnvelopeHeader, bytes]] = []

    def seal(self, header: EnvelopeHeader, payload: bytes, *, compress: bool = True) -> bytes:
        self.sealed.append((header, payload))
        return b"TEST" + header.envelope_id.encode() + payload


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "station.db")
    yield s
    s.close()


def add_operator(store: Store, username: str = "op1", role: str = "operator", real_name: str = "王小红") -> Operator:
    with store.write() as conn:
        cur = conn.execute(
            "INSERT INTO operators(username, real_name, role, password_hash, created_at) VALUES (?, ?, ?, 'x', ?)",
            (username, real_name, role, datetime.now().astimezone().isoformat(timespec="seconds")),
        )
    return Operator(int(cur.lastrowid or 0), username, real_name, role)


@pytest.fixture
def sealer() -> RecordingSealer:
    return RecordingSealer()


@pytest.fixture
def ctx(store: Store, sealer: RecordingSealer) -> ServiceContext:
    op = add_operator(store)
    from offline.profiles import load_profile

    return ServiceContext(store=store, operator=op, sealer=sealer, station_id=STATION_ID,
                          service_point=SERVICE_POINT, profile=load_profile("hunan"))
