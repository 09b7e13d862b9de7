"""Must show (issue 10): a real gateway process and the real station CLI.

Import a roster of a few thousand rows; register the station with an area and enrol; sync, and
`cardstation query --ssn` finds a holder the station never enrolled, with the card's status; a
loss recorded at the gateway's side (`gateway roster set-status`) arrives on the next sync.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sync.gateway.roster_sample import write_roster_csv
from tests.sync.backends import Backend
from tests.sync.helpers import free_port

CARDSTATION = Path(sys.executable).parent / "cardstation"
SP = "43012100100100001"


def run(*args: str, env: dict[str, str], ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(CARDSTATION), *args], capture_output=True, text=True, env=env, timeout=300)
    if ok:
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = dict(os.environ)
    e.update(
        CARDSTATION_ADMIN_PASSWORD="admin-pass-1",
        CARDSTATION_PASSWORD="admin-pass-1",
        CARDSTATION_NEW_PASSWORD="wang-pass-1",
    )
    return e


@pytest.fixture
def gateway(tmp_path: Path, env: dict[str, str], backend: Backend) -> Iterator[tuple[str, Path | str]]:
    """The gateway process on this test's engine; `env` then names its key file for every CLI call."""
    target = backend.target(tmp_path / "gw")
    env.update(target.env)
    gw_db = target.db
    port = free_port()
    # The store must exist with its schema before `register-station` (same file the server uses).
    run("gateway", "stats", "--db", str(gw_db), env=env)
    proc = subprocess.Popen(
        [str(CARDSTATION), "gateway", "serve", "--db", str(gw_db), "--port", str(port), "--demo"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                if httpx.get(f"{url}/v1/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError("gateway did not start")
            time.sleep(0.1)
        yield url, gw_db
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_roster_reaches_an_enrolled_station_and_a_bank_loss_follows(
    tmp_path: Path, env: dict[str, str], gateway: tuple[str, Path | str]
) -> None:
    url, gw_db = gateway
    csv = tmp_path / "roster.csv"
    first = write_roster_csv(csv, 3000, regions=("430121", "430104"), seed=7)
    out = run("gateway", "roster", "import", "--db", str(gw_db), str(csv), env=env).stdout
    assert "新增 3000 行" in out
    again = run("gateway", "roster", "import", "--db", str(gw_db), str(csv), "--json", env=env).stdout
    assert json.loads(again)["unchanged"] == 3000  # re-import is an upsert

    st = str(tmp_path / "station.db")
    init = run(
        "--db",
        st,
        "init",
        "--province",
        "hunan",
        "--service-point",
        SP,
        "--admin",
        "admin",
        "--admin-name",
        "欧阳娜娜",
        env=env,
    ).stdout
    station_id = init.split("站号 ")[1].split("）")[0]
    env_op = {**env, "CARDSTATION_PASSWORD": "admin-pass-1"}
    run(
        "--db",
        st,
        "operator",
        "add",
        "--as",
        "admin",
        "wangxh",
        "--name",
        "王小红",
        "--role",
        "operator",
        env=env_op,
    )
    token = run(
        "gateway",
        "register-station",
        "--db",
        str(gw_db),
        "--station-id",
        station_id,
        "--area",
        "430121",
        env=env,
    ).stdout.strip()
    enrolled = run("--db", st, "keys", "enrol", "--url", url, "--token", token, env=env).stdout
    assert "已下载本片区持卡人名册：1500 条" in enrolled

    run("--db", st, "sync", "--once", env=env)
    q_env = {**env, "CARDSTATION_PASSWORD": "wang-pass-1"}
    holder = next(r for r in first if r["参保地区划"] == "430121" and r["卡状态"] == "正常")
    found = json.loads(
        run(
            "--db", st, "query", "--ssn", holder["社会保障号码"], "--json", "--as", "wangxh", env=q_env
        ).stdout
    )
    assert found["person"] == {"ssn": holder["社会保障号码"], "name": holder["姓名"]}
    card = found["cards"][0]
    assert card["number"] == holder["社会保障卡卡号"]
    assert (card["status"], card["status_label"], card["bank"]) == (
        "issued",
        "已发放（正常）",
        holder["发卡银行"],
    )

    outsider = next(r for r in first if r["参保地区划"] == "430104")  # another area: not on this station
    missing = run(
        "--db", st, "query", "--ssn", outsider["社会保障号码"], "--as", "wangxh", env=q_env, ok=False
    )
    assert missing.returncode == 1 and "未查到" in missing.stderr

    said = run(
        "gateway",
        "roster",
        "set-status",
        "--db",
        str(gw_db),
        "--card",
        holder["社会保障卡卡号"],
        "--status",
        "正式挂失",
        env=env,
    ).stdout
    assert "已向 1 个服务站下发" in said
    run("--db", st, "sync", "--once", env=env)
    after = json.loads(
        run(
            "--db", st, "query", "--card", holder["社会保障卡卡号"], "--json", "--as", "wangxh", env=q_env
        ).stdout
    )
    assert (after["cards"][0]["status"], after["cards"][0]["status_label"]) == ("lost", "正式挂失")

    bad = run(
        "gateway",
        "roster",
        "set-status",
        "--db",
        str(gw_db),
        "--card",
        holder["社会保障卡卡号"],
        "--status",
        "丢了",
        env=env,
        ok=False,
    )
    assert bad.returncode == 1 and "正常、临时挂失" in bad.stderr
