"""The demo roster file (cardstation/demo_roster.py): the agreed header, valid numbers, every state,
the featured holders the manual names, and the same file for the same day."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from cardstation.demo_roster import CARD_STATES, DEMO_AREA, FEATURED, HEADER, write_demo_roster
from offline.validation.card_numbers import validate_card_number
from offline.validation.ids import validate_ssn

ISSUE_HEADER = "社会保障号码,姓名,性别,民族,出生日期,证件类型,证件号码,联系电话,常住地址,社会保障卡卡号,卡状态,卡规范版本,发卡银行,发卡日期,有效期至,参保地区划"
DAY = date(2026, 12, 6)


def test_demo_roster_is_a_valid_extract_in_every_state(tmp_path: Path) -> None:
    roster = write_demo_roster(tmp_path / "roster.csv", count=3000, today=DAY)
    raw = (tmp_path / "roster.csv").read_bytes()
    assert raw.decode("utf-8").splitlines()[0] == ISSUE_HEADER == ",".join(HEADER)
    with (tmp_path / "roster.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == roster.rows == 3000 + len(FEATURED)
    assert len({r["社会保障号码"] for r in rows}) == len(rows)
    numbers = [r["社会保障卡卡号"] for r in rows if r["社会保障卡卡号"]]
    assert len(set(numbers)) == len(numbers)
    for r in rows:
        assert not validate_ssn(r["社会保障号码"]), r
        assert r["社会保障号码"].startswith(DEMO_AREA) and r["参保地区划"] == DEMO_AREA
        assert r["卡状态"] in CARD_STATES
        if r["卡状态"] == "制卡中":
            assert not r["社会保障卡卡号"]
        else:
            assert not validate_card_number(r["社会保障卡卡号"]), r
            assert r["发卡银行"] and r["发卡日期"] and r["有效期至"]
    for state in (*CARD_STATES, "expired", "cartoon"):
        assert roster.states.get(state, 0) >= 30, (state, roster.states)
    expired = [r for r in rows if r["有效期至"] and r["有效期至"] < DAY.strftime("%Y%m%d")]
    assert len(expired) >= 30
    children = [r for r in rows if r["卡状态"] == "正常" and int(r["出生日期"][:4]) >= DAY.year - 6]
    assert len(children) >= 30  # cartoon cards (no photo below the cartoon age, R-APP-2)
    # the manual's holders, each in the state its item needs
    names = {r["姓名"]: r for r in rows[: len(FEATURED)]}
    assert names["黄德明"]["卡状态"] == "正常" and names["何文斌"]["卡状态"] == "临时挂失"
    assert names["马志刚"]["卡状态"] == "密码锁定" and names["宋国庆"]["卡状态"] == "待领取"
    assert roster.featured["temp_loss"].name == "黄德明"


def test_demo_roster_is_deterministic(tmp_path: Path) -> None:
    write_demo_roster(tmp_path / "a.csv", count=200, today=DAY)
    write_demo_roster(tmp_path / "b.csv", count=200, today=DAY)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
