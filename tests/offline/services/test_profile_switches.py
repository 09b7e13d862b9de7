"""Rules one province states are profile settings, not tests of the province's name.

A made-up third profile ("测试省", built from the Hunan one) turns each switch on and off; the
services follow the setting whatever the province is called. Rules: R-APP-1 / R-APP-8 (HB 11, 13,
39), R-APP-5 (HB 6), R-REP-3 (HB 24, HN 25), R-CAN-2 (HB 33), R-ID-1 (HN 3).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from offline.business import ServiceContext
from offline.errors import ValidationError
from offline.profiles import load_profile
from offline.services.applications import ApplicationInput, apply_card
from offline.services.exchange import ExchangeInput, exchange_card
from offline.validation import validate_person
from tests.helpers import one

SWITCHES = (
    "window_doc_images_and_signature",
    "in_person_instant_or_fast",
    "financial_account_closed_first",
    "new_card_needs_old_account_closed",
    "overseas_chinese_passport",
)


def made_up(ctx: ServiceContext, **switches: Any) -> ServiceContext:
    """The shared context under a third province that exists only here."""
    base = load_profile("hunan")
    profile = dataclasses.replace(base, province="testland", name_zh="测试省", **switches)
    return dataclasses.replace(ctx, profile=profile)


def refused(fn: Callable[[], Any], field: str) -> bool:
    """True when `fn` is refused naming `field`; False when it goes through."""
    try:
        fn()
    except ValidationError as exc:
        assert field in {p.field for p in exc.problems}, exc.problems
        return True
    return False


def _apply(ctx: ServiceContext, person: Any, **kw: Any) -> Any:
    return apply_card(
        ctx,
        ApplicationInput(person, kw.pop("channel", "local"), kw.pop("mode", "fast"), "中国农业银行", **kw),
    )


def test_both_bundled_profiles_set_every_switch_from_their_articles() -> None:
    hubei, hunan = load_profile("hubei"), load_profile("hunan")
    assert all(getattr(hubei, s) is True for s in SWITCHES[:4]) and hubei.overseas_chinese_passport is False
    assert all(getattr(hunan, s) is False for s in SWITCHES[:4]) and hunan.overseas_chinese_passport is True
    assert (
        hubei.source["in_person_instant_or_fast"] == "HB 6"
        and hunan.source["overseas_chinese_passport"] == "HN 3"
    )


@pytest.mark.parametrize("on", [True, False])
def test_R_APP_1_R_APP_8_HB_11_13_window_images_and_signature_follow_the_setting(
    ctx: ServiceContext, make_person: Callable[..., Any], on: bool
) -> None:
    c = made_up(ctx, window_doc_images_and_signature=on)
    assert refused(lambda: _apply(c, make_person(), doc_scans=(), signed=False), "signed") is on


@pytest.mark.parametrize("on", [True, False])
def test_R_APP_5_HB_6_in_person_batch_follows_the_setting(
    ctx: ServiceContext, make_person: Callable[..., Any], on: bool
) -> None:
    c = made_up(ctx, in_person_instant_or_fast=on)
    assert refused(lambda: _apply(c, make_person(), mode="batch"), "mode") is on


@pytest.mark.parametrize("on", [True, False])
def test_R_REP_3_HB_24_financial_account_first_follows_the_setting(
    ctx: ServiceContext,
    applied: Callable[..., Any],
    make_person: Callable[..., Any],
    make_card: Callable[..., int],
    on: bool,
) -> None:
    person = make_person()
    person_id, _ = applied(person)
    card_id = make_card(person_id, status="issued")
    number = str(one(ctx.store, "SELECT card_number FROM cards WHERE id = ?", (card_id,))[0])
    c = made_up(ctx, financial_account_closed_first=on)
    inp = ExchangeInput(
        card_number=number,
        reason="damage",
        doc_number=person.doc_number,
        financial_account_closed=False,
        fee_receipt_no="测财票 0001",
    )
    assert refused(lambda: exchange_card(c, inp), "financial_account_closed") is on


@pytest.mark.parametrize("on", [True, False])
def test_R_CAN_2_HB_33_old_account_closed_first_follows_the_setting(
    ctx: ServiceContext, make_person: Callable[..., Any], make_card: Callable[..., int], on: bool
) -> None:
    c = made_up(ctx, new_card_needs_old_account_closed=on)
    person = make_person()
    result = _apply(c, person)
    pid = one(ctx.store, "SELECT person_id FROM businesses WHERE id = ?", (result.business_id,))[0]
    with ctx.store.write() as conn:
        conn.execute("UPDATE applications SET status = 'cancelled' WHERE person_id = ?", (pid,))
    make_card(pid, status="cancelled")
    assert refused(lambda: _apply(c, person), "old_account_closed") is on


@pytest.mark.parametrize("on", [True, False])
def test_R_ID_1_HN_3_overseas_chinese_passport_follows_the_setting(
    make_person: Callable[..., Any], on: bool
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
    base = load_profile("hubei")  # named Hubei, yet the setting decides
    profile = dataclasses.replace(base, overseas_chinese_passport=on)
    problems = validate_person(huaqiao, today=date(2026, 3, 2), profile=profile)
    assert ("doc_type" in {p.field for p in problems if p.rule == "R-ID-1"}) is (not on)
