"""Where the holder collects: mailed cards are never collected at the window (HB 27, HN 18, HB 40).

A sleeping card handed back by its unit is back in stock and collectable (R-ISS-6).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from offline.business import ServiceContext
from offline.services.queries import card_progress

MAIL = "湖南省长沙市芙蓉区五一大道100号"


def _arrive(ctx: ServiceContext, business_id: int) -> None:
    with ctx.store.write() as conn:
        conn.execute("UPDATE applications SET status = 'arrived' WHERE business_id = ?", (business_id,))


@pytest.mark.parametrize("channel", ["online", "remote"])
def test_HB_27_HN_18_HB_40_mailed_card_is_not_collected_at_the_window(
    ctx: ServiceContext, make_person: Callable[..., Any], applied: Callable[..., Any], channel: str
) -> None:
    person = dataclasses.replace(make_person(), mailing_address=MAIL)
    _pid, result = applied(person, close=False, channel=channel)
    assert result.details["mailing"] is True
    _arrive(ctx, result.business_id)
    text = "\n".join(card_progress(ctx, ssn=person.doc_number).lines)
    assert "邮寄" in text and "领取" not in text


def test_HB_27_window_card_is_collected_at_the_window(
    ctx: ServiceContext, make_person: Callable[..., Any], applied: Callable[..., Any]
) -> None:
    person = make_person()
    _pid, result = applied(person, close=False)
    _arrive(ctx, result.business_id)
    text = "\n".join(card_progress(ctx, ssn=person.doc_number).lines)
    assert "请持本人有效身份证件和领卡回执" in text
