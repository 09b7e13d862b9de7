"""The throwaway PostgreSQL of the tests (tests/pg.py) really starts, serves, and goes away.

The gateway's PostgreSQL backend will be tested against this cluster, so the cluster itself
must be proven real: a server process of an unprivileged user, on 127.0.0.1 and on a unix
socket in its own folder, which answers SQL and is gone (process, port, folder) after stop.
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from tests.pg import PG_USER, start_or_skip, wait_gone


def _uid_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError("no Uid line")


@pytest.mark.parametrize("durable", [False, True])
def test_cluster_starts_answers_sql_and_is_torn_down(durable: bool) -> None:
    cluster = start_or_skip(durable=durable)
    root, port = cluster.root, cluster.port
    try:
        pid = cluster.pid()
        assert pid is not None and Path(f"/proc/{pid}").exists()
        if os.geteuid() == 0:
            import pwd

            assert _uid_of(pid) == pwd.getpwnam(PG_USER).pw_uid  # never root
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (id integer PRIMARY KEY, v text NOT NULL)")
            conn.execute("INSERT INTO t VALUES (1, '一'), (2, '二')")
            assert conn.execute("SELECT v FROM t ORDER BY id").fetchall() == [("一",), ("二",)]
            with pytest.raises(psycopg.errors.UniqueViolation):
                conn.execute("INSERT INTO t VALUES (1, 'again')")
            row = conn.execute("SHOW data_directory").fetchone()
            assert row is not None and Path(row[0]) == cluster.data
            assert conn.execute("SHOW fsync").fetchone() == ("on" if durable else "off",)
        with psycopg.connect(cluster.socket_dsn) as conn:  # the unix socket in the cluster folder
            assert conn.execute("SELECT count(*) FROM t").fetchone() == (2,)
    finally:
        cluster.stop()
    assert wait_gone(pid)
    assert not root.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=3)


def test_session_cluster_dsn(postgres_dsn: str) -> None:
    assert postgres_dsn.startswith("postgresql://postgres@127.0.0.1:")
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS session_probe (n integer)")
        conn.execute("INSERT INTO session_probe VALUES (7)")
        assert conn.execute("SELECT sum(n) FROM session_probe").fetchone() == (7,)
        assert conn.execute("SELECT current_user").fetchone() == ("postgres",)


def test_missing_postgresql_fails_under_ci_and_skips_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("glob.glob", lambda pattern: [])  # tests.pg looks the binaries up with glob
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL required under CI"):
        start_or_skip()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="apt-get install postgresql"):
        start_or_skip()
