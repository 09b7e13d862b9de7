"""Fixtures for the business-screen tests (helpers live in screenkit.py next to this file).

The initialised station store is built once per session (station init and two operators cost
two argon2 hashes) and copied per test: each test still gets its own real SQLite file.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from screenkit import FIXED_NOW, PASSWORD, SERVICE_POINT, Reader, Station, make_test_app

from offline.store import Store


@pytest.fixture(scope="session")
def station_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, Any]:
    """An initialised Hunan station with the operator 王小红, closed (WAL checkpointed)."""
    from offline.operators import insert_operator
    from offline.station import init_station

    path = tmp_path_factory.mktemp("template") / "station.db"
    store = Store.open(path)
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
    store.close()
    return path, info, op


@pytest.fixture
def station(tmp_path: Path, sealer: Any, station_template: tuple[Path, Any, Any]) -> Iterator[Station]:
    from offline.profiles import load_profile

    template, info, op = station_template
    shutil.copyfile(template, tmp_path / "station.db")
    store = Store.open(tmp_path / "station.db")
    yield Station(store, info, op, load_profile("hunan"), sealer, Reader(), lambda: FIXED_NOW)
    store.close()


@pytest.fixture
def app_factory(station: Station) -> Callable[..., Any]:
    return lambda **overrides: make_test_app(station, **overrides)
