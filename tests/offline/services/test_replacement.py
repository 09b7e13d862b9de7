"""replace_card / exchange_card (item 2): R-REP-1..5, R-APP-3, R-APP-10, R-ID-1, R-TRF-2."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from offline.business import ServiceContext
from offline.errors import ValidationError
from offline.services.exchange import ExchangeInput, exchange_card
from offline.services.replacement import ReplaceInput, replace_card
from tests.helpers import one


@pytest.fixture
def holder(
    applied: Callable[..., Any],
    make_person: Callable[..., Any],
    make_card: Callable[..., int],
    ctx: ServiceContext,
) -> Callable[..., tuple[Any, int, str]]:
    """A person with one card in the given status: (person input, card id, card number)."""

    def make(status: str = "issued", **card_kw: Any) -> tuple[Any, int, str]:
        person = make_person(**card_kw.pop("person_kw", {}))
        person_id, _ = applied(person)
        card_id = make_card(person_id, status=status, **card_kw)
        number = str(one(ctx.store, "SELECT card_number FROM cards WHERE id = ?", (card_id,))[0])
        return person, card_id, number

    return make


def card_status(ctx: ServiceContext, card_id: int) -> str:
    return str(one(ctx.store, "SELECT status FROM cards WHERE id = ?", (card_id,))[0])


# --------------------------------------------------------------------------- replacement


def test_R_REP_1_replacement_after_formal_loss_cancels_lost_card_and_charges_fee(
    ctx: ServiceContext, holder: Callable[..., Any], counts: Callable[[], dict[str, int]]
) -> None:
    person, card_id, number = holder("lost")
    result = replace_card(
        ctx,
        ReplaceInput(
            card_number=number,
            doc_number=person.doc_number,
            financial_account_closed=True,
            fee_receipt_no="湘财票 0001",
        ),
    )
    assert result.fee_fen == ctx.profile.fees_fen["replace"] > 0  # R-REP-5 / R-APP-10
    assert card_status(ctx, card_id) == "cancelled"
    move = one(ctx.store, "SELECT * FROM card_moves WHERE card_id = ?", (card_id,))
    assert (move["from_status"], move["to_status"], move["business_id"]) == (
        "lost",
        "cancelled",
        result.business_id,
    )
    new = one(ctx.store, "SELECT * FROM applications WHERE business_id = ?", (result.business_id,))
    assert (new["kind"], new["replaces_card_id"], new["status"]) == ("replace", card_id, "accepted")
    assert (
        one(ctx.store, "SELECT fee_fen FROM businesses WHERE id = ?", (result.business_id,))[0]
        == result.fee_fen
    )


@pytest.mark.parametrize("status", ["issued", "temp_lost"])
def test_R_REP_1_replacement_needs_formal_loss(
    ctx: ServiceContext, holder: Callable[..., Any], counts: Callable[[], dict[str, int]], status: str
) -> None:
    person, card_id, number = holder(status)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        replace_card(
            ctx,
            ReplaceInput(
                card_number=number,
                doc_number=person.doc_number,
                financial_account_closed=True,
                fee_receipt_no="湘财票 0001",
            ),
        )
    assert exc.value.rules == ["R-REP-1"]
    assert "正式挂失" in str(exc.value)
    assert counts() == before and card_status(ctx, card_id) == status


def test_R_REP_3_HB_24_replacement_refused_without_financial_account_confirmation_in_hubei(
    hubei_ctx: ServiceContext, holder: Callable[..., Any], counts: Callable[[], dict[str, int]]
) -> None:
    person, _, number = holder("lost")
    before = counts()
    with pytest.raises(ValidationError) as exc:
        replace_card(
            hubei_ctx,
            ReplaceInput(
                card_number=number,
                doc_number=person.doc_number,
                financial_account_closed=False,
                fee_receipt_no="湘财票 0001",
            ),
        )
    assert exc.value.rules == ["R-REP-3"]
    assert counts() == before


def test_R_ID_1_replacement_needs_the_holders_document(
    ctx: ServiceContext, holder: Callable[..., Any]
) -> None:
    _, _, number = holder("lost")
    with pytest.raises(ValidationError) as exc:
        replace_card(
            ctx,
            ReplaceInput(
                card_number=number,
                doc_number="430102199001011234",
                financial_account_closed=True,
                fee_receipt_no="湘财票 0001",
            ),
        )
    assert exc.value.rules == ["R-ID-1"]


# --------------------------------------------------------------------------- exchange


def exchange(number: str, person: Any, reason: str, **kw: Any) -> ExchangeInput:
    return ExchangeInput(
        card_number=number,
        reason=reason,
        doc_number=person.doc_number,
        financial_account_closed=kw.pop("financial_account_closed", True),
        fee_receipt_no=kw.pop("fee_receipt_no", "湘财票 0002"),  # HN 9: every 换卡 pays, receipted
        **kw,
    )


def test_R_REP_2_damage_exchange_keeps_old_card_valid_and_charges_fee(
    ctx: ServiceContext, holder: Callable[..., Any]
) -> None:
    person, card_id, number = holder("issued")
    result = exchange_card(ctx, exchange(number, person, "damage"))
    assert result.fee_fen == ctx.profile.fees_fen["exchange"] > 0
    assert card_status(ctx, card_id) == "issued"  # cancelled only when the new card is issued
    new = one(ctx.store, "SELECT * FROM applications WHERE business_id = ?", (result.business_id,))
    assert (new["kind"], new["reason"], new["replaces_card_id"]) == ("exchange", "damage", card_id)
    assert one(ctx.store, "SELECT COUNT(*) FROM card_moves WHERE card_id = ?", (card_id,))[0] == 0


def test_R_REP_2_HN_9_expiry_exchange_after_ten_years_pays_the_fee_in_hunan(
    ctx: ServiceContext, hubei_ctx: ServiceContext, holder: Callable[..., Any]
) -> None:
    person, _, number = holder("issued", issue_date="2016-01-10")  # HB 2: 10 years from issue → 2026-01-10
    result = exchange_card(ctx, exchange(number, person, "expiry"))
    assert result.fee_fen == ctx.profile.fees_fen["exchange"] > 0  # HN 9: every 换卡
    assert hubei_ctx.profile.fees_fen["exchange"] == 0  # HB states no fee


def test_R_REP_2_expiry_refused_before_the_card_expires(
    ctx: ServiceContext, holder: Callable[..., Any], counts: Callable[[], dict[str, int]]
) -> None:
    person, _, number = holder("issued", issue_date="2020-06-01")
    before = counts()
    with pytest.raises(ValidationError) as exc:
        exchange_card(ctx, exchange(number, person, "expiry"))
    assert exc.value.rules == ["R-REP-2"] and "2030-06-01" in str(exc.value)
    assert counts() == before


def test_R_REP_2_cartoon_card_after_age_7(
    ctx: ServiceContext, holder: Callable[..., Any], make_person: Callable[..., Any], photo: bytes
) -> None:
    from offline.validation import RepresentativeInput

    parent = make_person()
    guardian = RepresentativeInput(
        name=parent.name,
        doc_type="resident_id",
        doc_number=parent.doc_number,
        relation="parent",
        proof="户口簿",
    )
    person, _, number = holder("issued", cartoon=True, person_kw={"age": 8, "guardian": guardian})
    result = exchange_card(ctx, exchange(number, person, "cartoon_after_7", photo=photo))
    assert result.fee_fen == ctx.profile.fees_fen["exchange"]  # HN 9
    young, _, young_number = holder(
        "issued", cartoon=True, person_kw={"age": 5, "guardian": guardian, "photo": None}
    )
    with pytest.raises(ValidationError) as exc:
        exchange_card(ctx, exchange(young_number, young, "cartoon_after_7", photo=photo))
    assert exc.value.rules == ["R-REP-2"]


def test_R_REP_2_unknown_reason_and_key_info_route(ctx: ServiceContext, holder: Callable[..., Any]) -> None:
    person, _, number = holder("issued")
    with pytest.raises(ValidationError) as exc:
        exchange_card(ctx, exchange(number, person, "bored"))
    assert exc.value.rules == ["R-REP-2"]
    with pytest.raises(ValidationError) as exc2:
        exchange_card(ctx, exchange(number, person, "key_info_changed"))
    assert exc2.value.rules == ["R-INFO-1"]


def test_R_REP_3_HB_24_exchange_refused_without_financial_account_confirmation_in_hubei(
    hubei_ctx: ServiceContext, holder: Callable[..., Any], counts: Callable[[], dict[str, int]]
) -> None:
    person, _, number = holder("issued")
    before = counts()
    with pytest.raises(ValidationError) as exc:
        exchange_card(hubei_ctx, exchange(number, person, "damage", financial_account_closed=False))
    assert exc.value.rules == ["R-REP-3"]
    assert counts() == before


def test_HN_25_hunan_holder_is_not_sent_to_the_bank_first(
    ctx: ServiceContext, holder: Callable[..., Any]
) -> None:
    """HB 24 is Hubei's rule; in Hunan the bank connects old and new accounts (HN 25)."""
    person, _, number = holder("issued")
    result = exchange_card(ctx, exchange(number, person, "damage", financial_account_closed=False))
    assert result.details["financial_account_closed"] is False


