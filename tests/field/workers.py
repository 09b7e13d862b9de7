"""Process entry points for the field tests (importable by name, as multiprocessing 'spawn' needs)."""

from __future__ import annotations

import time
from typing import Any


def commit_contacts(db_path: str, role: str, card_id: int, count: int, start_at: float) -> dict[str, Any]:
    """Commit `count` real businesses (stock.record_contact, R-ISS-2) on the store at `db_path`.

    Runs in its own process with its own Store; returns what happened instead of raising, so the
    parent can assert that no error (e.g. "database is locked") surfaced at all.
    """
    from offline.business import Operator, ServiceContext
    from offline.profiles import load_profile
    from offline.services.stock import record_contact
    from offline.station import station_info
    from offline.store import Store
    from sync.testing import fresh_keys

    store = Store.open(db_path)
    info = station_info(store)
    assert info is not None
    row = store.one("SELECT id, username, real_name FROM operators WHERE role = ? LIMIT 1", (role,))
    assert row is not None
    ctx = ServiceContext(
        store=store,
        operator=Operator(int(row["id"]), str(row["username"]), str(row["real_name"]), role),
        sealer=fresh_keys(info.station_id).sealer(),
        station_id=info.station_id,
        service_point=info.service_point,
        terminal=info.terminal,
        profile=load_profile("hunan"),
    )
    while time.time() < start_at:  # both processes start together
        time.sleep(0.001)
    errors: list[str] = []
    receipts: list[str] = []
    t0, began = time.perf_counter(), time.time()
    slowest = 0.0
    for _ in range(count):
        t = time.perf_counter()
        try:
            receipts.append(record_contact(ctx, card_id, "phone").receipt_no)
        except Exception as exc:  # collected, asserted empty by the test
            errors.append(f"{type(exc).__name__}: {exc}")
        slowest = max(slowest, time.perf_counter() - t)
    seconds = time.perf_counter() - t0
    store.close()
    return {
        "errors": errors,
        "receipts": receipts,
        "seconds": seconds,
        "began": began,
        "ended": time.time(),
        "slowest": slowest,
    }
