"""Write-intent journal: a chip write interrupted at any point is resolved from the card's real content."""

from __future__ import annotations

import json

import pytest

from offline import card_journal
from offline.business import ServiceContext
from offline.errors import DomainError
from offline.services import temp_cards as tc
from offline.services.temp_cards import TempIssueInput, TempRecycleInput
from tests.offline.cards.conftest import (
    FakeCard,
    add_person,
    add_temp,
    card_number,
    counts,
    holder_of,
    one,
    person,
    temp,
)

T1 = card_number(301, "T")


def _setup(hn: ServiceContext) -> tuple[int, FakeCard]:
    pid = add_person(hn.store)
    add_temp(hn.store, T1, "in_stock")
    fake = FakeCard(T1)
    hn.card = fake
    return pid, fake


def _issue(hn: ServiceContext, pid: int) -> TempIssueInput:
    return TempIssueInput(T1, pid, person(hn.store, pid)["ssn"], "passed", True)


def _journal(hn: ServiceContext) -> list:  # type: ignore[type-arg]
    return hn.store.query("SELECT * FROM card_write_journal ORDER BY id")


def test_personalise_complete_on_card_but_answer_lost_is_finished_from_journal(hn: ServiceContext) -> None:
    pid, fake = _setup(hn)
    fake.die = "after"
    with pytest.raises(DomainError) as err:
        tc.issue_temp_card(hn, _issue(hn, pid))
    assert "写卡记录已保存" in str(err.value)
    assert counts(hn.store)["businesses"] == 0 and temp(hn.store, T1)["state"] == "in_stock"
    assert [e.op for e in card_journal.pending(hn.store)] == ["personalise"]

    lines = card_journal.resolve_on_insert(hn, fake.read_card())
    assert len(lines) == 1 and "已据写卡记录补办业务" in lines[0]
    row = _journal(hn)[0]
    assert row["state"] == "done" and row["business_id"] is not None
    biz = one(hn.store, "SELECT * FROM businesses")
    assert json.loads(biz["details"])["journal_id"] == row["id"] and biz["person_id"] == pid
    assert temp(hn.store, T1)["state"] == "issued"
    # A second insert finds nothing pending: never a second business.
    assert card_journal.resolve_on_insert(hn, fake.read_card()) == []
    assert counts(hn.store)["businesses"] == 1