def test_R_APP_10_HN_9_fee_needs_its_receipt_number(
    ctx: ServiceContext, holder: Callable[..., Any], counts: Callable[[], dict[str, int]]
) -> None:
    person, _, number = holder("issued")
    before = counts()
    with pytest.raises(ValidationError) as exc:
        exchange_card(ctx, exchange(number, person, "expiry", fee_receipt_no=""))
    assert "fee_receipt_no" in {p.field for p in exc.value.problems} and counts() == before


def test_R_APP_5_HB_6_in_person_exchange_is_instant_or_fast_in_hubei(
    hubei_ctx: ServiceContext, holder: Callable[..., Any]
) -> None:
    person, _, number = holder("issued")
    with pytest.raises(ValidationError) as exc:
        exchange_card(hubei_ctx, exchange(number, person, "damage", mode="batch"))
    assert "R-APP-5" in exc.value.rules and "HB 6" in str(exc.value)


def test_R_ID_1_replacement_refused_with_an_expired_document(
    ctx: ServiceContext, holder: Callable[..., Any]
) -> None:
    person, person_id, number = holder("lost")
    with ctx.store.write() as conn:
        conn.execute("UPDATE persons SET doc_valid_to = '2025-01-01' WHERE id = ?", (person_id,))
    with pytest.raises(ValidationError) as exc:
        replace_card(
            ctx,
            ReplaceInput(number, person.doc_number, financial_account_closed=True, fee_receipt_no="湘财票 1"),
        )
    assert "R-ID-1" in exc.value.rules and "过期" in str(exc.value)


