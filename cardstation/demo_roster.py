"""The demo area's holder roster (持卡人名册): a few thousand invented card holders in every state.

A real station opens with an empty store and downloads its area's roster from the card
management system at enrolment. The demo does the same: `write_demo_roster()` writes a province
extract in the agreed CSV layout (UTF-8, header `HEADER`), the demo imports it into its local
gateway (`cardstation.demo_setup`), registers the station for the area and enrols it.

Who is in it (deterministic: `SEED` and the day it is made):

- `FEATURED`: one named holder per service item, in the state that item needs, so the operator
  manual's 演示 section (docs/操作手册.md) can say "search 黄德明, press …" and the demo test can
  follow it; plus an expired card, a child's cartoon card and a holder with a temporary card out;
- then `count` more holders in the demo area (长沙县 430121) with the mix of states a county has:
  issued (正常), temporarily and formally lost, PIN-locked, cancelled, in production (制卡中),
  produced and waiting at this station (待领取), expired cards and children's cartoon cards.

Every SSN is a valid GB 11643 number of the area (with its check digit), every card number has its
check character (`offline.samples`), banks are the Hunan profile's. Nobody here is real.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from offline.profiles import load_profile
from offline.samples import sample_address, sample_card_number, sample_mobile, sample_name, sample_ssn
from sync.gateway import roster

#: The province extract's header, in its order: the one the gateway's importer checks.
HEADER = roster.HEADER
CARD_STATES = ("正常", "临时挂失", "正式挂失", "密码锁定", "已注销", "制卡中", "待领取")
DEMO_AREA = "430121"  # 长沙县: the demo station's service point 43012100100100001 is there
SEED = 20250610
DEFAULT_COUNT = 3000

#: (state of the random holders, share); 'expired' and 'cartoon' are 正常 cards of their kind.
MIX: tuple[tuple[str, float], ...] = (
    ("正常", 0.70),
    ("临时挂失", 0.03),
    ("正式挂失", 0.03),
    ("密码锁定", 0.03),
    ("已注销", 0.04),
    ("制卡中", 0.04),
    ("待领取", 0.04),
    ("expired", 0.04),
    ("cartoon", 0.05),
)


@dataclass(frozen=True)
class Featured:
    """A named demo holder: who to use for which item (the manual's 演示 table)."""

    key: str  # stable id used by the manual and the demo test
    name: str
    sex: str  # '1' | '2'
    age: int
    state: str  # 卡状态, or 'expired' / 'cartoon'
    use: str  # what the demo uses this holder for (Chinese, for the manual)


FEATURED: tuple[Featured, ...] = (
    Featured("apply", "刘桂兰", "2", 52, "已注销", "1 申领（旧卡已注销，重新申领）"),
    Featured("replace", "陈志强", "1", 45, "正式挂失", "2 补领（正式挂失后）"),
    Featured("cancel", "周玉梅", "2", 67, "正常", "3 注销"),
    Featured("activate", "吴小燕", "2", 29, "待领取", "14 发放后 4 社保功能激活"),
    Featured("temp_loss", "黄德明", "1", 58, "正常", "5 临时挂失"),
    Featured("formal_loss", "林秀英", "2", 41, "正常", "6 正式挂失"),
    Featured("lift_loss", "何文斌", "1", 36, "临时挂失", "7 解挂"),
    Featured("pin_change", "张建国", "1", 49, "正常", "8 密码修改"),
    Featured("pin_reset", "郭丽华", "2", 55, "正常", "9 密码重置"),
    Featured("pin_unlock", "马志刚", "1", 62, "密码锁定", "10 密码解锁"),
    Featured("query", "罗红梅", "2", 33, "待领取", "11 制卡进度及卡状态查询"),
    Featured("info_change", "梁海波", "1", 39, "正常", "12 非关键信息变更"),
    Featured("key_info_change", "谢春燕", "2", 44, "正常", "13 关键信息变更"),
    Featured("issue", "宋国庆", "1", 27, "待领取", "14 发放"),
    Featured("temp_card", "唐美玲", "2", 31, "制卡中", "15 临时卡（正式卡制作中）"),
    Featured("transfer", "许建军", "1", 47, "正常", "16 归属地省内转移"),
    Featured("bank_change", "韩秀兰", "2", 53, "正常", "17 发卡银行变更"),
    Featured("stock", "冯志明", "1", 38, "待领取", "18 库存卡管理（入库）"),
    Featured("expired", "彭德贵", "1", 71, "expired", "有效期已过的卡（换领）"),
    Featured("cartoon", "曾小宝", "1", 5, "cartoon", "儿童卡通卡"),
    Featured("temp_out", "董丽", "2", 26, "制卡中", "已领临时卡、正式卡制作中"),
)


@dataclass(frozen=True)
class RosterRow:
    """One written row, as the demo and its tests need it back."""

    ssn: str
    name: str
    card_number: str
    state: str
    bank: str
    issue_date: str  # YYYYMMDD or ''
    expiry_date: str


@dataclass(frozen=True)
class DemoRoster:
    path: Path
    rows: int
    featured: dict[str, RosterRow]  # Featured.key → its row
    states: dict[str, int]  # 卡状态 (and expired/cartoon) → count, featured included


def _pick(rng: random.Random) -> str:
    x = rng.random()
    for state, share in MIX:
        if x < share:
            return state
        x -= share
    return "正常"


def _birth(rng: random.Random, today: date, age: int) -> date:
    return today - timedelta(days=age * 365 + age // 4 + rng.randint(1, 360))


def _card_dates(rng: random.Random, today: date, state: str, birth: date) -> tuple[str, str]:
    """(issue, expiry) YYYYMMDD: ten-year cards; expired ones issued over ten years ago."""
    if state == "制卡中":
        return "", ""
    if state == "expired":
        issued = today - timedelta(days=3652 + rng.randint(30, 900))
    elif state == "cartoon":
        issued = max(birth + timedelta(days=60), today - timedelta(days=rng.randint(30, 1500)))
    elif state == "待领取":
        issued = today - timedelta(days=rng.randint(3, 40))
    else:
        issued = today - timedelta(days=rng.randint(60, 3000))
    return issued.strftime("%Y%m%d"), (issued + timedelta(days=3652)).strftime("%Y%m%d")


def write_demo_roster(
    path: Path, *, count: int = DEFAULT_COUNT, today: date | None = None, seed: int = SEED
) -> DemoRoster:
    """Write the featured holders then `count` more to `path` (UTF-8 CSV); rows are streamed."""
    day = today or date.today()
    rng = random.Random(seed)
    banks = load_profile("hunan").banks
    seen_ssn: set[str] = set()
    seen_card: set[str] = set()
    featured: dict[str, RosterRow] = {}
    states: dict[str, int] = {}

    def unique(make: object) -> str:
        assert callable(make)
        while True:
            value = str(make())
            if value not in seen_ssn and value not in seen_card:
                return value

    def row(
        name: str, sex: str, birth: date, state: str, *, featured: bool = False
    ) -> tuple[list[str], RosterRow]:
        ssn = unique(lambda: sample_ssn(rng, DEMO_AREA, birth, sex=sex))
        seen_ssn.add(ssn)
        number = "" if state == "制卡中" else unique(lambda: sample_card_number(rng))
        if number:
            seen_card.add(number)
        label = state if state in CARD_STATES else "正常"  # expired / cartoon cards are 正常 cards
        issue, expiry = _card_dates(rng, day, state, birth)
        bank = rng.choice(banks)
        if featured:  # not the first bank of the list: 发卡银行变更 picks the first one
            bank = banks[-1]
        cells = [
            ssn,
            name,
            "男" if sex == "1" else "女",
            "汉族" if rng.random() < 0.93 else rng.choice(("土家族", "苗族", "侗族", "瑶族")),
            birth.strftime("%Y%m%d"),
            "居民身份证",
            ssn,
            sample_mobile(rng),
            sample_address(rng, "hunan", DEMO_AREA),
            number,
            label,
            "3.00" if issue >= "20180101" or not issue else "2.00",
            bank,
            issue,
            expiry,
            DEMO_AREA,
        ]
        states[state] = states.get(state, 0) + 1
        return cells, RosterRow(ssn, name, number, label, bank, issue, expiry)

    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for f in FEATURED:
            cells, r = row(f.name, f.sex, _birth(rng, day, f.age), f.state, featured=True)
            out.writerow(cells)
            featured[f.key] = r
            written += 1
        for _ in range(count):
            state = _pick(rng)
            sex = rng.choice("12")
            age = rng.randint(1, 6) if state == "cartoon" else rng.randint(16, 88)
            cells, _r = row(sample_name(rng, sex), sex, _birth(rng, day, age), state)
            out.writerow(cells)
            written += 1
    return DemoRoster(path, written, featured, states)
