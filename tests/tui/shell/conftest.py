"""Fixtures for the shell's tests: a real store file with operators, and AppServices around it.

Everything is deterministic for snapshots: a fixed clock, fixed operator names, the Hunan
profile, and a recording sealer (the shell never opens envelopes).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from offline.business import Operator
from offline.protocols import EnvelopeHeader
from offline.store import Store
from tui.config import Config
from tui.context import AppServices, DemoAccount, StationInfo

SERVICE_POINT = "430121001" + "00100" + "001"
STATION_ID = SERVICE_POINT + "01"
FIXED_NOW = datetime(2025, 3, 12, 9, 30, tzinfo=timezone(timedelta(hours=8)))
PASSWORD = "station-pass-1"


class FakeSealer:
    """Seals nothing: returns a recognisable envelope (the shell tests do not open envelopes)."""

    def seal(self, header: EnvelopeHeader, payload: bytes, *, compress: bool = True) -> bytes:
        return b"TEST" + header.envelope_id.encode() + payload


def make_operator(
    store: Store, username: str, real_name: str, role: str = "operator", password: str = PASSWORD
) -> Operator:
    from offline.operators import insert_operator

    with store.write() as conn:
        return insert_operator(
            conn,
            username=username,
            real_name=real_name,
            role=role,
            password=password,
            now=FIXED_NOW,
            by_id=None,
        )


@pytest.fixture
def shell_store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "station.db")
    make_operator(s, "wangxh", "王小红")
    make_operator(s, "ouyang", "欧阳娜娜", role="supervisor")
    yield s
    s.close()


def build_services(store: Store, **overrides: object) -> AppServices:
    from offline.profiles import load_profile

    values: dict[str, object] = dict(
        store=store,
        station=StationInfo(
            province="hunan",
            service_point=SERVICE_POINT,
            terminal="01",
            station_id=STATION_ID,
            initialised_at=FIXED_NOW.isoformat(),
        ),
        profile=load_profile("hunan"),
        sealer=FakeSealer(),
        card_provider=None,
        sync_engine=None,
        reader_label="",
        demo=False,
        now=lambda: FIXED_NOW,
        origin="tty1",
    )
    values.update(overrides)
    return AppServices(**values)  # type: ignore[arg-type]


@pytest.fixture
def services(shell_store: Store) -> AppServices:
    return build_services(shell_store)


@pytest.fixture
def demo_services(shell_store: Store) -> AppServices:
    return build_services(
        shell_store,
        demo=True,
        reader_label="模拟读卡器 测试密钥",
        demo_accounts=(
            DemoAccount("wangxh", PASSWORD, "王小红", "operator"),
            DemoAccount("ouyang", PASSWORD, "欧阳娜娜", "supervisor"),
        ),
    )


@pytest.fixture
def config() -> Config:
    return Config()
