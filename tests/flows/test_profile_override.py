"""A profile update from the card management system applies at the station (R-APP-10, R-REP-5; HN 9).

End to end on loopback: a real `cardstation gateway serve` process, `cardstation gateway
publish-profile` with a changed fee, the station's `cardstation sync --once`, then a 换卡 through
the composition root's context charges the new fee and its receipt prints it. A stored update
that can no longer be used (another province, or a text missing a setting) leaves the bundled
profile in force, and `cardstation doctor` / `cardstation sync --status` say so in Chinese.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offline.profiles import OVERRIDE_SETTING, load_profile, profile_text
from tests.flows.test_gateway_flows import _Station
from tests.sync.backends import GatewayTarget
from tests.sync.gateway_process import GatewayProcess


def cli(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "cardstation.cli", *args], capture_output=True, text=True, timeout=300
    )
    assert "Traceback" not in done.stderr + done.stdout
    if ok:
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[GatewayProcess]:
    gp = GatewayProcess(GatewayTarget(tmp_path / "gw.db"))
    yield gp
    gp.stop()


def _exchange_fee_and_receipt(st: _Station, holder: tuple[Any, str], seed: int) -> tuple[int, str]:
    """A 换卡 (damage) through the composition root's context: (fee in fen, printed receipt)."""
    from cardstation.wiring import make_context
    from offline.printing.text import render_receipt_text
    from offline.services.exchange import ExchangeInput, exchange_card
    from sync.keys import sealer_for

    person, number = holder
    ctx = make_context(st.store, st.info, st.operator, sealer=sealer_for(st.store))  # profile as loaded
    result = exchange_card(
        ctx, ExchangeInput(number, "damage", person.doc_number, True, fee_receipt_no=f"湘财票 {seed}")
    )
    return result.fee_fen, render_receipt_text(result, st.info, store=st.store)


def _profile_check(db: Path) -> dict[str, str]:
    report = json.loads(cli("--db", str(db), "doctor", "--json", ok=False).stdout)
    return next(c for c in report["checks"] if c["name"] == "profile")


def test_R_APP_10_HN_9_fee_published_by_the_gateway_applies_to_service_and_receipt(
    gateway: GatewayProcess, tmp_path: Path
) -> None:
    st = _Station(tmp_path, types.SimpleNamespace(gateway=gateway.gw, url=gateway.url))  # type: ignore[arg-type]
    db = tmp_path / "station.db"
    first, second = st.issued_person(11), st.issued_person(12)  # before any 换卡 is produced
    fee, receipt = _exchange_fee_and_receipt(st, first, 11)
    assert fee == 2000 and "20.00 元" in receipt  # the bundled Hunan amount
    assert "程序自带" in _profile_check(db)["detail"]

    updated = profile_text("hunan").replace("exchange = 2000", "exchange = 3500")
    assert updated != profile_text("hunan")
    (tmp_path / "hunan-2027.toml").write_text(updated, encoding="utf-8")
    said = cli("gateway", "publish-profile", "--db", str(gateway.db), str(tmp_path / "hunan-2027.toml"))
    assert "已加入下发队列" in said.stdout
    assert "下发更新" in cli("--db", str(db), "sync", "--once").stdout
    row = st.store.one("SELECT outcome FROM inbox WHERE kind = 'profile_update'")
    assert row is not None and "湖南省业务参数已更新" in str(row["outcome"])

    fee, receipt = _exchange_fee_and_receipt(st, second, 12)
    assert fee == 3500 and "35.00 元" in receipt and "收费票据号：湘财票 12" in receipt
    check = _profile_check(db)
    assert check["level"] == "ok" and "卡管系统下发" in check["detail"]
    assert "卡管系统下发" in cli("--db", str(db), "sync", "--status").stdout


def test_an_unusable_stored_update_falls_back_and_doctor_says_why(
    gateway: GatewayProcess, tmp_path: Path
) -> None:
    st = _Station(tmp_path, types.SimpleNamespace(gateway=gateway.gw, url=gateway.url))  # type: ignore[arg-type]
    db = tmp_path / "station.db"
    # An update kept by an older release: it lacks a setting this release requires.
    old = "\n".join(
        line
        for line in profile_text("hunan").replace("exchange = 2000", "exchange = 3500").splitlines()
        if not line.startswith("overseas_chinese_passport")
    )
    with st.store.write() as conn:
        st.store.set_setting(conn, OVERRIDE_SETTING, old)
    fee, receipt = _exchange_fee_and_receipt(st, st.issued_person(13), 13)
    assert fee == 2000 and "20.00 元" in receipt  # the bundled profile, not half of the update
    check = _profile_check(db)
    assert check["level"] == "warning" and "无法采用" in check["detail"]
    assert "overseas_chinese_passport" in check["detail"] and check["fix"]
    status = cli("--db", str(db), "sync", "--status").stdout
    assert "[提醒] 业务参数" in status


def test_a_profile_of_another_province_is_refused_by_the_station(
    gateway: GatewayProcess, tmp_path: Path
) -> None:
    st = _Station(tmp_path, types.SimpleNamespace(gateway=gateway.gw, url=gateway.url))  # type: ignore[arg-type]
    db = tmp_path / "station.db"
    (tmp_path / "hubei.toml").write_text(profile_text("hubei"), encoding="utf-8")
    cli("gateway", "publish-profile", "--db", str(gateway.db), str(tmp_path / "hubei.toml"))
    cli("--db", str(db), "sync", "--once", ok=False)
    assert st.store.setting(OVERRIDE_SETTING) is None  # never stored
    row = st.store.one("SELECT outcome FROM inbox WHERE kind = 'profile_update'")
    assert row is not None and "与本站省份不符" in str(row["outcome"])
    from offline.station import load_station_profile

    assert load_station_profile(st.info, st.store) == load_profile("hunan")
