"""Station set-up (R-SEC-4 service-point number, R-SEC-2 first administrator)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from offline import station
from offline.errors import ValidationError
from offline.operators import list_operators
from offline.store import Store

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=8)))
CARDSTATION = Path(sys.executable).with_name("cardstation")
HB_SP, HN_SP = "42010200100100001", "43012100200300012"


def _init(store: Store, **kw: str) -> station.StationInfo:
    args = {
        "province": "hubei",
        "service_point": HB_SP,
        "admin_username": "admin",
        "admin_real_name": "张管理",
        "admin_password": "admin-pass-1",
    }
    args.update(kw)
    return station.init_station(store, now=NOW, **args)


@pytest.mark.parametrize(
    ("province", "sp", "terminal"),
    [
        ("hubei", HB_SP, "01"),
        ("hunan", HN_SP, "02"),
        ("HB", "42900600000000999", "99"),
        ("湖南", HN_SP, "10"),
    ],
)
def test_r_sec_4_accepted(store: Store, province: str, sp: str, terminal: str) -> None:
    info = _init(store, province=province, service_point=sp, terminal=terminal)
    assert info.station_id == sp + terminal and info.service_point == sp
    assert (info.region, info.institution, info.serial) == (sp[:9], sp[9:14], sp[14:])
    assert station.station_info(store) == info
    for key in station.SETTING_KEYS:
        assert store.setting(key) == getattr(info, key)
    assert info.province in ("hubei", "hunan") and info.initialised_at == NOW.isoformat()


@pytest.mark.parametrize(
    ("province", "sp", "fragment"),
    [
        ("hubei", "4201020010010000", "17 位数字"),  # 16 digits
        ("hubei", "420102001001000012", "17 位数字"),  # 18 digits
        ("hubei", "42010200100A00001", "17 位数字"),  # a letter
        ("hubei", "４２０１０２００１００１０００１", "17 位数字"),  # full-width digits
        ("hubei", HN_SP, "不在湖北省（应以 42 开头）"),  # Hunan region for a Hubei station
        ("hunan", HB_SP, "不在湖南省（应以 43 开头）"),
        ("hubei", "42010200100100000", "流水号不能为 000"),
    ],
)
def test_r_sec_4_rejected_with_field_rule_and_fix(
    store: Store, province: str, sp: str, fragment: str
) -> None:
    with pytest.raises(ValidationError) as err:
        _init(store, province=province, service_point=sp)
    problems = [p for p in err.value.problems if p.field == "service_point"]
    assert problems and problems[0].rule == "R-SEC-4" and problems[0].label == "服务点编号"
    assert fragment in str(err.value) and problems[0].fix
    assert station.station_info(store) is None
    assert list_operators(store) == []


def test_all_problems_reported_at_once_and_nothing_written(store: Store) -> None:
    with pytest.raises(ValidationError) as err:
        _init(
            store,
            province="guangdong",
            service_point="123",
            terminal="0",
            admin_real_name="",
            admin_password="short",
        )
    fields = {p.field for p in err.value.problems}
    assert fields == {"province", "service_point", "terminal", "real_name", "password"}
    assert store.one("SELECT COUNT(*) FROM audit")[0] == 0  # type: ignore[index]


def test_r_sec_2_init_creates_and_audits_the_admin(store: Store) -> None:
    info = _init(store)
    ops = list_operators(store)
    assert [(o.username, o.real_name, o.role) for o in ops] == [("admin", "张管理", "admin")]
    rows = store.query("SELECT action, target, operator_id FROM audit ORDER BY seq")
    assert [(r["action"], r["target"]) for r in rows] == [
        ("operator.create", "admin"),
        ("station.init", info.station_id),
    ]
    assert rows[1]["operator_id"] == ops[0].id


def test_refuses_to_reinitialise(store: Store) -> None:
    first = _init(store)
    with pytest.raises(ValidationError, match="不能重复初始化"):
        _init(store, service_point="42010200100100002", admin_username="other")
    assert station.station_info(store) == first
    assert [o.username for o in list_operators(store)] == ["admin"]


def test_profile_is_loaded_for_the_station_province(store: Store) -> None:
    info = _init(store, province="hunan", service_point=HN_SP)
    assert station.load_station_profile(info, store).province == "hunan"


def _cli(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CARDSTATION_") or k == "CARDSTATION_KEY_FILE"
    }
    env.update(env_extra)
    return subprocess.run(
        [str(CARDSTATION), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_init_takes_the_password_from_the_environment(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    args = [
        "--db",
        str(db),
        "init",
        "--province",
        "hunan",
        "--service-point",
        HN_SP,
        "--terminal",
        "03",
        "--admin",
        "Admin",
        "--admin-name",
        "刘管理",
    ]
    missing = _cli(args, {})
    assert missing.returncode == 2 and "CARDSTATION_ADMIN_PASSWORD" in missing.stderr
    done = _cli(args, {"CARDSTATION_ADMIN_PASSWORD": "admin-pass-1"})
    assert done.returncode == 0, done.stderr
    assert HN_SP + "03" in done.stdout and "湖南省" in done.stdout
    again = _cli(args, {"CARDSTATION_ADMIN_PASSWORD": "admin-pass-1"})
    assert again.returncode == 1 and "不能重复初始化" in again.stderr
    s = Store.open(db)
    try:
        info = station.station_info(s)
        assert info is not None and info.station_id == HN_SP + "03" and info.province == "hunan"
        from offline.auth import authenticate

        assert authenticate(s, "admin", "admin-pass-1", now=NOW).role == "admin"
    finally:
        s.close()


def test_cli_init_rejects_a_bad_service_point(tmp_path: Path) -> None:
    bad = _cli(
        [
            "--db",
            str(tmp_path / "s.db"),
            "init",
            "--province",
            "hubei",
            "--service-point",
            HN_SP,
            "--admin",
            "admin",
            "--admin-name",
            "张管理",
        ],
        {"CARDSTATION_ADMIN_PASSWORD": "admin-pass-1"},
    )
    assert bad.returncode == 1 and "R-SEC-4" in bad.stderr and "服务点编号" in bad.stderr
