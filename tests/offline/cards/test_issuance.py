"""Issuance (item 14): read-card test R-ISS-3, signature R-ISS-4, temporary card R-ISS-5, door to door R-ISS-7."""

from __future__ import annotations

import dataclasses
import json

import pytest

from offline.business import ServiceContext
from offline.codes import REL_SIBLING, REL_SPOUSE
from offline.errors import DomainError, PermissionDenied, ValidationError
from offline.protocols import CardError
from offline.services.issuance import CardReturned, IssueInput, issue_card
from tests.conftest import add_operator
from tests.offline.cards.conftest import (
    FakeCard,
    add_card,
    add_person,
    add_temp,
    card,
    card_number,
    chip,
    counts,
    holder_of,
    one,
    temp,
)


def _ready(hn: ServiceContext, **card_cols) -> tuple[int, int, str]:  # type: ignore[no-untyped-def]
    pid = add_person(hn.store)
    cid = add_card(hn.store, pid, status="arrived", **card_cols)
    hn.card = FakeCard(
        card_number(1), holder=holder_of(hn.store, pid), issue_date="20250201", expiry_date="20350201"
    )
    return pid, cid, one(hn.store, "SELECT ssn FROM persons WHERE id = ?", (pid,))[0]


def _inp(cid: int, doc: str, **kw) -> IssueInput:  # type: ignore[no-untyped-def]
    values = {
        "card_id": cid,
        "mode": "window",
        "holder_doc_number": doc,
        "face_photo_ok": True,
        "face_text_ok": True,
        "signed": True,
        **kw,
    }
    return IssueInput(**values)


def test_R_ISS_3_read_card_test_passes_and_card_is_issued(hn: ServiceContext, sealer) -> None:  # type: ignore[no-untyped-def]
    pid, cid, doc = _ready(hn)
    old = add_card(hn.store, pid, status="issued", serial=7)  # exchange: the previous card
    result = issue_card(hn, _inp(cid, doc))
    row = card(hn.store, cid)
    assert row["status"] == "issued" and row["issued_at"] == hn.now_iso()
    assert card(hn.store, old)["status"] == "cancelled"
    assert result.details["previous_cards_cancelled"] == [card_number(7)]
    assert chip(hn).calls[:2] == ["read_card", "check_genuine"]
    moves = hn.store.query(
        "SELECT card_id, to_status FROM card_moves WHERE business_id = ?", (result.business_id,)
    )
    assert sorted((m[0], m[1]) for m in moves) == sorted([(cid, "issued"), (old, "cancelled")])
    payload = json.loads(sealer.sealed[-1][1])
    assert payload["item"] == "issue" and payload["details"]["read_card_test"] == "passed"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"name": "李四四"}, "姓名与记录不一致"),
        ({"ssn": "11010519491231002X"}, "社会保障号码与记录不一致"),
    ],
)
def test_R_ISS_3_chip_disagrees_with_record_goes_back(hn: ServiceContext, change: dict, reason: str) -> None:  # type: ignore[type-arg]
    _pid, cid, doc = _ready(hn)
    fake: FakeCard = hn.card  # type: ignore[assignment]
    assert fake.chip.holder is not None
    fake.chip = dataclasses.replace(fake.chip, holder=dataclasses.replace(fake.chip.holder, **change))
    with pytest.raises(CardReturned) as err:
        issue_card(hn, _inp(cid, doc))
    assert reason in str(err.value) and err.value.rules == ["R-ISS-3"]
    row = card(hn.store, cid)
    assert row["status"] == "returned" and reason in row["return_reason"]
    biz = one(hn.store, "SELECT * FROM businesses")
    assert biz["receipt_no"] == err.value.result.receipt_no and "退回重制" in biz["summary"]


def test_R_ISS_3_bad_face_or_unreadable_or_fake_chip_goes_back(hn: ServiceContext) -> None:
    _pid, cid, doc = _ready(hn)
    with pytest.raises(CardReturned) as err:
        issue_card(hn, _inp(cid, doc, face_photo_ok=False, face_note="照片模糊"))
    assert "照片模糊" in card(hn.store, cid)["return_reason"]
    pid2 = add_person(hn.store, name="王五", seq=2)
    cid2 = add_card(hn.store, pid2, status="arrived", serial=2)
    doc2 = one(hn.store, "SELECT ssn FROM persons WHERE id = ?", (pid2,))[0]
    hn.card = FakeCard(card_number(2), readable=False)
    with pytest.raises(CardReturned) as err:
        issue_card(hn, _inp(cid2, doc2))
    assert "芯片无法读取" in str(err.value)
    pid3 = add_person(hn.store, name="赵六", seq=3)
    cid3 = add_card(hn.store, pid3, status="arrived", serial=3)
    doc3 = one(hn.store, "SELECT ssn FROM persons WHERE id = ?", (pid3,))[0]
    hn.card = FakeCard(card_number(3), holder=holder_of(hn.store, pid3), genuine=False)
    with pytest.raises(CardReturned) as err:
        issue_card(hn, _inp(cid3, doc3))
    assert "内部认证未通过" in str(err.value)
    assert [r[0] for r in hn.store.query("SELECT status FROM cards ORDER BY id")] == ["returned"] * 3