def test_process_dies_between_verified_write_and_commit(hn: ServiceContext, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pid, fake = _setup(hn)
    real = tc._commit_issue

    def power_cut(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("power cut")

    monkeypatch.setattr(tc, "_commit_issue", power_cut)
    with pytest.raises(RuntimeError):
        tc.issue_temp_card(hn, _issue(hn, pid))
    assert fake.chip.holder == holder_of(hn.store, pid)  # the card was written
    assert counts(hn.store)["businesses"] == 0 and len(card_journal.pending(hn.store)) == 1
    monkeypatch.setattr(tc, "_commit_issue", real)
    lines = card_journal.resolve_on_insert(hn, fake.read_card())
    assert "补办业务" in lines[0]
    assert counts(hn.store)["businesses"] == 1 and temp(hn.store, T1)["state"] == "issued"


def test_personalise_nothing_written_is_abandoned(hn: ServiceContext) -> None:
    pid, fake = _setup(hn)
    fake.die = "before"
    with pytest.raises(DomainError):
        tc.issue_temp_card(hn, _issue(hn, pid))
    lines = card_journal.resolve_on_insert(hn, fake.read_card())
    assert "未写入卡片" in lines[0]
    row = _journal(hn)[0]
    assert row["state"] == "abandoned" and row["business_id"] is None
    assert counts(hn.store)["businesses"] == 0 and temp(hn.store, T1)["state"] == "in_stock"
    # The operator can simply do it again.
    tc.issue_temp_card(hn, _issue(hn, pid))
    assert temp(hn.store, T1)["state"] == "issued"


def test_personalise_partial_is_erased_back_to_blank_and_abandoned(hn: ServiceContext) -> None:
    pid, fake = _setup(hn)
    fake.die = "partial"
    with pytest.raises(DomainError):
        tc.issue_temp_card(hn, _issue(hn, pid))
    assert fake.chip.holder is not None and fake.chip.holder.name == ""
    lines = card_journal.resolve_on_insert(hn, fake.read_card())
    assert "已擦除恢复为空白卡" in lines[0]
    assert fake.calls[-1] == "erase" and fake.chip.holder is None and fake.chip.issue_date == ""
    assert _journal(hn)[0]["state"] == "abandoned" and "擦除" in _journal(hn)[0]["resolution"]
    assert counts(hn.store)["businesses"] == 0


def _issued(hn: ServiceContext) -> FakeCard:
    pid, fake = _setup(hn)
    tc.issue_temp_card(hn, _issue(hn, pid))
    return fake


@pytest.mark.parametrize("die", ["after", "partial"])
def test_erase_interrupted_is_redone_or_finished(hn: ServiceContext, die: str) -> None:
    fake = _issued(hn)
    fake.die = die
    with pytest.raises(DomainError):
        tc.recycle_temp_card(hn, TempRecycleInput(T1, body_ok=True))
    assert temp(hn.store, T1)["state"] == "issued" and counts(hn.store)["businesses"] == 1
    erases_before = fake.calls.count("erase")
    lines = card_journal.resolve_on_insert(hn, fake.read_card())
    assert "补办业务" in lines[0]
    # partial → the idempotent erase is re-done; complete → nothing more is written to the card.
    assert fake.calls.count("erase") == erases_before + (1 if die == "partial" else 0)
    assert fake.chip.holder is None
    assert temp(hn.store, T1)["state"] == "in_stock" and counts(hn.store)["businesses"] == 2
    assert _journal(hn)[-1]["state"] == "done"


def test_erase_that_never_reached_the_card_is_abandoned(hn: ServiceContext) -> None:
    fake = _issued(hn)
    fake.die = "before"
    with pytest.raises(DomainError):
        tc.recycle_temp_card(hn, TempRecycleInput(T1, body_ok=True))
    lines = card_journal.resolve_on_insert(hn, fake.read_card())
    assert "未写入卡片" in lines[0]
    assert temp(hn.store, T1)["state"] == "issued" and fake.chip.holder is not None


def test_pending_write_resolved_before_a_new_one(hn: ServiceContext) -> None:
    pid, fake = _setup(hn)
    fake.die = "after"
    with pytest.raises(DomainError):
        tc.issue_temp_card(hn, _issue(hn, pid))
    with pytest.raises(DomainError) as err:
        tc.issue_temp_card(hn, _issue(hn, pid))  # operator retries
    assert "已先行处理" in str(err.value)
    assert counts(hn.store)["businesses"] == 1 and temp(hn.store, T1)["state"] == "issued"


def test_existing_business_for_journal_is_never_duplicated(hn: ServiceContext) -> None:
    fake = _issued(hn)
    with hn.store.write() as conn:  # as if the finish mark were lost after the business commit
        conn.execute("UPDATE card_write_journal SET state = 'pending'")
    lines = card_journal.resolve_on_insert(hn, fake.read_card())
    assert "未重复办理" in _journal(hn)[0]["resolution"] and "已办结" in lines[0]
    assert counts(hn.store)["businesses"] == 1


def test_foreign_card_leaves_journal_alone(hn: ServiceContext) -> None:
    pid, fake = _setup(hn)
    fake.die = "after"
    with pytest.raises(DomainError):
        tc.issue_temp_card(hn, _issue(hn, pid))
    entry = card_journal.pending(hn.store)[0]
    other = FakeCard(card_number(999, "T")).read_card()
    assert "不是写卡记录中的卡" in card_journal.resolve_entry(hn, entry, other)
    assert card_journal.resolve_on_insert(hn, other) == []
    assert len(card_journal.pending(hn.store)) == 1


def test_R_PIN_6_begin_refuses_pin_fields_and_nested_transactions(hn: ServiceContext) -> None:
    with pytest.raises(ValueError, match="R-PIN-6"):
        card_journal.begin(
            hn.store,
            card_number=T1,
            op="erase",
            operator_id=1,
            intent={"service": "x", "input": {"new_pin": "123456"}},
        )
    with hn.store.write(), pytest.raises(RuntimeError):
        card_journal.begin(hn.store, card_number=T1, op="erase", operator_id=1, intent={})
    assert counts(hn.store)["card_write_journal"] == 0
