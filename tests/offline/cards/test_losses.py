"""Loss reports (items 5-7): R-LOSS-1, R-LOSS-2, R-LOSS-3."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from offline.business import ServiceContext
from offline.errors import DomainError, ValidationError
from offline.services.losses import (
    FormalLossInput,
    LiftLossInput,
    TempLossInput,
    expire_temp_losses,
    lift_loss,
    report_formal_loss,
    report_temp_loss,
)
from tests.offline.cards.conftest import CST, add_card, add_person, card, counts, one


def _issued(c: ServiceContext) -> tuple[int, str, int]:
    pid = add_person(c.store)
    cid = add_card(c.store, pid, status="issued")
    return cid, one(c.store, "SELECT ssn FROM persons WHERE id = ?", (pid,))[0], pid


def test_R_LOSS_1_verbal_temporary_loss_without_document(hn: ServiceContext) -> None:
    cid, _doc, _pid = _issued(hn)
    result = report_temp_loss(hn, TempLossInput(cid, verbal=True))
    row = card(hn.store, cid)
    assert row["status"] == "temp_lost" and row["loss_verbal"] == 1
    assert row["loss_expires_at"] == "2025-03-10T10:00:00+08:00"  # R-LOSS-2: HN 7 days
    assert result.item == "temp_loss"
    assert (
        one(hn.store, "SELECT to_status FROM card_moves WHERE business_id = ?", (result.business_id,))[0]
        == "temp_lost"
    )


def test_R_LOSS_1_written_temporary_loss_needs_the_holders_document(hn: ServiceContext) -> None:
    cid, _doc, _pid = _issued(hn)
    before = counts(hn.store)
    with pytest.raises(ValidationError) as err:
        report_temp_loss(hn, TempLossInput(cid, verbal=False, doc_number="110101199001011234"))
    assert "R-LOSS-1" in err.value.rules and counts(hn.store) == before


def test_R_LOSS_2_hubei_temporary_loss_never_expires(hb: ServiceContext, at) -> None:  # type: ignore[no-untyped-def]
    cid, _doc, _pid = _issued(hb)
    report_temp_loss(hb, TempLossInput(cid, verbal=True))
    assert card(hb.store, cid)["loss_expires_at"] == ""
    assert expire_temp_losses(at(hb, datetime(2026, 1, 1, tzinfo=CST))) == 0
    assert card(hb.store, cid)["status"] == "temp_lost"


def test_R_LOSS_2_expiry_is_a_committed_business(hn: ServiceContext, at, sealer) -> None:  # type: ignore[no-untyped-def]
    cid, _doc, _pid = _issued(hn)
    report_temp_loss(hn, TempLossInput(cid, verbal=True))
    assert expire_temp_losses(at(hn, datetime(2025, 3, 10, 9, 59, tzinfo=CST))) == 0  # not yet
    assert expire_temp_losses(at(hn, datetime(2025, 3, 10, 10, 0, tzinfo=CST))) == 1
    row = card(hn.store, cid)
    assert row["status"] == "issued" and row["loss_expires_at"] == ""
    biz = one(hn.store, "SELECT * FROM businesses ORDER BY id DESC LIMIT 1")
    assert biz["item"] == "lift_loss" and json.loads(biz["details"])["action"] == "temp_loss_expired"
    assert json.loads(sealer.sealed[-1][1])["receipt_no"] == biz["receipt_no"]
    assert expire_temp_losses(at(hn, datetime(2025, 3, 11, tzinfo=CST))) == 0  # once only


def test_R_LOSS_1_formal_loss_needs_document_and_cannot_be_lifted_in_hubei(hb: ServiceContext) -> None:
    cid, doc, _pid = _issued(hb)
    with pytest.raises(ValidationError):
        report_formal_loss(hb, FormalLossInput(cid, ""))
    report_formal_loss(hb, FormalLossInput(cid, doc))
    assert card(hb.store, cid)["status"] == "lost"
    before = counts(hb.store)
    with pytest.raises(DomainError) as err:
        lift_loss(hb, LiftLossInput(cid, doc))
    assert "不能解除挂失（HB 29）" in str(err.value) and counts(hb.store) == before


def test_R_LOSS_1_hunan_formal_loss_lifted_only_at_the_bank(hn: ServiceContext) -> None:
    cid, doc, _pid = _issued(hn)
    report_temp_loss(hn, TempLossInput(cid, verbal=True))
    report_formal_loss(hn, FormalLossInput(cid, doc))  # temporary → formal
    assert card(hn.store, cid)["loss_expires_at"] == ""
    with pytest.raises(DomainError) as err:
        lift_loss(hn, LiftLossInput(cid, doc))
    assert "发卡银行网点" in str(err.value)


def test_R_LOSS_1_lift_temporary_loss(hn: ServiceContext) -> None:
    cid, doc, _pid = _issued(hn)
    report_temp_loss(hn, TempLossInput(cid, verbal=True))
    lift_loss(hn, LiftLossInput(cid, doc))
    row = card(hn.store, cid)
    assert row["status"] == "issued" and row["loss_expires_at"] == ""
    with pytest.raises(DomainError) as err:
        lift_loss(hn, LiftLossInput(cid, doc))
    assert "没有可解除的挂失" in str(err.value)


def test_R_LOSS_3_no_lifting_once_a_replacement_was_applied_for(hn: ServiceContext) -> None:
    cid, doc, pid = _issued(hn)
    report_temp_loss(hn, TempLossInput(cid, verbal=True))
    biz = one(hn.store, "SELECT id FROM businesses")[0]
    with hn.store.write() as conn:
        conn.execute(
            "INSERT INTO applications(person_id, business_id, kind, channel, mode, bank, status,"
            " replaces_card_id, created_at, updated_at) VALUES (?, ?, 'replace', 'local', 'fast', '农行',"
            " 'accepted', ?, ?, ?)",
            (pid, biz, cid, hn.now_iso(), hn.now_iso()),
        )
    before = counts(hn.store)
    with pytest.raises(ValidationError) as err:
        lift_loss(hn, LiftLossInput(cid, doc))
    assert err.value.rules == ["R-LOSS-3"]
    assert counts(hn.store) == before and card(hn.store, cid)["status"] == "temp_lost"


def test_R_LOSS_1_loss_of_card_not_issued_refused(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    cid = add_card(hn.store, pid, status="arrived")
    with pytest.raises(DomainError) as err:
        report_temp_loss(hn, TempLossInput(cid, verbal=True))
    assert "网点在库" in str(err.value)


def test_R_ID_3_formal_loss_agent_number_must_pass_gb11643(hn: ServiceContext) -> None:
    """A wrong check digit on the agent's number never reaches the receipt."""
    cid, doc, _pid = _issued(hn)
    before = counts(hn.store)
    with pytest.raises(ValidationError) as err:
        report_formal_loss(
            hn,
            FormalLossInput(
                cid, doc, reporter="agent", reporter_name="李四", reporter_doc_number="430121199001011235"
            ),
        )
    assert "R-ID-3" in err.value.rules and counts(hn.store) == before
    report_formal_loss(
        hn,
        FormalLossInput(
            cid, doc, reporter="agent", reporter_name="李四", reporter_doc_number="430121199001011237"
        ),
    )
    assert card(hn.store, cid)["status"] == "lost"


