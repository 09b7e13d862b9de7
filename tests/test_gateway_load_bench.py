"""bench/gateway_load.py stays runnable: a tiny load against a real gateway process holds exactly-once.

The benchmark is not part of the test run at size; this keeps it from rotting between runs and
proves its exactly-once check can tell a correct gateway (it must find every envelope once),
on both storage engines (PostgreSQL: the session's cluster, not a durable one of its own).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from tests.pg import fresh_database
from tests.sync.backends import Backend, backend  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[1]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gateway_load", ROOT / "bench" / "gateway_load.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["gateway_load"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_small_load_is_exactly_once(tmp_path: Path, backend: Backend) -> None:  # noqa: F811
    """SQLite: one gateway process. PostgreSQL: two workers on a fresh database of the session cluster."""
    bench = _bench()
    if backend.name == "sqlite":
        r = bench.run(stations=3, per_station=2, concurrency=3, photo=20_000, work=tmp_path)
    else:
        dsn = fresh_database(backend.dsn)
        r = bench.run(
            stations=3,
            per_station=2,
            concurrency=3,
            photo=20_000,
            work=tmp_path,
            backend="postgresql",
            workers=2,
            dsn=dsn,
        )
        assert r["workers"] == 2 and r["backend"].startswith("postgresql")
    assert r["exactly_once"] is True
    assert r["problems"] == []
    assert r["envelopes"] == r["gateway_envelopes"] == 12
    assert r["sealed_photo_bytes"] > 20_000  # the photo really travelled sealed
    assert r["db_bytes_per_application"] > 2 * 20_000  # stored sealed and opened
    assert r["gateway_cpu_s"] >= 0 and r["gateway_peak_rss_mb"] > 10
