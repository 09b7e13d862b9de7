"""Rules found wrong or missing in the second pass over HB and HN (each named with its rule id)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from offline.business import ServiceContext
from offline.errors import ValidationError
from offline.services.applications import ApplicationInput, apply_card
from tests.helpers import one


def _apply(ctx: ServiceContext, person: Any, **kw: Any) -> Any:
    kw.setdefault("doc_scans", (b"front", b"back"))  # HB 11
    kw.setdefault("signed", True)  # HB 13, 39
    return apply_card(
        ctx,
        ApplicationInput(person, kw.pop("channel", "local"), kw.pop("mode", "fast"), "中国农业银行", **kw),
    )


def test_R_APP_5_HB_6_in_person_application_is_instant_or_fast_in_hubei(
    hubei_ctx: ServiceContext, make_person: Callable[..., Any]
) -> None:
    with pytest.raises(ValidationError) as exc:
        _apply(hubei_ctx, make_person(), mode="batch")
    assert "R-APP-5" in exc.value.rules and "HB 6" in str(exc.value)


def test_R_CAN_2_HB_33_no_new_card_while_the_old_account_is_open_in_hubei(
    hubei_ctx: ServiceContext, make_person: Callable[..., Any], make_card: Callable[..., int]
) -> None:
    person = make_person()
    result = _apply(hubei_ctx, person, mode="fast")
    pid = one(hubei_ctx.store, "SELECT person_id FROM businesses WHERE id = ?", (result.business_id,))[0]
    with hubei_ctx.store.write() as conn:
        conn.execute("UPDATE applications SET status = 'cancelled' WHERE person_id = ?", (pid,))
    make_card(pid, status="cancelled")
    with pytest.raises(ValidationError) as exc:
        _apply(hubei_ctx, person)
    assert "old_account_closed" in {p.field for p in exc.value.problems}
    _apply(hubei_ctx, person, old_account_closed=True)


def test_R_ID_1_HN_3_adult_may_use_a_household_register_in_hunan(
    ctx: ServiceContext, hubei_ctx: ServiceContext, make_person: Callable[..., Any]
) -> None:
    adult = make_person(age=40, doc_type="household_register", doc_valid_from="", doc_valid_to="")
    _apply(ctx, adult)  # Hunan: HN 3 sets no age
    with pytest.raises(ValidationError) as exc:
        _apply(
            hubei_ctx, make_person(age=40, doc_type="household_register", doc_valid_from="", doc_valid_to="")
        )
    assert "R-ID-1" in exc.value.rules  # Hubei: under 16 only (HB 5(1))


def test_R_APP_1_HB_37_permit_with_only_a_latin_name_can_apply(make_person: Callable[..., Any]) -> None:
    from datetime import date

    from offline.profiles import load_profile
    from offline.validation import validate_person

    person = dataclasses.replace(make_person(), name="CHAN Tai Man", nationality="HKG")
    names = [
        p
        for p in validate_person(person, today=date(2026, 3, 2), profile=load_profile("hubei"))
        if p.field == "name"
    ]
    assert names == []
    mainland = dataclasses.replace(make_person(), name="Zhang San")
    names = [
        p
        for p in validate_person(mainland, today=date(2026, 3, 2), profile=load_profile("hubei"))
        if p.field == "name"
    ]
    assert names  # a mainland name is in Chinese characters


def test_R_CAN_1_HN_26_missing_is_a_cancellation_reason_with_the_heir(
    ctx: ServiceContext,
    applied: Callable[..., Any],
    make_person: Callable[..., Any],
    make_card: Callable[..., int],
) -> None:
    from offline.services.cancellation import REASONS, CancelInput, HeirInput, cancel_card

    assert REASONS["missing"] == "持卡人失踪"
    person = make_person()
    person_id, _ = applied(person)
    make_card(person_id)
    with pytest.raises(ValidationError) as exc:
        cancel_card(ctx, CancelInput(ssn=person.doc_number, reason="missing", insurance_closed=True))
    assert "R-CAN-3" in exc.value.rules  # the heir acts, as for a death
    heir = HeirInput("张大", "resident_id", "430121199001011237", "heir", "法院宣告失踪判决书")
    result = cancel_card(
        ctx, CancelInput(ssn=person.doc_number, reason="missing", insurance_closed=True, heir=heir)
    )
    assert result.details["reason_zh"] == "持卡人失踪"


def test_R_ID_1_HN_3_overseas_chinese_applies_with_the_chinese_passport(
    ctx: ServiceContext, hubei_ctx: ServiceContext, make_person: Callable[..., Any]
) -> None:
    huaqiao = make_person(
        doc_type="cn_passport",
        doc_number="E12345678",
        birth_date="1980-05-01",
        sex="1",
        doc_valid_from="2020-01-01",
        doc_valid_to="2030-01-01",
        household_address="",
    )
    _apply(ctx, huaqiao)  # Hunan: HN 3
    with pytest.raises(ValidationError) as exc:
        _apply(hubei_ctx, dataclasses.replace(huaqiao, doc_number="E12345679"))
    assert "R-ID-1" in exc.value.rules and "HN 3" in str(exc.value)


def test_R_APP_1_R_APP_8_HB_11_13_document_images_and_signature_in_hubei(
    ctx: ServiceContext, hubei_ctx: ServiceContext, make_person: Callable[..., Any]
) -> None:
    with pytest.raises(ValidationError) as exc:
        _apply(hubei_ctx, make_person(), doc_scans=(), signed=False)
    assert {"doc_front_path", "signed"} <= {p.field for p in exc.value.problems}
    result = _apply(hubei_ctx, make_person())
    assert result.details["signed"] is True and result.details["doc_images"] == 2
    _apply(ctx, make_person(), doc_scans=(), signed=False)  # Hunan: the paper form is signed (HN 附件)