def test_R_LOSS_2_HN_21_only_a_verbal_temporary_loss_expires(hn: ServiceContext) -> None:
    cid, doc, _pid = _issued(hn)
    report_temp_loss(hn, TempLossInput(cid, verbal=False, doc_number=doc))
    assert card(hn.store, cid)["loss_expires_at"] == ""  # with the holder's document: stands
    pid2 = add_person(hn.store, name="王五", seq=2)
    cid2 = add_card(hn.store, pid2, status="issued", serial=2)
    report_temp_loss(hn, TempLossInput(cid2, verbal=True))
    assert card(hn.store, cid2)["loss_expires_at"] != ""  # verbal: lapses after 7 days


def _set_province(c: ServiceContext, province: str) -> None:
    with c.store.write() as conn:
        conn.execute(
            "INSERT INTO settings(key, value) VALUES ('province', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (province,),
        )


def test_R_LOSS_1_HB_29_formal_loss_not_lifted_by_the_downlink_in_hubei(hb: ServiceContext) -> None:
    from offline.downlink import DownlinkUpdate, apply_update
    from tests.offline.cards.conftest import card_number

    _set_province(hb, "hubei")
    cid, doc, _pid = _issued(hb)
    report_formal_loss(hb, FormalLossInput(cid, doc))
    line = apply_update(
        hb.store, DownlinkUpdate("l1", "bank_loss_lifted", {"card_number": card_number(1)}), cursor="c1"
    )
    assert line.startswith("未应用") and "HB 29" in line
    assert card(hb.store, cid)["status"] == "lost"


def test_R_LOSS_2_HN_21_verbal_bank_loss_from_the_downlink_expires(hn: ServiceContext) -> None:
    from offline.downlink import DownlinkUpdate, apply_update
    from tests.offline.cards.conftest import card_number

    _set_province(hn, "hunan")
    cid, _doc, _pid = _issued(hn)
    payload = {"card_number": card_number(1), "kind": "temp", "verbal": True}
    apply_update(hn.store, DownlinkUpdate("v1", "bank_loss", payload), cursor="c1")
    row = card(hn.store, cid)
    assert row["status"] == "temp_lost" and row["loss_expires_at"] and row["loss_verbal"] == 1
