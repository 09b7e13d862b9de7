"""change_info (item 12, R-INFO-2) and change_key_info (item 13, R-INFO-1 + forced exchange)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from offline.business import ServiceContext
from offline.errors import ValidationError
from offline.services.info_changes import InfoChangeInput, KeyInfoChangeInput, change_info, change_key_info
from tests.helpers import one


@pytest.fixture
def holder(
    applied: Callable[..., Any], make_person: Callable[..., Any], make_card: Callable[..., int]
) -> Callable[..., tuple[Any, int, int | None]]:
    def make(card_status: str | None = "issued") -> tuple[Any, int, int | None]:
        person = make_person()
        person_id, _ = applied(person)
        card_id = make_card(person_id, status=card_status) if card_status else None
        return person, person_id, card_id

    return make


def test_R_INFO_2_non_key_change_records_old_and_new_without_new_card(
    ctx: ServiceContext, holder: Callable[..., Any], counts: Callable[[], dict[str, int]], sealer: Any
) -> None:
    person, person_id, _ = holder()
    apps_before = counts()["applications"]
    result = change_info(
        ctx,
        InfoChangeInput(
            ssn=person.doc_number,
            doc_number=person.doc_number,
            phone="13912345678",
            ethnicity="03",
            doc_valid_to="长期",
        ),
    )
    row = one(ctx.store, "SELECT phone, ethnicity, doc_valid_to FROM persons WHERE id = ?", (person_id,))
    assert (row["phone"], row["ethnicity"], row["doc_valid_to"]) == ("13912345678", "03", "")
    assert result.details["changes"]["phone"] == {"old": person.phone, "new": "13912345678"}
    assert result.details["new_card"] is False
    assert counts()["applications"] == apps_before  # no exchange
    sealed = [json.loads(p) for _, p in sealer.sealed if p.startswith(b"{")]
    assert any(s["receipt_no"] == result.receipt_no and "changes" in s["details"] for s in sealed)


def test_R_INFO_2_bad_codes_and_phone_rejected(
    ctx: ServiceContext, holder: Callable[..., Any], counts: Callable[[], dict[str, int]]
) -> None:
    person, _, _ = holder()
    before = counts()
    with pytest.raises(ValidationError) as exc:
        change_info(
            ctx,
            InfoChangeInput(
                ssn=person.doc_number, doc_number=person.doc_number, ethnicity="77", phone="12345"
            ),
        )
    assert {p.field for p in exc.value.problems} == {"ethnicity", "phone"}
    assert counts() == before


def test_R_INFO_2_nothing_changed_rejected(ctx: ServiceContext, holder: Callable[..., Any]) -> None:
    person, _, _ = holder()
    with pytest.raises(ValidationError) as exc:
        change_info(
            ctx, InfoChangeInput(ssn=person.doc_number, doc_number=person.doc_number, phone=person.phone)
        )
    assert exc.value.rules == ["R-INFO-2"]


def test_R_ID_3_sex_change_against_citizen_number_goes_to_key_change(
    ctx: ServiceContext, holder: Callable[..., Any]
) -> None:
    person, _, _ = holder()
    other = "2" if person.sex == "1" else "1"
    with pytest.raises(ValidationError) as exc:
        change_info(ctx, InfoChangeInput(ssn=person.doc_number, doc_number=person.doc_number, sex=other))
    assert exc.value.rules == ["R-ID-3"]


def test_R_ID_1_non_key_change_needs_document(ctx: ServiceContext, holder: Callable[..., Any]) -> None:
    person, _, _ = holder()
    with pytest.raises(ValidationError) as exc:
        change_info(ctx, InfoChangeInput(ssn=person.doc_number, doc_number="X", phone="13912345678"))
    assert exc.value.rules == ["R-ID-1"]


# --------------------------------------------------------------------------- key information


def new_number(old: str) -> str:
    from offline.validation.ids import ssn_check_digit

    first17 = old[:14] + f"{(int(old[14:17]) + 2) % 1000:03d}"
    return first17 + ssn_check_digit(first17)


def test_R_INFO_1_HN_9_name_change_forces_exchange_with_fee_in_same_transaction(
    ctx: ServiceContext, holder: Callable[..., Any]
) -> None:
    person, person_id, card_id = holder()
    result = change_key_info(
        ctx,
        KeyInfoChangeInput(
            ssn=person.doc_number,
            doc_number=person.doc_number,
            financial_account_closed=True,
            fee_receipt_no="湘财票 0003",
            new_name="王新名",
            police_proof="长沙市公安局更名证明 2026-018",
        ),
    )
    assert result.item == "key_info_change" and result.fee_fen == ctx.profile.fees_fen["exchange"] > 0  # HN 9
    assert result.details["fee_receipt_no"] == "湘财票 0003"
    row = one(ctx.store, "SELECT name, name_initials FROM persons WHERE id = ?", (person_id,))
    assert (row["name"], row["name_initials"]) == ("王新名", "wxm")
    exch = one(ctx.store, "SELECT * FROM applications WHERE business_id = ?", (result.business_id,))
    assert (exch["kind"], exch["reason"], exch["replaces_card_id"]) == (
        "exchange",
        "key_info_changed",
        card_id,
    )
    assert result.details["key_changes"]["name"] == {"old": person.name, "new": "王新名"}


def test_R_INFO_1_name_change_needs_police_proof(
    ctx: ServiceContext, holder: Callable[..., Any], counts: Callable[[], dict[str, int]]
) -> None:
    person, _, _ = holder()
    before = counts()
    with pytest.raises(ValidationError) as exc:
        change_key_info(
            ctx,
            KeyInfoChangeInput(
                ssn=person.doc_number,
                doc_number=person.doc_number,
                financial_account_closed=True,
                fee_receipt_no="湘财票 0003",
                new_name="王新名",
            ),
        )
    assert exc.value.rules == ["R-INFO-1"]
    assert counts() == before


def test_R_INFO_1_number_change_updates_ssn_birth_and_document(
    ctx: ServiceContext, holder: Callable[..., Any]
) -> None:
    person, person_id, _ = holder()
    new = new_number(person.doc_number)
    change_key_info(
        ctx,
        KeyInfoChangeInput(
            ssn=person.doc_number,
            doc_number=new,
            financial_account_closed=True,
            fee_receipt_no="湘财票 0003",
            new_ssn=new,
            police_proof="公安改号证明 18",
        ),
    )
    row = one(ctx.store, "SELECT ssn, doc_number, birth_date FROM persons WHERE id = ?", (person_id,))
    assert (row["ssn"], row["doc_number"]) == (new, new)
    assert date.fromisoformat(row["birth_date"]).strftime("%Y%m%d") == new[6:14]


def test_R_APP_3_new_number_already_held_by_another_person_rejected(
    ctx: ServiceContext, holder: Callable[..., Any], counts: Callable[[], dict[str, int]]
) -> None:
    person, _, _ = holder()
    other, _, _ = holder()
    before = counts()
    with pytest.raises(ValidationError) as exc:
        change_key_info(
            ctx,
            KeyInfoChangeInput(
                ssn=person.doc_number,
                doc_number=person.doc_number,
                financial_account_closed=True,
                fee_receipt_no="湘财票 0003",
                new_ssn=other.doc_number,
                police_proof="公安改号证明 19",
            ),
        )
    assert exc.value.rules == ["R-APP-3"]
    assert counts() == before


def test_R_INFO_1_photo_change_without_police_proof_and_bad_photo_refused(
    ctx: ServiceContext, holder: Callable[..., Any], photo: bytes
) -> None:
    person, _, _ = holder()
    with pytest.raises(ValidationError) as exc:
        change_key_info(
            ctx,
            KeyInfoChangeInput(
                ssn=person.doc_number,
                doc_number=person.doc_number,
                financial_account_closed=True,
                fee_receipt_no="湘财票 0003",
                new_photo=b"not a jpeg",
            ),
        )
    assert exc.value.rules == ["R-APP-2"]
    result = change_key_info(
        ctx,
        KeyInfoChangeInput(
            ssn=person.doc_number,
            doc_number=person.doc_number,
            financial_account_closed=True,
            fee_receipt_no="湘财票 0003",
            new_photo=photo,
        ),
    )
    assert "photo" in result.details["key_changes"]


def test_R_INFO_1_refused_while_a_card_is_in_production(
    ctx: ServiceContext, applied: Callable[..., Any], make_person: Callable[..., Any]
) -> None:
    person = make_person()
    _, first = applied(person, close=False)
    with pytest.raises(ValidationError) as exc:
        change_key_info(
            ctx,
            KeyInfoChangeInput(
                ssn=person.doc_number,
                doc_number=person.doc_number,
                financial_account_closed=True,
                fee_receipt_no="湘财票 0003",
                new_name="王新名",
                police_proof="证明",
            ),
        )
    assert exc.value.rules == ["R-INFO-1"] and first.receipt_no in str(exc.value)


def test_R_REP_3_HB_24_key_change_with_card_needs_financial_confirmation_in_hubei(
    hubei_ctx: ServiceContext, holder: Callable[..., Any]
) -> None:
    person, _, _ = holder()
    with pytest.raises(ValidationError) as exc:
        change_key_info(
            hubei_ctx,
            KeyInfoChangeInput(
                ssn=person.doc_number,
                doc_number=person.doc_number,
                financial_account_closed=False,
                fee_receipt_no="湘财票 0003",
                new_name="王新名",
                police_proof="证明",
            ),
        )
    assert exc.value.rules == ["R-REP-3"]


def test_R_INFO_1_without_card_in_use_no_exchange(ctx: ServiceContext, holder: Callable[..., Any]) -> None:
    person, _, _ = holder(card_status="cancelled")
    result = change_key_info(
        ctx,
        KeyInfoChangeInput(
            ssn=person.doc_number,
            doc_number=person.doc_number,
            financial_account_closed=False,
            fee_receipt_no="湘财票 0003",
            new_name="王新名",
            police_proof="证明",
        ),
    )
    assert result.details["new_card"] is False
    assert (
        one(ctx.store, "SELECT COUNT(*) FROM applications WHERE business_id = ?", (result.business_id,))[0]
        == 0
    )


def test_R_APP_1_info_change_takes_what_people_type(ctx: ServiceContext, holder: Callable[..., Any]) -> None:
    """138-1234-5678, 回 (ethnicity without 族) and 2040.1.1 are stored in standard form."""
    from offline.services.info_changes import InfoChangeInput, change_info

    person, _, _ = holder()
    change_info(
        ctx,
        InfoChangeInput(
            ssn=person.doc_number,
            doc_number=person.doc_number,
            phone="139-1234-5678",
            ethnicity="回",
            doc_valid_to="2040.1.1",
        ),
    )
    row = one(
        ctx.store, "SELECT phone, ethnicity, doc_valid_to FROM persons WHERE ssn = ?", (person.doc_number,)
    )
    assert (row["phone"], row["ethnicity"], row["doc_valid_to"]) == ("13912345678", "03", "2040-01-01")


@pytest.mark.parametrize("bad", ["张3", "Zhang San", "张  三", "张" * 40])
def test_R_INFO_1_R_APP_1_new_name_validated_like_a_new_application(
    ctx: ServiceContext, holder: Callable[..., Any], counts: Callable[[], dict[str, int]], bad: str
) -> None:
    person, _, _ = holder()
    before = counts()
    with pytest.raises(ValidationError) as exc:
        change_key_info(
            ctx,
            KeyInfoChangeInput(
                ssn=person.doc_number,
                doc_number=person.doc_number,
                financial_account_closed=True,
                fee_receipt_no="湘财票 0003",
                new_name=bad,
                police_proof="更名证明 2026-018",
            ),
        )
    assert "new_name" in {p.field for p in exc.value.problems} and "R-APP-1" in exc.value.rules
    assert counts() == before
