"""change_bank (item 17): R-TRF-2 / R-APP-4 (HN 24); approval by downlink, then the exchange."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from offline.business import ServiceContext
from offline.errors import ValidationError
from offline.services.bank_change import BankChangeInput, change_bank, record_decision
from offline.services.exchange import ExchangeInput, exchange_card
from tests.helpers import one


@pytest.fixture
def holder(
    applied: Callable[..., Any],
    make_person: Callable[..., Any],
    make_card: Callable[..., int],
    ctx: ServiceContext,
) -> tuple[Any, int, str]:
    person = make_person()
    person_id, _ = applied(person)
    card_id = make_card(person_id, status="issued", bank="中国农业银行")
    return person, card_id, str(one(ctx.store, "SELECT card_number FROM cards WHERE id = ?", (card_id,))[0])


def request(holder: tuple[Any, int, str], **kw: Any) -> BankChangeInput:
    person, _, number = holder
    data: dict[str, Any] = {
        "card_number": number,
        "doc_number": person.doc_number,
        "new_bank": "中国建设银行",
        "reason": "工资代发银行变更",
        "documents": ("变更发卡银行申请表",),
    }
    data.update(kw)
    return BankChangeInput(**data)


def test_R_TRF_2_bank_change_filed_pending_with_five_working_day_deadline(
    ctx: ServiceContext, holder: tuple[Any, int, str], counts: Callable[[], dict[str, int]]
) -> None:
    result = change_bank(ctx, request(holder))
    row = one(ctx.store, "SELECT * FROM bank_change_requests WHERE business_id = ?", (result.business_id,))
    assert (row["status"], row["old_bank"], row["new_bank"]) == ("pending", "中国农业银行", "中国建设银行")
    assert row["deadline"] == "2026-03-09"  # Monday + 5 working days
    assert counts()["applications"] == 1  # only the first application: no exchange before approval


def test_R_APP_4_new_bank_must_cooperate_and_differ(
    ctx: ServiceContext, holder: tuple[Any, int, str], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(ValidationError) as exc:
        change_bank(ctx, request(holder, new_bank="某某村镇银行"))
    assert exc.value.rules == ["R-APP-4"]
    with pytest.raises(ValidationError) as exc2:
        change_bank(ctx, request(holder, new_bank="中国农业银行"))
    assert exc2.value.rules == ["R-TRF-2"]
    assert counts() == before


def test_R_TRF_2_supporting_documents_required(ctx: ServiceContext, holder: tuple[Any, int, str]) -> None:
    with pytest.raises(ValidationError) as exc:
        change_bank(ctx, request(holder, documents=(" ",)))
    assert [p.field for p in exc.value.problems] == ["documents"]


def test_R_TRF_2_one_request_at_a_time(ctx: ServiceContext, holder: tuple[Any, int, str]) -> None:
    first = change_bank(ctx, request(holder))
    with pytest.raises(ValidationError) as exc:
        change_bank(ctx, request(holder, new_bank="中国银行"))
    assert first.receipt_no in str(exc.value)


def test_R_TRF_2_approval_then_exchange_to_the_new_bank(
    ctx: ServiceContext, holder: tuple[Any, int, str]
) -> None:
    person, card_id, number = holder
    filed = change_bank(ctx, request(holder))
    exchange = ExchangeInput(
        card_number=number,
        reason="bank_change",
        doc_number=person.doc_number,
        financial_account_closed=True,
        fee_receipt_no="湘财票 0004",
    )
    with pytest.raises(ValidationError):  # not approved yet
        exchange_card(ctx, exchange)
    with ctx.store.write() as conn:
        assert record_decision(
            conn, receipt_no=filed.receipt_no, approved=True, reason="同意", at="2026-03-05T09:00:00+08:00"
        )
        assert not record_decision(
            conn, receipt_no=filed.receipt_no, approved=True, reason="同意", at="x"
        )  # repeat: no-op
    result = exchange_card(ctx, exchange)
    assert result.details["bank"] == "中国建设银行" and result.fee_fen == ctx.profile.fees_fen["exchange"]
    app = one(
        ctx.store,
        "SELECT bank, replaces_card_id FROM applications WHERE business_id = ?",
        (result.business_id,),
    )
    assert (app["bank"], app["replaces_card_id"]) == ("中国建设银行", card_id)
    assert one(ctx.store, "SELECT status FROM bank_change_requests")[0] == "used"


def test_R_TRF_2_only_issued_cards(
    ctx: ServiceContext,
    applied: Callable[..., Any],
    make_person: Callable[..., Any],
    make_card: Callable[..., int],
) -> None:
    person = make_person()
    person_id, _ = applied(person)
    card_id = make_card(person_id, status="lost")
    number = str(one(ctx.store, "SELECT card_number FROM cards WHERE id = ?", (card_id,))[0])
    with pytest.raises(ValidationError) as exc:
        change_bank(ctx, request((person, card_id, number)))
    assert exc.value.rules == ["R-TRF-2"]
