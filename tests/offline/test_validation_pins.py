"""R-PIN-3 (six digits, twice, not the initial PIN) and R-PIN-5 (warn on birth date, phone, sequences)."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from offline.validation import check_new_pin

BIRTH = date(1985, 7, 23)
PHONE = "13912345678"


def check(new: str, again: str | None = None, initial_pin: str | None = None) -> tuple[list[str], list[str]]:
    second = new if again is None else again
    problems, warnings = check_new_pin(new, second, birth_date=BIRTH, phone=PHONE, initial_pin=initial_pin)
    return [p.rule + ":" + p.field for p in problems], warnings


def test_R_PIN_3_accepts_six_digits_typed_twice() -> None:
    assert check("804915") == ([], [])


def test_R_PIN_3_rejects_format_mismatch_and_initial_pin() -> None:
    assert check("12345") == (["R-PIN-3:pin"], [])
    assert check("12a456")[0] == ["R-PIN-3:pin"]
    assert check("１２３４５６")[0] == ["R-PIN-3:pin"]  # full-width digits are not PIN digits
    assert check("804915", "804916")[0] == ["R-PIN-3:pin_again"]
    assert check("666666")[0] == ["R-PIN-3:pin"]  # Hunan's initial PIN (HN 13)
    assert check("123456")[0] == ["R-PIN-3:pin"]  # Hubei profile's initial PIN
    assert check("666666", initial_pin="123456")[0] == ["R-PIN-5:pin"]  # not initial here, but trivial


def test_R_PIN_5_warns_on_birth_date_forms() -> None:
    for pin in ("850723", "198507", "230785", "072385"):
        problems, warnings = check(pin)
        assert problems == [] and any("出生日期" in w for w in warnings), pin


def test_R_PIN_5_warns_on_phone_digits_and_trivial_pins() -> None:
    assert any("电话" in w for w in check("345678")[1])  # the last six digits
    assert any("电话" in w for w in check("391234")[1])  # any six consecutive digits
    assert check("777777")[0] == ["R-PIN-5:pin"]  # refused, not only warned (R-PIN-5)
    assert check("987654")[0] == ["R-PIN-5:pin"]
    assert check("888888")[0] == ["R-PIN-5:pin"]
    assert any("重复" in w for w in check("121212")[1])
    assert check("804915")[1] == []


@given(st.text(max_size=8), st.text(max_size=8))
def test_R_PIN_3_never_raises(new: str, again: str) -> None:
    problems, warnings = check_new_pin(new, again, birth_date=None, phone="")
    assert all(p.rule in ("R-PIN-3", "R-PIN-5") for p in problems)
    assert all(isinstance(w, str) for w in warnings)
