"""Card stock (item 18): sign-in R-ISS-1, contact deadline R-ISS-2, unit collection, ageing R-ISS-6."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from offline.business import ServiceContext
from offline.errors import DomainError, PermissionDenied, ValidationError
from offline.services.stock import (
    AgeStockInput,
    ArrivingCard,
    ReceiveInput,
    UnitCollectInput,
    age_stock,
    list_stock,
    receive_cards,
    record_contact,
    shipped_cards,
    unit_collect,
)
from tests.offline.cards.conftest import CST, add_card, add_person, card, card_number, counts, one


def test_R_ISS_1_sign_in_known_cards_moves_them_to_arrived(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    c1 = add_card(hn.store, pid, status="shipped", serial=1, arrived_at="")
    pid2 = add_person(hn.store, name="王五", seq=2)
    c2 = add_card(hn.store, pid2, status="produced", serial=2, arrived_at="")
    assert shipped_cards(hn.store) == [card_number(1)]
    result = receive_cards(hn, ReceiveInput.from_numbers([card_number(1), card_number(2)], source="shipment"))
    for cid in (c1, c2):
        row = card(hn.store, cid)
        assert row["status"] == "arrived"
        assert row["arrived_at"] == hn.now_iso()
    moves = hn.store.query("SELECT from_status, to_status, business_id FROM card_moves ORDER BY id")
    assert [(m[0], m[1]) for m in moves] == [("shipped", "arrived"), ("produced", "arrived")]
    assert all(m[2] == result.business_id for m in moves)
    biz = one(hn.store, "SELECT * FROM businesses WHERE id = ?", (result.business_id,))
    assert biz["item"] == "stock"
    assert json.loads(biz["details"])["card_numbers"] == [card_number(1), card_number(2)]
    assert one(hn.store, "SELECT COUNT(*) FROM outbox WHERE business_id = ?", (result.business_id,))[0] == 1


def test_R_ISS_2_contact_deadline_counts_working_days(hn: ServiceContext, at) -> None:  # type: ignore[no-untyped-def]
    pid = add_person(hn.store)
    cid = add_card(hn.store, pid, status="shipped", arrived_at="")
    # Friday 2025-02-28: Hunan's 2 working days → Tuesday 2025-03-04 (weekend skipped).
    friday = at(hn, datetime(2025, 2, 28, 16, 0, tzinfo=CST))
    receive_cards(friday, ReceiveInput.from_numbers([card_number(1)]))
    assert card(hn.store, cid)["contact_deadline"] == "2025-03-04"


def test_R_ISS_2_contact_deadline_skips_public_holidays(hb: ServiceContext, at) -> None:  # type: ignore[no-untyped-def]
    pid = add_person(hb.store)
    cid = add_card(hb.store, pid, status="shipped", arrived_at="")
    # 2025-09-30 (Tue) + 3 working days in Hubei: National Day holiday 10-01..10-08, 10-09, 10-10 and the make-up Saturday 10-11.
    ctx = at(hb, datetime(2025, 9, 30, 10, 0, tzinfo=CST))
    receive_cards(ctx, ReceiveInput.from_numbers([card_number(1)]))
    assert card(hb.store, cid)["contact_deadline"] == "2025-10-11"


def test_R_ISS_1_unknown_card_needs_ssn_and_bank_nothing_written(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    add_card(hn.store, pid, status="shipped", serial=1, arrived_at="")
    before = counts(hn.store)
    with pytest.raises(ValidationError) as err:
        receive_cards(hn, ReceiveInput.from_numbers([card_number(1), card_number(9)]))
    assert "R-ISS-1" in err.value.rules
    assert card_number(9) in str(err.value)
    assert counts(hn.store) == before
    assert one(hn.store, "SELECT status FROM cards WHERE card_number = ?", (card_number(1),))[0] == "shipped"


def test_R_ISS_1_unknown_card_with_ssn_is_created_and_arrives(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    ssn = one(hn.store, "SELECT ssn FROM persons WHERE id = ?", (pid,))[0]
    receive_cards(hn, ReceiveInput((ArrivingCard(card_number(5), ssn=ssn, bank="中国银行"),)))
    row = one(hn.store, "SELECT * FROM cards WHERE card_number = ?", (card_number(5),))
    assert row["person_id"] == pid and row["status"] == "arrived" and row["bank"] == "中国银行"


def test_R_ISS_1_refuses_bad_number_duplicate_and_already_arrived(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    add_card(hn.store, pid, status="arrived", serial=1)
    bad = card_number(2)[:-1] + ("0" if card_number(2)[-1] != "0" else "1")
    with pytest.raises(ValidationError) as err:
        receive_cards(hn, ReceiveInput.from_numbers([bad, card_number(3), card_number(3)]))
    text = str(err.value)
    assert bad in text and "重复" in text
    with pytest.raises(ValidationError) as err2:
        receive_cards(hn, ReceiveInput.from_numbers([card_number(1)]))
    assert "不能入库" in str(err2.value)
    assert counts(hn.store)["businesses"] == 0


def test_R_ISS_2_record_contact(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    cid = add_card(hn.store, pid, status="arrived", contact_deadline="2025-03-01")
    result = record_contact(hn, cid, "phone", "本人接听")
    row = card(hn.store, cid)
    assert row["contacted_at"] == hn.now_iso() and row["contact_how"] == "phone"
    assert result.details["late"] is True  # deadline 03-01 passed on 03-03
    with pytest.raises(ValidationError):
        record_contact(hn, cid, "pigeon")


def test_R_ISS_2_contact_refused_for_issued_card(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    cid = add_card(hn.store, pid, status="issued")
    before = counts(hn.store)
    with pytest.raises(DomainError) as err:
        record_contact(hn, cid, "sms")
    assert err.value.rules == ["R-ISS-2"]
    assert counts(hn.store) == before


def test_R_ID_4_unit_collect_needs_letter_and_agent(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    cid = add_card(hn.store, pid, status="arrived")
    with pytest.raises(ValidationError) as err:
        unit_collect(hn, UnitCollectInput((cid,), "", "", "", False))
    assert {p.field for p in err.value.problems} >= {"unit_name", "agent_doc_number", "unit_letter_checked"}
    unit_collect(hn, UnitCollectInput((cid,), "长沙市某某小学", "刘老师", "430102198001010011", True))
    row = card(hn.store, cid)
    assert row["status"] == "unit_collected" and row["unit_name"] == "长沙市某某小学"


def test_R_ISS_6_ageing_needs_supervisor_permission(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    cid = add_card(hn.store, pid, status="arrived", arrived_at="2024-01-01T09:00:00+08:00")
    with pytest.raises(PermissionDenied):
        age_stock(hn, AgeStockInput((cid,), "seal"))
    assert card(hn.store, cid)["status"] == "arrived"


def test_R_ISS_6_old_stock_sealed_then_cancelled(supervisor: ServiceContext) -> None:
    pid = add_person(supervisor.store)
    cid = add_card(supervisor.store, pid, status="arrived", arrived_at="2024-09-02T09:00:00+08:00")
    assert [
        c.card_id for c in list_stock(supervisor.store, older_than_months=6, today=supervisor.now().date())
    ] == [cid]
    age_stock(supervisor, AgeStockInput((cid,), "seal", "超期未领"))
    assert card(supervisor.store, cid)["status"] == "sealed"
    age_stock(supervisor, AgeStockInput((cid,), "cancel"))
    assert card(supervisor.store, cid)["status"] == "cancelled"
    moves = supervisor.store.query("SELECT to_status FROM card_moves WHERE card_id = ? ORDER BY id", (cid,))
    assert [m[0] for m in moves] == ["sealed", "cancelled"]


def test_R_ISS_6_refuses_stock_not_yet_old_naming_the_date(supervisor: ServiceContext) -> None:
    pid = add_person(supervisor.store)
    cid = add_card(supervisor.store, pid, status="arrived", arrived_at="2024-10-15T09:00:00+08:00")
    before = counts(supervisor.store)
    with pytest.raises(ValidationError) as err:
        age_stock(supervisor, AgeStockInput((cid,), "cancel"))
    assert "2025-04-16 起方可处理" in str(err.value)  # HB 17: strictly more than 6 months
    assert counts(supervisor.store) == before
    assert list_stock(supervisor.store, older_than_months=6, today=supervisor.now().date()) == []


def test_R_ISS_6_sleeping_card_returned_after_months_since_production(supervisor: ServiceContext) -> None:
    pid = add_person(supervisor.store)
    old = add_card(
        supervisor.store,
        pid,
        status="unit_collected",
        serial=1,
        produced_at="2024-08-01T09:00:00+08:00",
        unit_name="某村委会",
    )
    pid2 = add_person(supervisor.store, name="赵六", seq=3)
    young = add_card(
        supervisor.store, pid2, status="unit_collected", serial=2, produced_at="2024-12-01T09:00:00+08:00"
    )
    with pytest.raises(ValidationError) as err:
        age_stock(supervisor, AgeStockInput((old, young), "return_sleeping"))
    assert "2025-06-02" in str(err.value) and card(supervisor.store, old)["status"] == "unit_collected"
    age_stock(supervisor, AgeStockInput((old,), "return_sleeping"))
    row = card(supervisor.store, old)
    # R-ISS-6: back in this station's stock, so the holder can still collect it
    assert row["status"] == "arrived" and row["return_reason"] == "睡眠卡交还清理"


def test_R_ISS_6_sleeping_action_refuses_card_in_stock(supervisor: ServiceContext) -> None:
    pid = add_person(supervisor.store)
    cid = add_card(supervisor.store, pid, status="arrived", arrived_at="2023-01-01T09:00:00+08:00")
    with pytest.raises(ValidationError) as err:
        age_stock(supervisor, AgeStockInput((cid,), "return_sleeping"))
    assert "睡眠卡" in str(err.value)


def test_R_ISS_6_sleeping_card_handed_back_by_the_unit_can_still_be_collected(
    supervisor: ServiceContext,
) -> None:
    from offline.services.issuance import IssueInput, issue_card
    from tests.offline.cards.conftest import FakeCard, card_number, holder_of, one

    pid = add_person(supervisor.store)
    cid = add_card(
        supervisor.store,
        pid,
        status="unit_collected",
        produced_at="2024-01-01T09:00:00+08:00",
        unit_name="某村委会",
    )
    age_stock(supervisor, AgeStockInput((cid,), "return_sleeping"))
    ssn = one(supervisor.store, "SELECT ssn FROM persons WHERE id = ?", (pid,))[0]
    supervisor.card = FakeCard(
        card_number(1), holder=holder_of(supervisor.store, pid), issue_date="20240101", expiry_date="20340101"
    )
    issue_card(supervisor, IssueInput(cid, "window", ssn, True, True, True))
    assert card(supervisor.store, cid)["status"] == "issued"
