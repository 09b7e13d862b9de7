"""Invented province roster extracts (持卡人名册 CSV) for tests and benchmarks — nobody here is real.

Rows go straight to the file as they are made, so a million-row extract costs no memory beyond
the sets that keep numbers unique. The mix of card states is roughly what a county has: most
cards normal, a few lost, PIN-locked, cancelled or still in production.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from offline.samples import (
    COUNTIES,
    sample_address,
    sample_card_number,
    sample_mobile,
    sample_name,
    sample_ssn,
)
from sync.gateway.roster import HEADER

STATUS_MIX: tuple[tuple[str, float], ...] = (
    ("正常", 0.86),
    ("临时挂失", 0.02),
    ("正式挂失", 0.02),
    ("密码锁定", 0.03),
    ("已注销", 0.03),
    ("制卡中", 0.02),
    ("待领取", 0.02),
)
BANKS = ("中国工商银行", "中国农业银行", "中国银行", "中国建设银行", "长沙银行", "湖南农村信用社")


def _province(region: str) -> str:
    return "hubei" if region.startswith("42") else "hunan"


def _status(rng: random.Random) -> str:
    x = rng.random()
    for label, share in STATUS_MIX:
        if x < share:
            return label
        x -= share
    return "正常"


def write_roster_csv(
    path: Path,
    n: int,
    *,
    regions: Sequence[str] = ("430121",),
    seed: int = 10,
    encoding: str = "utf-8",
    today: date | None = None,
) -> list[dict[str, str]]:
    """Write `n` holder rows; returns the first 20 rows (for tests to pick holders from)."""
    rng = random.Random(seed)
    day = today or date.today()
    seen_ssn: set[str] = set()
    seen_card: set[str] = set()
    first: list[dict[str, str]] = []
    with Path(path).open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        made = 0
        while made < n:
            region = regions[made % len(regions)]
            province = _province(region)
            county = region if region in COUNTIES[province] else next(iter(COUNTIES[province]))
            birth = day - timedelta(days=rng.randint(7 * 365, 90 * 365))
            sex = rng.choice("12")
            ssn = sample_ssn(rng, county, birth, sex=sex)
            card = sample_card_number(rng)
            if ssn in seen_ssn or card in seen_card:
                continue
            seen_ssn.add(ssn)
            seen_card.add(card)
            issued = day - timedelta(days=rng.randint(30, 9 * 365))
            status = _status(rng)
            row = [
                ssn,
                sample_name(rng, sex),
                "男" if sex == "1" else "女",
                "汉族" if rng.random() < 0.93 else "土家族",
                birth.strftime("%Y%m%d"),
                "居民身份证",
                ssn,
                sample_mobile(rng),
                sample_address(rng, province, county),
                card,
                status,
                "3.0",
                rng.choice(BANKS),
                issued.strftime("%Y%m%d"),
                (issued + timedelta(days=3652)).strftime("%Y%m%d"),
                region,
            ]
            w.writerow(row)
            if len(first) < 20:
                first.append(dict(zip(HEADER, row, strict=True)))
            made += 1
    return first