def test_R_REP_4_new_bank_only_after_expiry(ctx: ServiceContext, holder: Callable[..., Any]) -> None:
    person, _, number = holder("issued", issue_date="2020-06-01")
    with pytest.raises(ValidationError) as exc:
        exchange_card(ctx, exchange(number, person, "damage", bank="中国建设银行"))
    assert exc.value.rules == ["R-REP-4"]
    old, _, old_number = holder("issued", issue_date="2015-06-01")
    result = exchange_card(ctx, exchange(old_number, old, "expiry", bank="中国建设银行"))
    assert result.details["bank"] == "中国建设银行"


def test_R_REP_4_rural_pension_contract_keeps_the_bank(
    ctx: ServiceContext, holder: Callable[..., Any]
) -> None:
    person, _, number = holder("issued", issue_date="2015-06-01")
    with pytest.raises(ValidationError) as exc:
        exchange_card(
            ctx, exchange(number, person, "expiry", bank="中国建设银行", rural_pension_contract=True)
        )
    assert exc.value.rules == ["R-REP-4"]


def test_R_APP_3_second_exchange_while_one_is_in_flight_refused(
    ctx: ServiceContext, holder: Callable[..., Any]
) -> None:
    person, _, number = holder("issued")
    first = exchange_card(ctx, exchange(number, person, "damage"))
    with pytest.raises(ValidationError) as exc:
        exchange_card(ctx, exchange(number, person, "unreadable_face"))
    assert exc.value.rules == ["R-APP-3"] and first.receipt_no in str(exc.value)


def test_R_TRF_2_bank_change_exchange_needs_approval(ctx: ServiceContext, holder: Callable[..., Any]) -> None:
    person, _, number = holder("issued")
    with pytest.raises(ValidationError) as exc:
        exchange_card(ctx, exchange(number, person, "bank_change"))
    assert exc.value.rules == ["R-TRF-2"]


def test_R_REP_2_exchange_only_of_issued_card(ctx: ServiceContext, holder: Callable[..., Any]) -> None:
    person, _, number = holder("lost")
    with pytest.raises(ValidationError) as exc:
        exchange_card(ctx, exchange(number, person, "damage"))
    assert "R-REP-2" in exc.value.rules
