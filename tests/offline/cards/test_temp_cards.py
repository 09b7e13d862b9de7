"""Temporary cards (item 15): R-TMP-1..5, with the fake card session."""

from __future__ import annotations

import json

import pytest

from offline.business import ServiceContext
from offline.errors import DomainError, ValidationError
from offline.services import temp_cards as tc
from offline.services.temp_cards import TempCloseInput, TempIssueInput, TempRecycleInput
from tests.offline.cards.conftest import (
    FakeCard,
    add_card,
    add_person,
    add_temp,
    card_number,
    chip,
    counts,
    holder_of,
    one,
    person,
    temp,
)

T1 = card_number(101, "T")


def issue_input(store, pid: int, number: str = T1, **kw) -> TempIssueInput:  # type: ignore[no-untyped-def]
    values = {
        "card_number": number,
        "person_id": pid,
        "doc_number": person(store, pid)["ssn"],
        "online_check": "passed",
        "signed": True,
        **kw,
    }
    return TempIssueInput(**values)


def test_R_TMP_5_stock_cycle_records_every_move_with_operator(hn: ServiceContext) -> None:
    numbers = [card_number(201, "T"), card_number(202, "T")]
    tc.sign_in_temp_cards(hn, numbers)
    tc.distribute(hn, numbers)
    tc.put_in_stock(hn, numbers)
    tc.take_out(hn, numbers[:1])
    tc.put_in_stock(hn, numbers[:1])  # an unused card goes back
    moves = hn.store.query(
        "SELECT from_state, to_state, operator_id, business_id FROM temp_card_moves"
        " WHERE temp_card_id = (SELECT id FROM temp_cards WHERE card_number = ?) ORDER BY id",
        (numbers[0],),
    )
    assert [(m[0], m[1]) for m in moves] == [
        ("", "signed_in"),
        ("signed_in", "distributed"),
        ("distributed", "in_stock"),
        ("in_stock", "out_of_stock"),
        ("out_of_stock", "in_stock"),
    ]
    assert all(m[2] == hn.operator.id and m[3] is not None for m in moves)
    assert tc.temp_stock_counts(hn.store)["in_stock"] == 2
    assert counts(hn.store)["businesses"] == 5


def test_R_TMP_5_illegal_move_refused_in_chinese(hn: ServiceContext) -> None:
    tc.sign_in_temp_cards(hn, [T1])
    before = counts(hn.store)
    with pytest.raises(ValidationError) as err:
        tc.take_out(hn, [T1])
    assert "R-TMP-5" in err.value.rules and "“已签收”，不能变为“已出库”" in str(err.value)
    assert counts(hn.store) == before
    with pytest.raises(ValidationError) as err2:
        tc.sign_in_temp_cards(hn, [T1])
    assert "已签收过" in str(err2.value)


def test_R_TMP_1_hubei_has_no_temporary_cards(hb: ServiceContext) -> None:
    with pytest.raises(DomainError) as err:
        tc.sign_in_temp_cards(hb, [T1])
    assert err.value.rules == ["R-TMP-1"] and "湖北省未开办临时社会保障卡业务" in str(err.value)
    pid = add_person(hb.store)
    with pytest.raises(DomainError):
        tc.issue_temp_card(hb, issue_input(hb.store, pid))
    assert counts(hb.store)["businesses"] == 0


def test_R_TMP_2_issue_personalises_and_records(hn: ServiceContext, sealer) -> None:  # type: ignore[no-untyped-def]
    pid = add_person(hn.store)
    add_temp(hn.store, T1, "in_stock")
    hn.card = FakeCard(T1)
    result = tc.issue_temp_card(hn, issue_input(hn.store, pid, online_check="pending"))
    assert chip(hn).chip.holder == holder_of(hn.store, pid)
    assert chip(hn).chip.expiry_date == "20250502"  # 60 days after 2025-03-03
    row = temp(hn.store, T1)
    assert row["state"] == "issued" and row["person_id"] == pid and row["valid_until"] == "2025-05-02"
    states = [r[0] for r in hn.store.query("SELECT to_state FROM temp_card_moves ORDER BY id")]
    assert states == ["out_of_stock", "personalised", "issued"]
    assert result.fee_fen == 0
    assert result.details["online_check_pending"] is True and "初始社会保障密码" in result.details["reminder"]
    journal = one(hn.store, "SELECT * FROM card_write_journal")
    assert journal["state"] == "done" and journal["business_id"] == result.business_id
    payload = json.loads(sealer.sealed[-1][1])
    assert payload["receipt_no"] == result.receipt_no and payload["details"]["journal_id"] == journal["id"]