def test_R_ISS_3_pulled_card_or_other_card_decides_nothing(hn: ServiceContext) -> None:
    _pid, cid, doc = _ready(hn)
    before = counts(hn.store)

    class Pulled(FakeCard):
        def read_card(self):  # type: ignore[no-untyped-def]
            raise CardError("card_removed", "卡片被拔出")

    hn.card = Pulled(card_number(1))
    with pytest.raises(DomainError) as err:
        issue_card(hn, _inp(cid, doc))
    assert "读卡中断" in str(err.value)
    hn.card = FakeCard(card_number(5))
    with pytest.raises(DomainError) as err2:
        issue_card(hn, _inp(cid, doc))
    assert "不是待发放的卡" in str(err2.value)
    assert counts(hn.store) == before and card(hn.store, cid)["status"] == "arrived"


def test_R_ISS_3_document_must_be_the_holders(hn: ServiceContext) -> None:
    _pid, cid, _doc = _ready(hn)
    with pytest.raises(ValidationError) as err:
        issue_card(hn, _inp(cid, "430102199901010000"))
    assert "R-ISS-3" in err.value.rules and card(hn.store, cid)["status"] == "arrived"


def test_R_ISS_4_recipient_signs_agent_needs_receipt(hn: ServiceContext) -> None:
    _pid, cid, doc = _ready(hn)
    with pytest.raises(ValidationError) as err:
        issue_card(hn, _inp(cid, doc, signed=False))
    assert err.value.rules == ["R-ISS-4"]
    agent = {"recipient": "agent", "recipient_name": "李大", "recipient_doc_number": "430102197001010017"}
    with pytest.raises(ValidationError) as err2:
        issue_card(hn, _inp(cid, doc, **agent))
    assert "受理回执" in str(err2.value) and "委托书" in str(err2.value)  # HN 11(4), 23(6)
    assert counts(hn.store)["businesses"] == 0
    result = issue_card(hn, _inp(cid, doc, receipt_shown=True, power_of_attorney="委托书 2026-07", **agent))
    assert result.details["recipient"] == "agent" and "代领人（李大）签收" in result.summary
    assert result.details["power_of_attorney"] == "委托书 2026-07"


@pytest.mark.parametrize(
    ("category", "recipient", "relation", "ok"),
    [
        ("retired", "agent", "", False),
        ("retired", "holder", "", True),
        ("incapacitated", "holder", "", False),
        ("incapacitated", "guardian", "parent", True),
        ("migrant", "relative", REL_SIBLING, False),
        ("migrant", "relative", REL_SPOUSE, True),
    ],
)
def test_R_ISS_7_door_to_door_recipients(
    hn: ServiceContext, category: str, recipient: str, relation: str, ok: bool
) -> None:
    _pid, cid, doc = _ready(hn)
    extra = (
        {}
        if recipient == "holder"
        else {"recipient_name": "某某", "recipient_doc_number": "430102197001010017", "receipt_shown": True}
    )
    inp = _inp(
        cid, doc, mode="door", category=category, recipient=recipient, recipient_relation=relation, **extra
    )
    if ok:
        assert issue_card(hn, inp).details["category"] == category
        assert card(hn.store, cid)["status"] == "issued"
    else:
        with pytest.raises(ValidationError) as err:
            issue_card(hn, inp)
        assert "R-ISS-7" in err.value.rules and card(hn.store, cid)["status"] == "arrived"


def test_R_ISS_7_auditor_cannot_issue(hn: ServiceContext) -> None:
    _pid, cid, doc = _ready(hn)
    auditor = dataclasses.replace(hn, operator=add_operator(hn.store, "audit1", "auditor", "钱稽核"))
    with pytest.raises(PermissionDenied):
        issue_card(auditor, _inp(cid, doc, mode="door"))


