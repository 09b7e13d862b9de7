"""Red-team findings against a station, attacked through the real `cardstation` process:
parallel wrong logins (R-SEC-2 lockout), trivial passwords, world-readable output files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from offline.store import Store
from tests.campaigns.cli_runner import cli_env, run_cli
from tests.helpers import one

SP = "43012100100100001"
ADMIN_PASSWORD = "tian-he-7-qiao"


def _env(root: Path, **extra: str) -> dict[str, str]:
    return cli_env(root / "logs", **extra)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=env)


@pytest.fixture
def station(tmp_path: Path) -> Path:
    db = tmp_path / "station.db"
    out = _cli(
        _env(tmp_path, CARDSTATION_ADMIN_PASSWORD=ADMIN_PASSWORD),
        *("--db", str(db), "init", "--province", "hunan", "--service-point", SP),
        *("--admin", "admin", "--admin-name", "欧阳娜娜"),
    )
    assert out.returncode == 0, out.stderr
    return db


def test_R_SEC_2_twenty_parallel_wrong_logins_verify_exactly_five(station: Path, tmp_path: Path) -> None:
    env = _env(tmp_path, CARDSTATION_PASSWORD="wrong-guess-41")
    argv = [
        sys.executable,
        "-m",
        "cardstation.cli",
        "--db",
        str(station),
        "operator",
        "list",
        "--as",
        "admin",
    ]
    procs = [
        subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(20)
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 1 for p in procs)
    assert all(b"Traceback" not in err for _o, err in outs)
    store = Store.open(station)  # encrypted (init): through the store's own connection factory
    verified = one(
        store,
        "SELECT COUNT(*) FROM audit WHERE action IN ('auth.failed', 'auth.locked') AND target = 'admin'",
    )[0]
    store.close()
    assert verified == 5  # each verified wrong password is audited once; the rest were refused unverified
    locked = sum("锁定" in err.decode() for _o, err in outs)
    assert locked >= 15
    # The right password is refused too now: the account is locked.
    right = _cli(
        _env(tmp_path, CARDSTATION_PASSWORD=ADMIN_PASSWORD),
        "--db",
        str(station),
        "operator",
        "list",
        "--as",
        "admin",
    )
    assert right.returncode == 1 and "锁定" in right.stderr


@pytest.mark.parametrize("password", ["12345678", "password", "        ", "qwertyui", "admin123"])
def test_R_SEC_2_common_and_trivial_passwords_are_refused_in_chinese(
    station: Path, tmp_path: Path, password: str
) -> None:
    env = _env(tmp_path, CARDSTATION_PASSWORD=ADMIN_PASSWORD, CARDSTATION_NEW_PASSWORD=password)
    out = _cli(
        env,
        "--db",
        str(station),
        "operator",
        "add",
        "wangxh",
        "--name",
        "王小红",
        "--role",
        "operator",
        "--as",
        "admin",
    )
    assert out.returncode == 1 and "太常见或太简单" in out.stderr and "Traceback" not in out.stderr
    fresh = _cli(
        _env(tmp_path, CARDSTATION_ADMIN_PASSWORD=password),
        *("--db", str(tmp_path / "other.db"), "init", "--province", "hunan", "--service-point", SP),
        *("--admin", "admin", "--admin-name", "欧阳娜娜"),
    )
    assert fresh.returncode == 1 and "太常见或太简单" in fresh.stderr
    ok = _cli(
        _env(tmp_path, CARDSTATION_PASSWORD=ADMIN_PASSWORD, CARDSTATION_NEW_PASSWORD="wang-qiao-58-lu"),
        *(
            "--db",
            str(station),
            "operator",
            "add",
            "wangxh",
            "--name",
            "王小红",
            "--role",
            "operator",
            "--as",
            "admin",
        ),
    )
    assert ok.returncode == 0, ok.stderr


def test_files_the_station_writes_are_owner_only(station: Path, tmp_path: Path) -> None:
    env = _env(tmp_path, CARDSTATION_PASSWORD=ADMIN_PASSWORD)
    old = os.umask(0o022)  # the usual shell umask; the station must not depend on it
    try:
        out_dir = tmp_path / "out"
        out_dir.mkdir()
        assert _cli(env, "apply", "--template", str(out_dir / "form.csv")).returncode == 0
        _cli(env, "--db", str(station), "sync", "--once")  # not enrolled: fails, logs nothing personal
    finally:
        os.umask(old)
    for path in [station, out_dir / "form.csv", *tmp_path.glob("logs/*")]:
        assert path.stat().st_mode & 0o077 == 0, (path, oct(path.stat().st_mode))
