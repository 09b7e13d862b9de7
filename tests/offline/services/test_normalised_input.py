"""The service normalises what it is handed (R-APP-1, R-APP-4): every entry point gets the same treatment.

A person typed the way a village assistant writes it (农民, 父亲, 农行, 2020.01.01, 138-…) is
accepted by `apply_card` itself, and the store and the sealed payload hold the standard values; a
value that is not understood is refused once, naming the closest choices, and nothing is written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from offline.business import ServiceContext
from offline.errors import ValidationError
from offline.services.applications import ApplicationInput, apply_card
from offline.validation import validate_person


def test_R_APP_1_apply_card_normalises_typed_values(
    ctx: ServiceContext, make_person: Callable[..., Any]
) -> None:
    person = make_person(
        7,
        sex="男",
        ethnicity="汉",
        nationality="中华人民共和国",
        occupation="农民",
        doc_type="身份证",
        doc_valid_from="2020.01.01",
        doc_valid_to="长期",
        phone="138-1234-5678",
    )
    person = dataclasses.replace(person, sex="男" if int(person.doc_number[16]) % 2 else "女")
    result = apply_card(ctx, ApplicationInput(person=person, channel="local", mode="fast", bank="农行"))
    row = ctx.store.one("SELECT * FROM persons WHERE ssn = ?", (person.doc_number,))
    assert row is not None
    assert (row["occupation"], row["phone"], row["doc_valid_from"]) == (
        "5010000",
        "13812345678",
        "2020-01-01",
    )
    assert row["ethnicity"] == "01" and row["nationality"] == "CHN"
    app_row = ctx.store.one(
        "SELECT bank FROM applications WHERE business_id = (SELECT id FROM businesses WHERE receipt_no = ?)",
        (result.receipt_no,),
    )
    assert app_row is not None and app_row["bank"] == "中国农业银行"


def test_R_APP_1_not_understood_named_once_with_choices(
    ctx: ServiceContext, make_person: Callable[..., Any]
) -> None:
    person = make_person(8, occupation="种植")
    with pytest.raises(ValidationError) as exc:
        apply_card(ctx, ApplicationInput(person=person, channel="local", mode="fast", bank="中国农业银行"))
    occupation = [p for p in exc.value.problems if p.field == "occupation"]
    assert len(occupation) == 1
    assert "您是不是要填：" in occupation[0].message and "农业生产人员" in occupation[0].message
    assert ctx.store.one("SELECT COUNT(*) FROM businesses")[0] == 0  # type: ignore[index]


def test_R_APP_4_short_bank_name_of_another_province_names_the_list(
    ctx: ServiceContext, make_person: Callable[..., Any]
) -> None:
    found = validate_person(make_person(9, bank="汉口银行"), today=ctx.now().date(), profile=ctx.profile)
    bank = [p for p in found if p.field == "bank"]
    assert len(bank) == 1 and bank[0].rule == "R-APP-4"
    assert "中国农业银行" in bank[0].message  # the valid choices are named
