"""Names on the card (R-APP-1) and the rare-character route (R-APP-6, HB 34-36)."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from offline.errors import Problem
from offline.samples import RARE_NAMES, sample_rare_name
from offline.validation import name_problems, needs_provincial_route, rare_characters


def test_R_APP_6_routes_names_outside_gbk() -> None:
    assert needs_provincial_route("王𠮷")  # CJK Ext B
    assert needs_provincial_route("刘𡒄")  # CJK Ext B
    assert needs_provincial_route("张\ue000")  # private use area
    assert needs_provincial_route("李\U0003134a")  # unassigned / newest extension
    assert rare_characters("李𡒄明") == ["𡒄"]
    assert all(needs_provincial_route(n) for n in RARE_NAMES)
    assert needs_provincial_route(sample_rare_name(random.Random(1)))


def test_R_APP_6_common_and_uncommon_gbk_names_stay_local() -> None:
    for name in ("张伟", "买买提·艾力", "王〇", "朱镕基", "龘", "陶喆", "刘堃"):
        assert not needs_provincial_route(name), name


def test_R_APP_6_rare_characters_are_not_name_problems() -> None:
    assert name_problems("王𠮷") == []
    assert name_problems("张\ue000") == []


def test_R_APP_1_accepts_chinese_and_foreign_names() -> None:
    assert name_problems("欧阳娜娜") == []
    assert name_problems("阿依古丽·买买提") == []
    assert name_problems("JOHN O'NEIL-SMITH", mainland=False) == []


def test_R_APP_1_rejects_empty_digits_latin_symbols_and_spaces() -> None:
    assert name_problems("")[0].message == "不能为空"
    assert name_problems("王2")[0].message == "不能含数字"
    assert "字母" in name_problems("Tom")[0].message
    assert "字母" in name_problems("ＡＢ")[0].message  # full-width letters too
    assert "·" in name_problems("李•四")[0].message  # look-alike dot: use the middle dot
    assert "空格" in name_problems("王 五")[0].message
    assert "符号" in name_problems("王-")[0].message
    assert "不能含数字" in name_problems("JOHN 2", mainland=False)[0].message
    assert all(p.rule == "R-APP-1" and p.label == "姓名" for p in name_problems("王2"))


def test_R_APP_1_rejects_names_too_long_for_the_card() -> None:
    assert name_problems("王" * 25) == []  # 50 GBK bytes: name 30 + extension 20
    problems = name_problems("王" * 26)
    assert len(problems) == 1 and "52 字节" in problems[0].message


@given(st.text(max_size=40))
def test_name_checks_never_raise(name: str) -> None:
    assert isinstance(needs_provincial_route(name), bool)
    for mainland in (True, False):
        assert all(
            isinstance(p, Problem) and p.rule == "R-APP-1" for p in name_problems(name, mainland=mainland)
        )


def test_R_APP_6_HB_34_gb18030_ext_a_name_is_printed_locally() -> None:
    """HB 34 names GB18030, not GBK: 䶮 (Ext A, in GB18030 but not GBK) is not sent to the province."""
    assert not needs_provincial_route("刘䶮")
    assert not needs_provincial_route("陈㛃")
    assert rare_characters("刘䶮𠮷") == ["𠮷"]
