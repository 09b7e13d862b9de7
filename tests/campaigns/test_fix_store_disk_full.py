"""Regression: a full disk surfaced as a raw sqlite3 "database or disk is full" (fault campaign).

`Store.write()` now rolls the whole transaction back and raises `StoreError('disk_full')` with a
Chinese message; nothing of the business is written (architecture.md: one business = one
transaction). `PRAGMA max_page_count` gives SQLITE_FULL without needing a small file system.
"""

from __future__ import annotations

import sqlite3

import pytest

from offline.errors import StoreError
from offline.store import MSG_DISK_FULL, Store


def _rows(store: Store) -> int:
    row = store.one("SELECT COUNT(*) FROM settings")
    assert row is not None
    return int(row[0])


def test_R_SEC_3_disk_full_in_write_is_a_chinese_store_error_and_writes_nothing(store: Store) -> None:
    pages = int(store.one("PRAGMA page_count")[0])  # type: ignore[index]
    store.connection().execute(f"PRAGMA max_page_count={pages + 2}")
    before = _rows(store)
    with pytest.raises(StoreError) as err, store.write() as conn:
        conn.execute("INSERT INTO settings(key, value) VALUES ('a', 'first row of the business')")
        for i in range(200):
            conn.execute("INSERT INTO settings(key, value) VALUES (?, ?)", (f"k{i}", "x" * 4000))
    assert err.value.code == "disk_full" and err.value.message_zh == MSG_DISK_FULL
    assert "磁盘空间不足" in str(err.value)
    assert isinstance(err.value.__cause__, sqlite3.OperationalError)
    assert not store.connection().in_transaction
    assert _rows(store) == before  # the first insert of the business was rolled back too
    with store.write() as conn:  # the store goes on working once there is room
        conn.execute("INSERT INTO settings(key, value) VALUES ('after', 'ok')")
    assert store.setting("after") == "ok"


def test_other_operational_errors_are_not_reported_as_disk_full(store: Store) -> None:
    with pytest.raises(sqlite3.OperationalError), store.write() as conn:
        conn.execute("INSERT INTO no_such_table VALUES (1)")
    assert not store.connection().in_transaction
