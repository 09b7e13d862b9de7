"""cancel_card (item 3): R-CAN-1..3, R-ID-1; every card cancelled, reminder for the bank."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from offline.business import ServiceContext
from offline.errors import ValidationError
from offline.services.cancellation import BANK_REMINDER, CancelInput, HeirInput, cancel_card
from tests.helpers import one


@pytest.fixture
def with_cards(
    applied: Callable[..., Any], make_person: Callable[..., Any], make_card: Callable[..., int]
) -> Callable[..., tuple[Any, int, list[int]]]:
    def make(*statuses: str) -> tuple[Any, int, list[int]]:
        person = make_person()
        person_id, _ = applied(person)
        return person, person_id, [make_card(person_id, status=s) for s in statuses]

    return make


def heir(make_person: Callable[..., Any], **kw: Any) -> HeirInput:
    h = make_person()
    data = {
        "name": h.name,
        "doc_type": "resident_id",
        "doc_number": h.doc_number,
        "relation": "child",
        "inheritance_proof": "死亡医学证明 No.123 + 户口簿",
    }
    data.update(kw)
    return HeirInput(**data)


def test_R_CAN_1_abroad_cancels_every_valid_card_and_reminds_bank(
    ctx: ServiceContext, with_cards: Callable[..., Any]
) -> None:
    person, person_id, cards = with_cards("issued", "cancelled", "lost")
    result = cancel_card(
        ctx,
        CancelInput(
            ssn=person.doc_number, reason="abroad", insurance_closed=True, doc_number=person.doc_number
        ),
    )
    statuses = [
        r[0]
        for r in ctx.store.query("SELECT status FROM cards WHERE person_id = ? ORDER BY id", (person_id,))
    ]
    assert statuses == ["cancelled", "cancelled", "cancelled"]
    moves = ctx.store.query(
        "SELECT card_id, from_status FROM card_moves WHERE business_id = ?", (result.business_id,)
    )
    assert sorted((m[0], m[1]) for m in moves) == [(cards[0], "issued"), (cards[2], "lost")]
    assert one(ctx.store, "SELECT status FROM persons WHERE id = ?", (person_id,))[0] == "abroad"
    assert result.details["reminder"] == BANK_REMINDER  # R-CAN-2: bank account afterwards
    assert result.details["social_function_cancelled"] is True


def test_R_CAN_1_unknown_reason_and_other_without_note(
    ctx: ServiceContext, with_cards: Callable[..., Any]
) -> None:
    person, _, _ = with_cards("issued")
    with pytest.raises(ValidationError) as exc:
        cancel_card(
            ctx,
            CancelInput(
                ssn=person.doc_number, reason="moved", insurance_closed=True, doc_number=person.doc_number
            ),
        )
    assert exc.value.rules == ["R-CAN-1"]
    with pytest.raises(ValidationError) as exc2:
        cancel_card(
            ctx,
            CancelInput(
                ssn=person.doc_number, reason="other", insurance_closed=True, doc_number=person.doc_number
            ),
        )
    assert exc2.value.rules == ["R-CAN-1"]


def test_R_CAN_2_insurance_business_open_rejected_with_reason(
    ctx: ServiceContext, with_cards: Callable[..., Any], counts: Callable[[], dict[str, int]]
) -> None:
    person, _, _cards = with_cards("issued")
    before = counts()
    with pytest.raises(ValidationError) as exc:
        cancel_card(
            ctx,
            CancelInput(
                ssn=person.doc_number,
                reason="abroad",
                insurance_closed=False,
                doc_number=person.doc_number,
                open_insurance_business="养老保险待遇未结算",
            ),
        )
    assert exc.value.rules == ["R-CAN-2"] and "养老保险待遇未结算" in str(exc.value)
    assert counts() == before


def test_R_CAN_3_death_needs_heir_with_own_document_and_proof(
    ctx: ServiceContext,
    with_cards: Callable[..., Any],
    make_person: Callable[..., Any],
    counts: Callable[[], dict[str, int]],
) -> None:
    person, person_id, _ = with_cards("issued")
    before = counts()
    with pytest.raises(ValidationError) as exc:
        cancel_card(ctx, CancelInput(ssn=person.doc_number, reason="death", insurance_closed=True))
    assert exc.value.rules == ["R-CAN-3"]
    with pytest.raises(ValidationError) as exc2:
        cancel_card(
            ctx,
            CancelInput(
                ssn=person.doc_number,
                reason="death",
                insurance_closed=True,
                heir=heir(make_person, doc_number=person.doc_number, inheritance_proof=""),
            ),
        )
    assert {p.field for p in exc2.value.problems} == {"heir.doc_number", "heir.inheritance_proof"}
    assert counts() == before
    result = cancel_card(
        ctx, CancelInput(ssn=person.doc_number, reason="death", insurance_closed=True, heir=heir(make_person))
    )
    assert result.details["heir"]["inheritance_proof"].startswith("死亡医学证明")
    assert one(ctx.store, "SELECT status FROM persons WHERE id = ?", (person_id,))[0] == "deceased"


def test_R_ID_1_cancellation_by_holder_needs_own_document(
    ctx: ServiceContext, with_cards: Callable[..., Any]
) -> None:
    person, _, _ = with_cards("issued")
    with pytest.raises(ValidationError) as exc:
        cancel_card(
            ctx, CancelInput(ssn=person.doc_number, reason="abroad", insurance_closed=True, doc_number="")
        )
    assert exc.value.rules == ["R-ID-1"]


def test_R_CAN_1_open_application_cancelled_too(
    ctx: ServiceContext, applied: Callable[..., Any], make_person: Callable[..., Any]
) -> None:
    person = make_person()
    _person_id, first = applied(person, close=False)
    cancel_card(
        ctx,
        CancelInput(
            ssn=person.doc_number, reason="abroad", insurance_closed=True, doc_number=person.doc_number
        ),
    )
    row = one(
        ctx.store,
        "SELECT status, reject_reason FROM applications WHERE business_id = ?",
        (first.business_id,),
    )
    assert row["status"] == "cancelled" and "出国" in row["reject_reason"]
