"""R-ID-3: GB 11643 citizen numbers; card number check characters (R-ISS-1)."""

from __future__ import annotations

import random
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from offline.errors import Problem
from offline.samples import sample_card_number, sample_ssn
from offline.validation import (
    card_number_check_char,
    ssn_birth_and_sex,
    ssn_check_digit,
    validate_card_number,
    validate_ssn,
)

EXAMPLE = "11010519491231002X"  # the standard's worked example


def test_R_ID_3_check_digit_of_the_standard_example() -> None:
    assert ssn_check_digit(EXAMPLE[:17]) == "X"
    assert validate_ssn(EXAMPLE) == []
    assert validate_ssn(EXAMPLE.lower()) == []  # a typed 'x' is the same number


def test_R_ID_3_rejects_wrong_check_digit() -> None:
    problems = validate_ssn("110105194912310021")
    assert [p.rule for p in problems] == ["R-ID-3"]
    assert "末位应为“X”" in problems[0].message
    assert problems[0].label == "社会保障号码" and problems[0].fix


def test_R_ID_3_rejects_swapped_digits() -> None:
    swapped = EXAMPLE[:15] + EXAMPLE[16] + EXAMPLE[15] + EXAMPLE[17]  # ...002X -> ...020X
    assert swapped == "11010519491231020X"
    assert [p.rule for p in validate_ssn(swapped)] == ["R-ID-3"]


def test_R_ID_3_birth_and_sex_derived() -> None:
    assert ssn_birth_and_sex(EXAMPLE) == (date(1949, 12, 31), "2")  # 17th digit 2: female
    male = sample_ssn(random.Random(1), "420111", date(1980, 2, 29), sex="1")
    assert ssn_birth_and_sex(male) == (date(1980, 2, 29), "1")


def test_R_ID_3_rejects_bad_region_date_length_and_future_birth() -> None:
    def rules_and_text(v: str) -> str:
        return " ".join(p.message for p in validate_ssn(v, today=date(2026, 5, 1)))

    assert "位" in rules_and_text("1101051949123100")
    assert "区划代码" in rules_and_text("991234" + "19491231002" + "X")
    bad_date = "42011119490231002"
    assert "出生日期" in rules_and_text(bad_date + ssn_check_digit(bad_date))
    future = "42011120300101002"
    assert "不合理" in rules_and_text(future + ssn_check_digit(future))
    assert validate_ssn("") and validate_ssn("   ")[0].message == "不能为空"


def test_R_ID_3_accepts_residence_permit_regions() -> None:
    for region in ("810000", "820000", "830000"):
        assert validate_ssn(sample_ssn(random.Random(3), region, date(1990, 5, 6))) == []


@given(st.text(max_size=30))
def test_R_ID_3_validate_ssn_never_raises(value: str) -> None:
    problems = validate_ssn(value, today=date(2026, 1, 1))
    assert all(isinstance(p, Problem) and p.rule == "R-ID-3" and p.message for p in problems)


@given(st.from_regex(r"\A[0-9]{17}\Z"))
def test_R_ID_3_check_digit_property(first17: str) -> None:
    digit = ssn_check_digit(first17)
    assert digit in "0123456789X"
    # Changing any one digit changes the check digit (single-error detection of mod 11).
    i = int(first17[5]) % 17
    altered = first17[:i] + str((int(first17[i]) + 1) % 10) + first17[i + 1 :]
    assert ssn_check_digit(altered) != digit


# ----------------------------------------------------------------- card numbers


def test_R_ISS_1_card_number_check_char_example() -> None:
    assert card_number_check_char("D2143569") == "X"
    assert validate_card_number("D2143569X") == []
    assert validate_card_number(" d2143569x ") == []


def test_R_ISS_1_rejects_wrong_card_number() -> None:
    problems = validate_card_number("D21435690")
    assert [p.rule for p in problems] == ["R-ISS-1"] and "校验位" in problems[0].message
    assert validate_card_number("12143569X")[0].message == "卡号首位应为大写字母"
    assert "9 位" in validate_card_number("D214356")[0].message
    assert validate_card_number("D21435-9X") != []


def test_R_ISS_1_check_char_maps_10_and_11() -> None:
    rng = random.Random(5)
    seen = {card_number_check_char(sample_card_number(rng)[:8]) for _ in range(3000)}
    assert "X" in seen and "0" in seen and seen <= set("0123456789X")


@given(st.text(max_size=20))
def test_R_ISS_1_validate_card_number_never_raises(value: str) -> None:
    assert all(isinstance(p, Problem) for p in validate_card_number(value))


@given(st.from_regex(r"\A[A-Z][A-Z0-9]{7}\Z"))
def test_R_ISS_1_check_char_property(first8: str) -> None:
    full = first8 + card_number_check_char(first8)
    assert validate_card_number(full) == []
    other = next(c for c in "0123456789X" if c != full[8])
    assert validate_card_number(full[:8] + other) != []