def test_R_ISS_5_temporary_card_must_be_settled_first(hn: ServiceContext) -> None:
    pid, cid, doc = _ready(hn)
    t = card_number(50, "T")
    add_temp(hn.store, t, "issued", person_id=pid)
    with pytest.raises(ValidationError) as err:
        issue_card(hn, _inp(cid, doc))
    assert err.value.rules == ["R-ISS-5"] and "临时卡回收" in str(err.value)
    assert counts(hn.store)["businesses"] == 0


def test_R_ISS_5_lost_temporary_card_fee_and_cancellation_in_same_business(hn: ServiceContext) -> None:
    pid, cid, doc = _ready(hn)
    t = card_number(50, "T")
    add_temp(hn.store, t, "issued", person_id=pid)
    result = issue_card(
        hn, _inp(cid, doc, temp_card_action="lost", fee_paid=True, fee_receipt_no="湘财票 0042")
    )
    assert result.fee_fen == 2000 and temp(hn.store, t)["state"] == "cancelled"
    assert card(hn.store, cid)["status"] == "issued"
    assert result.details["fee_receipt_no"] == "湘财票 0042" and "收取工本费 20.00 元" in result.summary
    tm = one(hn.store, "SELECT to_state, business_id FROM temp_card_moves")
    assert tuple(tm) == ("cancelled", result.business_id)


@pytest.mark.parametrize(
    ("paid", "receipt_no", "field", "words"),
    [
        (False, "", "fee_paid", "尚未收取工本费 20.00 元"),
        (True, "  ", "fee_receipt_no", "须登记行政事业性收费票据号码"),
    ],
)
def test_R_ISS_5_damaged_temporary_card_fee_paid_and_receipted_like_R_TMP_4(
    hn: ServiceContext, paid: bool, receipt_no: str, field: str, words: str
) -> None:
    """The settlement inside 发放 asks what the stand-alone 临时卡 business asks (R-TMP-4, R-APP-10)."""
    pid, cid, doc = _ready(hn)
    t = card_number(51, "T")
    add_temp(hn.store, t, "issued", person_id=pid)
    with pytest.raises(ValidationError) as err:
        issue_card(hn, _inp(cid, doc, temp_card_action="damaged", fee_paid=paid, fee_receipt_no=receipt_no))
    assert [p.field for p in err.value.problems] == [field] and words in str(err.value)
    assert counts(hn.store)["businesses"] == 0 and temp(hn.store, t)["state"] == "issued"
    assert card(hn.store, cid)["status"] == "arrived"


def test_R_ISS_5_action_without_temporary_card_refused(hn: ServiceContext) -> None:
    _pid, cid, doc = _ready(hn)
    with pytest.raises(ValidationError) as err:
        issue_card(hn, _inp(cid, doc, temp_card_action="damaged"))
    assert "没有在用的临时卡" in str(err.value)


def test_replacement_cancels_the_lost_card_it_replaces(hn: ServiceContext) -> None:
    pid, cid, doc = _ready(hn)
    old = add_card(hn.store, pid, status="lost", serial=8)
    with hn.store.write() as conn:
        conn.execute(
            "INSERT INTO businesses(receipt_no, item, operator_id, at) VALUES ('r1', 'replace', ?, ?)",
            (hn.operator.id, hn.now_iso()),
        )
        app = conn.execute(
            "INSERT INTO applications(person_id, business_id, kind, channel, mode, bank, status,"
            " replaces_card_id, created_at, updated_at) VALUES (?, 1, 'replace', 'local', 'fast',"
            " '农行', 'arrived', ?, ?, ?)",
            (pid, old, hn.now_iso(), hn.now_iso()),
        ).lastrowid
        conn.execute("UPDATE cards SET application_id = ? WHERE id = ?", (app, cid))
    issue_card(hn, _inp(cid, doc))
    assert card(hn.store, old)["status"] == "cancelled"
    assert one(hn.store, "SELECT status FROM applications WHERE id = ?", (app,))[0] == "issued"


def test_R_ISS_1_card_not_in_stock_cannot_be_issued(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    cid = add_card(hn.store, pid, status="shipped")
    with pytest.raises(DomainError) as err:
        issue_card(hn, _inp(cid, "x"))
    assert "已寄送网点" in str(err.value)


def test_R_ID_3_collector_number_must_pass_gb11643(hn: ServiceContext) -> None:
    _pid, cid, doc = _ready(hn)
    with pytest.raises(ValidationError) as err:
        issue_card(
            hn,
            _inp(
                cid,
                doc,
                recipient="relative",
                recipient_name="李四",
                recipient_doc_number="430121199001011235",
                recipient_relation=REL_SPOUSE,
            ),
        )
    assert "R-ID-3" in err.value.rules and card(hn.store, cid)["status"] == "arrived"
