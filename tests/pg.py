"""A throwaway PostgreSQL cluster for tests and benchmarks, from Debian's `postgresql` package.

Why a real server and not a mock: the gateway's exactly-once promise rests on PostgreSQL's
constraints and transactions, which only the real engine can show. The cluster lives in a
fresh temporary folder (`initdb`), listens on a free port on 127.0.0.1 and on a unix socket
in that folder, runs as an unprivileged user (PostgreSQL refuses to run as root: as root we
create the system user `cardstation-pg` once and start every binary through `runuser`), and
is stopped and removed at teardown.

Use the session fixture `postgres_dsn` (registered once in tests/conftest.py: importing it into
a module again would give that module a cluster of its own), or `PgCluster` directly when a
test must watch the server start and stop. With CI=true a missing `postgresql` package is a
failure, never a skip: the server is part of what CI proves.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_USER = "cardstation-pg"


class PgUnavailable(RuntimeError):
    """The `postgresql` package is not installed (or the cluster could not be started)."""


def pg_bindir() -> Path:
    """The newest /usr/lib/postgresql/<major>/bin holding initdb and pg_ctl."""
    found = [
        Path(d)
        for d in glob.glob("/usr/lib/postgresql/*/bin")
        if (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists()
    ]
    if not found:
        raise PgUnavailable("no initdb/pg_ctl under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    return max(found, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ensure_user() -> pwd.struct_passwd:
    """As root: the unprivileged system user the server runs as (created on first use)."""
    try:
        return pwd.getpwnam(PG_USER)
    except KeyError:
        pass
    try:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(PG_USER)
    except (OSError, subprocess.CalledProcessError, KeyError) as exc:
        raise PgUnavailable(f"cannot create the unprivileged user {PG_USER}: {exc}") from exc


class PgCluster:
    """One cluster: `start()` returns its DSN, `stop()` stops it and deletes its folder.

    `durable=False` (tests) turns fsync off: a test cluster dies with the test, and fsync
    would only make the suite slower. Benchmarks pass `durable=True` to measure what a
    province would run.
    """

    def __init__(self, *, durable: bool = False) -> None:
        self.bindir = pg_bindir()
        self.durable = durable
        self._as_root = os.geteuid() == 0
        user = _ensure_user() if self._as_root else None
        # As root the server user must be able to reach its folder: /tmp, not a root-only TMPDIR.
        self.root = Path(tempfile.mkdtemp(prefix="cardstation-pg-", dir="/tmp" if self._as_root else None))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        if user is not None:
            os.chown(self.root, user.pw_uid, user.pw_gid)
        os.chmod(self.root, 0o700)

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        cmd = list(argv)
        if self._as_root:
            cmd = ["runuser", "-u", PG_USER, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=self.root)

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def socket_dsn(self) -> str:
        """The same server through its unix socket in the cluster folder."""
        return f"postgresql://postgres@/postgres?host={self.root}&port={self.port}"

    def pid(self) -> int | None:
        """The postmaster's pid while it runs (first line of postmaster.pid)."""
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def start(self) -> str:
        init = self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        if init.returncode != 0:
            raise PgUnavailable(f"initdb failed: {init.stderr.strip()[-400:]}")
        options = f"-c listen_addresses=127.0.0.1 -k {self.root} -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        last = ""
        for _ in range(3):  # the free port can be taken between probing and binding: try another
            self.port = _free_port()
            started = self._run(
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {self.port} {options}",
                "start",
            )
            if started.returncode == 0:
                return self.dsn
            last = started.stderr.strip() + self._log_tail()
        raise PgUnavailable(f"pg_ctl start failed: {last[-600:]}")

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-400:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.pid() is not None:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _required() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def start_or_skip(*, durable: bool = False) -> PgCluster:
    """A started cluster; without PostgreSQL: skip, or fail under CI=true."""
    try:
        cluster = PgCluster(durable=durable)
    except PgUnavailable as exc:
        if _required():
            pytest.fail(f"PostgreSQL required under CI: {exc}")
        pytest.skip(str(exc))
    try:
        cluster.start()
    except PgUnavailable as exc:
        cluster.stop()
        pytest.fail(str(exc))  # installed but broken is a defect, CI or not
    return cluster


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """`postgresql://` DSN of a cluster started once for the session and stopped at its end."""
    cluster = start_or_skip()
    try:
        yield cluster.dsn
    finally:
        cluster.stop()


def wait_gone(pid: int, timeout_s: float = 10.0) -> bool:
    """True once process `pid` no longer exists (or is a zombie)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def fresh_database(dsn: str) -> str:
    """A new empty database on the cluster of `dsn` (one per gateway under test): its DSN."""
    import secrets

    import psycopg

    name = "gw_" + secrets.token_hex(6)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return dsn.rsplit("/", 1)[0] + "/" + name