def test_R_TMP_1_refuses_person_with_collected_formal_card(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    add_card(hn.store, pid, status="issued")
    add_temp(hn.store, T1, "in_stock")
    hn.card = FakeCard(T1)
    before = counts(hn.store)
    with pytest.raises(ValidationError) as err:
        tc.issue_temp_card(hn, issue_input(hn.store, pid))
    assert "R-TMP-1" in err.value.rules
    assert counts(hn.store) == before and chip(hn).calls == []


def test_R_TMP_1_card_not_yet_collected_is_eligible(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    add_card(hn.store, pid, status="arrived")
    add_temp(hn.store, T1, "out_of_stock")
    hn.card = FakeCard(T1)
    tc.issue_temp_card(hn, issue_input(hn.store, pid))
    assert temp(hn.store, T1)["state"] == "issued"


def test_R_TMP_2_refuses_failed_check_wrong_document_unsigned(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    add_temp(hn.store, T1, "in_stock")
    hn.card = FakeCard(T1)
    with pytest.raises(ValidationError) as err:
        tc.issue_temp_card(
            hn, issue_input(hn.store, pid, online_check="failed", doc_number="X", signed=False)
        )
    assert {p.field for p in err.value.problems} == {"online_check", "doc_number", "signed"}
    assert counts(hn.store)["card_write_journal"] == 0


def test_R_TMP_2_card_in_reader_must_be_the_stock_card(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    add_temp(hn.store, T1, "in_stock")
    hn.card = FakeCard(card_number(999, "T"))
    with pytest.raises(DomainError) as err:
        tc.issue_temp_card(hn, issue_input(hn.store, pid))
    assert "不是本业务的卡" in str(err.value)
    assert "personalise" not in chip(hn).calls


def test_R_TMP_2_refuses_card_that_is_not_blank(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    other = add_person(hn.store, name="别人", seq=7)
    add_temp(hn.store, T1, "in_stock")
    hn.card = FakeCard(T1, holder=holder_of(hn.store, other), issue_date="20250101", expiry_date="20250301")
    with pytest.raises(DomainError) as err:
        tc.issue_temp_card(hn, issue_input(hn.store, pid))
    assert "不是空白卡" in str(err.value)
    assert counts(hn.store)["card_write_journal"] == 0


def _issued(hn: ServiceContext) -> int:
    pid = add_person(hn.store)
    add_temp(hn.store, T1, "in_stock")
    hn.card = FakeCard(T1)
    tc.issue_temp_card(hn, issue_input(hn.store, pid))
    return pid


def test_R_TMP_3_recycle_erases_and_returns_to_stock(hn: ServiceContext) -> None:
    pid = _issued(hn)
    result = tc.recycle_temp_card(hn, TempRecycleInput(T1, body_ok=True))
    assert chip(hn).chip.holder is None and chip(hn).chip.issue_date == ""
    assert "check_genuine" in chip(hn).calls
    row = temp(hn.store, T1)
    assert row["state"] == "in_stock" and row["person_id"] is None
    assert result.details["social_security_application_cancelled"] is True
    biz = one(hn.store, "SELECT person_id FROM businesses WHERE id = ?", (result.business_id,))
    assert biz[0] == pid
    states = [r[0] for r in hn.store.query("SELECT to_state FROM temp_card_moves ORDER BY id")][-2:]
    assert states == ["recycled", "in_stock"]


def test_R_TMP_3_recycle_refuses_damaged_body_or_chip(hn: ServiceContext) -> None:
    _issued(hn)
    before = counts(hn.store)
    with pytest.raises(ValidationError) as err:
        tc.recycle_temp_card(hn, TempRecycleInput(T1, body_ok=False))
    assert "损坏销卡" in str(err.value)
    chip(hn).genuine = False
    with pytest.raises(DomainError) as err2:
        tc.recycle_temp_card(hn, TempRecycleInput(T1, body_ok=True))
    assert "芯片校验未通过" in str(err2.value)
    assert counts(hn.store) == before and temp(hn.store, T1)["state"] == "issued"
    assert chip(hn).chip.holder is not None


def test_R_TMP_4_lost_card_fee_and_cancellation(hn: ServiceContext) -> None:
    pid = _issued(hn)
    doc = person(hn.store, pid)["ssn"]
    with pytest.raises(ValidationError) as err:
        tc.cancel_lost_temp_card(hn, TempCloseInput(T1, doc, fee_paid=False))
    assert "工本费 20.00 元" in str(err.value)
    with pytest.raises(ValidationError) as err2:  # R-APP-10: the fee is receipted
        tc.cancel_lost_temp_card(hn, TempCloseInput(T1, doc, fee_paid=True))
    assert "票据" in str(err2.value)
    result = tc.cancel_lost_temp_card(hn, TempCloseInput(T1, doc, fee_paid=True, fee_receipt_no="湘财票 7"))
    assert result.fee_fen == hn.profile.fees_fen["temp_lost"] == 2000
    assert result.details["fee_receipt_no"] == "湘财票 7"
    assert temp(hn.store, T1)["state"] == "cancelled"
    with pytest.raises(ValidationError):
        tc.put_in_stock(hn, [T1])  # a cancelled card never comes back


def test_R_TMP_4_damaged_card_fee_and_destruction(hn: ServiceContext) -> None:
    pid = _issued(hn)
    result = tc.destroy_damaged_temp_card(
        hn, TempCloseInput(T1, person(hn.store, pid)["ssn"], fee_paid=True, fee_receipt_no="湘财票 8")
    )
    assert result.fee_fen == 2000 and temp(hn.store, T1)["state"] == "destroyed"
    assert one(hn.store, "SELECT fee_fen FROM businesses WHERE id = ?", (result.business_id,))[0] == 2000


def test_R_TMP_4_refuses_someone_elses_document(hn: ServiceContext) -> None:
    _issued(hn)
    before = counts(hn.store)
    with pytest.raises(ValidationError) as err:
        tc.destroy_damaged_temp_card(
            hn, TempCloseInput(T1, "430102199001010000", fee_paid=True, fee_receipt_no="x")
        )
    assert "R-TMP-4" in err.value.rules and counts(hn.store) == before


def test_R_TMP_5_recent_moves_newest_first_with_operator_name(hn: ServiceContext) -> None:
    from offline.services.temp_stock import recent_moves

    numbers = [card_number(301, "T")]
    tc.sign_in_temp_cards(hn, numbers)
    tc.distribute(hn, numbers)
    moves = recent_moves(hn.store, limit=5)
    assert [(m.from_state, m.to_state) for m in moves] == [("signed_in", "distributed"), ("", "signed_in")]
    assert {m.card_number for m in moves} == set(numbers)
    assert all(m.operator == hn.operator.real_name for m in moves)
    assert len(recent_moves(hn.store, limit=1)) == 1
