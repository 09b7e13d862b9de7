"""Fixtures for the business-screen tests (helpers live in screenkit.py next to this file)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from screenkit import FIXED_NOW, PASSWORD, SERVICE_POINT, Reader, Station, make_test_app

from offline.store import Store


@pytest.fixture
def station(tmp_path: Path, sealer: Any) -> Iterator[Station]:
    from offline.operators import insert_operator
    from offline.profiles import load_profile
    from offline.station import init_station

    store = Store.open(tmp_path / "station.db")
    info = init_station(
        store,
        province="hunan",
        service_point=SERVICE_POINT,
        admin_username="admin",
        admin_real_name="管理员",
        admin_password=PASSWORD,
        now=FIXED_NOW,
    )
    with store.write() as conn:
        op = insert_operator(
            conn,
            username="wangxh",
            real_name="王小红",
            role="operator",
            password=PASSWORD,
            now=FIXED_NOW,
            by_id=None,
        )
    yield Station(store, info, op, load_profile("hunan"), sealer, Reader(), lambda: FIXED_NOW)
    store.close()


@pytest.fixture
def app_factory(station: Station) -> Callable[..., Any]:
    return lambda **overrides: make_test_app(station, **overrides)
