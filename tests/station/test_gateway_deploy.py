"""docs/gateway-deploy.md run as written against a real PostgreSQL: the database block, then the
unit's own command lines (ExecStartPre migrate, ExecStart serve with two workers, its settings
from deploy/gateway/gateway.env), then a station registered, enrolled and synced through it, and
SIGTERM stopping every worker. The unit itself passes `systemd-analyze verify`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import PgCluster, pg_bindir, start_or_skip, wait_gone
from tests.station.test_sneakernet import apply_rows, init_and_enrol, outbox_states, run

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "gateway"
UNIT = DEPLOY / "cardstation-gateway.service"
PROD_VENV = "/opt/cardstation/venv"
pytestmark = pytest.mark.timeout(300)


def _directives(unit: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in unit.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def _env_file() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in (DEPLOY / "gateway.env").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    return {k: v for k, v in pairs}


def _expand(command: str, env: dict[str, str]) -> list[str]:
    """systemd's ${VAR} expansion of an Exec line, with the program from this venv."""
    line = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], command)
    argv = shlex.split(line)
    assert argv[0] == f"{PROD_VENV}/bin/cardstation"
    return [sys.executable, "-m", "cardstation.cli", *argv[1:]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    c = start_or_skip()
    yield c
    c.stop()


def test_the_gateway_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing (dev.sh installs systemd)")
        pytest.skip("systemd-analyze is not installed")
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text(encoding="utf-8").replace(PROD_VENV, sys.prefix), encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", "--man=no", str(copy)], capture_output=True, text=True, timeout=120, check=False
    )
    complaints = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if "cardstation" in line and "EnvironmentFile" not in line
    ]
    assert complaints == [], done.stdout + done.stderr
    d = _directives(UNIT)
    assert d["User"] == ["cardstation-gw"] and d["ReadWritePaths"] == ["/var/lib/cardstation-gw"]
    assert d["ProtectSystem"] == ["strict"] and d["NoNewPrivileges"] == ["yes"]
    assert "--host 127.0.0.1" in d["ExecStart"][0]  # only the TLS front faces the network


def test_the_guide_as_written_runs_a_gateway_a_station_syncs_through(
    cluster: PgCluster, tmp_path: Path
) -> None:
    guide = (ROOT / "docs" / "gateway-deploy.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- gateway-pg-setup:begin -->\s*```sh\n(.*?)```", guide, re.S)
    assert block is not None, "docs/gateway-deploy.md lost its marked database block"
    for name in re.findall(r"deploy/gateway/[\w.-]+", guide):
        assert (ROOT / name).exists(), name
    # §2 as the superuser of this cluster.
    su_env = {
        **os.environ,
        "PATH": f"{pg_bindir()}:{os.environ['PATH']}",
        "PGHOST": "127.0.0.1",
        "PGPORT": str(cluster.port),
        "PGUSER": "postgres",
    }
    made = subprocess.run(["sh", "-e", "-c", block.group(1)], env=su_env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    # §3-4: the unit's command lines with the settings file (the database reached over TCP here).
    settings = _env_file()
    assert settings["CARDSTATION_GATEWAY_DATABASE"].startswith("postgresql:///cardstation_gw")
    port = _free_port()
    settings |= {
        "CARDSTATION_GATEWAY_DATABASE": f"postgresql://cardstation-gw@127.0.0.1:{cluster.port}/cardstation_gw",
        "CARDSTATION_GATEWAY_KEK_FILE": str(tmp_path / "gateway-pg.kek"),
        "CARDSTATION_GATEWAY_WORKERS": "2",
    }
    env = {**os.environ, **settings}
    d = _directives(UNIT)
    (pre,) = d["ExecStartPre"]
    migrated = subprocess.run(_expand(pre, settings), env=env, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0 and "Traceback" not in migrated.stderr, migrated.stderr
    assert "版本" in migrated.stdout + migrated.stderr
    (start,) = d["ExecStart"]
    argv = [a.replace("8780", str(port)) for a in _expand(start, settings)]
    server = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[1].decode()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gateway did not listen"
                time.sleep(0.2)
        # §6: a station registered by the province, enrolled and synced by its county.
        sid = "4301210010010000101"
        reg = subprocess.run(
            _expand(
                f"{PROD_VENV}/bin/cardstation gateway register-station --database ${{CARDSTATION_GATEWAY_DATABASE}}"
                f" --station-id {sid}",
                settings,
            ),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert reg.returncode == 0, reg.stderr
        token = reg.stdout.strip().splitlines()[-1]
        kek = tmp_path / "gateway-pg.kek"  # made on first use, owner-only (§3)
        assert kek.exists() and kek.stat().st_mode & 0o777 == 0o600
        db = tmp_path / "station" / "station.db"
        db.parent.mkdir()
        init_and_enrol(db, sid[:17], f"http://127.0.0.1:{port}", token)
        apply_rows(db, tmp_path, [911])
        synced = json.loads(run("sync", "--once", "--json", db=db).stdout)
        assert synced["acked"] == 2 and synced["errors"] == [], synced  # the photo and its business
        assert outbox_states(db) == {"acked": 2}
        workers = _children(server.pid)
        assert len(workers) == 2, workers
    finally:
        server.send_signal(signal.SIGTERM)  # systemctl stop: the parent stops its workers
        try:
            _, err = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise
    assert server.returncode in (0, -signal.SIGTERM), err
    assert all(wait_gone(w) for w in workers)
    assert "Traceback" not in err.decode()


def _children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(proc.name))
    return found
