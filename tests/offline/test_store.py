"""The store's promises: WAL, FULL sync, version refusal, idempotent migrations, concurrent writers."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from offline import audit
from offline.errors import StoreError
from offline.store import Store, migrations, schema_version

ROOT = Path(__file__).parents[2]


def test_wal_and_full_sync_on_every_connection(store: Store) -> None:
    seen: list[tuple[str, int]] = []

    def probe() -> None:
        conn = store.connection()
        seen.append(
            (
                conn.execute("PRAGMA journal_mode").fetchone()[0],
                conn.execute("PRAGMA synchronous").fetchone()[0],
            )
        )
        store.close()

    probe()
    t = threading.Thread(target=probe)
    t.start()
    t.join()
    assert seen == [("wal", 2), ("wal", 2)]  # 2 = FULL


def test_refuses_a_newer_schema_in_chinese(tmp_path: Path) -> None:
    s = Store.open(tmp_path / "s.db")
    s.connection().execute(f"PRAGMA user_version={schema_version() + 1}")
    s.close()
    for migrate in (True, False):
        with pytest.raises(StoreError) as err:
            Store.open(tmp_path / "s.db", migrate=migrate)
        assert err.value.code == "schema_newer" and "请升级 cardstation" in err.value.message_zh


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    s = Store.open(tmp_path / "s.db")
    assert s.user_version() == schema_version() == migrations()[-1][0]
    tables = {r[0] for r in s.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"operators", "sessions", "drafts", "audit", "login_failures"} <= tables
    assert s.migrate() == 0
    s.close()
    again = Store.open(tmp_path / "s.db")
    assert again.migrate() == 0 and again.user_version() == schema_version()
    assert again.integrity_ok()
    again.close()


def test_write_nests_and_rolls_back_as_one(store: Store) -> None:
    with pytest.raises(RuntimeError), store.write() as outer:
        store.set_setting(outer, "a", "1")
        with store.write() as inner:
            store.set_setting(inner, "b", "2")
        raise RuntimeError("boom")
    assert store.setting("a") is None and store.setting("b") is None
    with store.write() as outer:
        store.set_setting(outer, "a", "1")
        with store.write() as inner:
            store.set_setting(inner, "b", "2")
    assert (store.setting("a"), store.setting("b")) == ("1", "2")


def test_two_threads_write_without_database_is_locked(store: Store) -> None:
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for i in range(200):
                with store.write() as conn:  # read-then-write: fails under deferred transactions
                    audit.append(
                        conn, at="2026-03-02T09:00:00+08:00", operator_id=None, action=name, target=str(i)
                    )
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=writer, args=(f"t{n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = audit.verify(store.connection())
    assert report.ok and report.entries == 400


WRITER = """
import sys
from offline import audit
from offline.store import Store
s = Store.open(sys.argv[1])
for i in range(200):
    with s.write() as conn:
        audit.append(conn, at="2026-03-02T09:00:00+08:00", operator_id=None, action=sys.argv[2], target=str(i))
s.close()
"""


def test_two_processes_write_without_database_is_locked(store: Store) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(store.path), f"p{n}"],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    for p in procs:
        if p.stderr:
            p.stderr.close()
    assert results == [(0, ""), (0, "")]
    report = audit.verify(store.connection())
    assert report.ok and report.entries == 400
    counts = {r[0]: r[1] for r in store.query("SELECT action, COUNT(*) FROM audit GROUP BY action")}
    assert counts == {"p0": 200, "p1": 200}
