"""Door-to-door delivery runs (R-ISS-7, R-SEC-5, with R-ISS-3/4/5 through issue_card), real store."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from offline import delivery as D
from offline.errors import DomainError, PermissionDenied, ValidationError
from offline.services.issuance import CardReturned
from tests.field.conftest import NOW, VILLAGE, Field, Seeded, chip_for, session_on
from tests.helpers import one


def _door(seeded: Seeded, outcome: str = "delivered", **kw: object) -> D.DeliverInput:
    values: dict[str, object] = dict(
        holder_doc_number=seeded.person.doc_number, face_photo_ok=True, face_text_ok=True, signed=True
    )
    values.update(kw)
    return D.DeliverInput(outcome, **values)  # type: ignore[arg-type]


def _run(field: Field, *seeds: int, **kw: object) -> tuple[D.RunInfo, list[Seeded]]:
    seeded = [field.in_stock(s) for s in seeds]
    return D.prepare_run(field.ctx(), village=VILLAGE, name="青山村第一趟", **kw), seeded  # type: ignore[arg-type]


def _item(field: Field, run_id: int, seeded: Seeded) -> D.RunItem:
    return next(i for i in D.run_items(field.store, run_id) if i.card_id == seeded.card_id)


def test_R_ISS_7_prepare_by_village_caches_what_the_door_needs(field: Field) -> None:
    inside = field.in_stock(1)
    elsewhere = field.in_stock(2, village="白沙村")
    run = D.prepare_run(field.ctx(), village=VILLAGE, name="青山村第一趟")
    items = D.run_items(field.store, run.id)
    assert [i.card_number for i in items] == [inside.card_number]
    item = items[0]
    person = field.store.one("SELECT * FROM persons WHERE id = ?", (inside.person_id,))
    photo = field.store.one("SELECT jpeg FROM photos WHERE person_id = ?", (inside.person_id,))
    assert person is not None and photo is not None
    assert (item.name, item.phone, item.address) == (
        person["name"],
        person["phone"],
        person["residence_address"],
    )
    assert item.has_photo and D.item_photo(field.store, item.id) == bytes(photo[0])
    # Deadline: 30 working days (HN 28(8)) after sign-in on 2025-03-03 → 2025-04-15 (Qingming on 04-04).
    assert item.deadline == "2025-04-15" and item.outcome == "pending"
    assert run.total == 1 and run.counts == {"pending": 1} and run.state == "open"
    assert elsewhere.card_number not in {i.card_number for i in items}
    audit_row = field.store.one("SELECT action, target FROM audit WHERE action = 'delivery.prepare'")
    assert audit_row is not None and audit_row["target"] == f"run:{run.id}"


def test_R_ISS_7_a_card_is_on_one_open_run_only_and_persons_can_be_named(field: Field) -> None:
    first, _ = _run(field, 1)
    with pytest.raises(DomainError) as exc:
        D.prepare_run(field.ctx(), village=VILLAGE, name="重复")
    assert exc.value.rules == ["R-ISS-7"] and "没有符合条件的在库卡" in str(exc.value)
    other = field.in_stock(3, village=None)
    run = D.prepare_run(field.ctx(), person_ids=[other.person_id], name="指定人员")
    assert [i.card_id for i in D.run_items(field.store, run.id)] == [other.card_id]
    with pytest.raises(ValidationError) as missing:
        D.prepare_run(field.ctx(), person_ids=[other.person_id], name="再来一次")
    assert "没有可上门发放的在库卡" in str(missing.value)
    assert first.id != run.id


def test_R_SEC_2_auditor_cannot_prepare_or_deliver(field: Field) -> None:
    run, (s,) = _run(field, 1)
    before = field.counts()
    with pytest.raises(PermissionDenied):
        D.prepare_run(field.ctx("auditor"), village=VILLAGE, name="x")
    with pytest.raises(PermissionDenied):
        D.deliver(field.ctx("auditor"), run.id, _item(field, run.id, s).id, _door(s, "not_at_home"))
    with pytest.raises(PermissionDenied):
        D.close_run(field.ctx("admin"), run.id)
    assert field.counts() == before


def test_R_ISS_3_delivered_at_the_door_through_the_read_card_test(field: Field) -> None:
    run, (s,) = _run(field, 1)
    item = _item(field, run.id, s)
    result = D.deliver(field.ctx(card=session_on(chip_for(s))), run.id, item.id, _door(s))
    assert result.item == "issue" and result.details["mode"] == "door"
    assert result.details["delivery_run_id"] == run.id and result.details["read_card_test"] == "passed"
    card = field.store.one("SELECT status FROM cards WHERE id = ?", (s.card_id,))
    assert card is not None and card["status"] == "issued"
    after = _item(field, run.id, s)
    assert (after.outcome, after.recipient, after.business_id, after.attempts) == (
        "delivered",
        "holder",
        result.business_id,
        1,
    )
    with pytest.raises(DomainError) as again:
        D.deliver(field.ctx(card=session_on(chip_for(s))), run.id, item.id, _door(s))
    assert "已登记为“已送达”" in str(again.value)


def test_R_ISS_3_chip_that_disagrees_goes_back_and_the_item_says_so(field: Field) -> None:
    run, (s,) = _run(field, 1)
    item = _item(field, run.id, s)
    with pytest.raises(CardReturned) as exc:
        D.deliver(field.ctx(card=session_on(chip_for(s, name="错名字"))), run.id, item.id, _door(s))
    assert "退回重制" in str(exc.value)
    card = field.store.one("SELECT status FROM cards WHERE id = ?", (s.card_id,))
    assert card is not None and card["status"] == "returned"
    after = _item(field, run.id, s)
    assert after.outcome == "returned" and after.business_id == exc.value.result.business_id


def test_R_ISS_3_wrong_document_refused_and_nothing_written(field: Field) -> None:
    run, (s,) = _run(field, 1)
    before = field.counts()
    with pytest.raises(ValidationError) as exc:
        D.deliver(
            field.ctx(card=session_on(chip_for(s))),
            run.id,
            _item(field, run.id, s).id,
            _door(s, holder_doc_number="430121199001011234"),
        )
    assert "R-ISS-3" in exc.value.rules
    assert field.counts() == before and _item(field, run.id, s).outcome == "pending"


@pytest.mark.parametrize(
    ("category", "relation", "ok"),
    [
        ("retired", "holder", True),
        ("retired", "spouse", False),
        ("incapacitated", "holder", False),
        ("incapacitated", "guardian", True),
        ("migrant", "child", True),
        ("migrant", "parent", True),
        ("migrant", "guardian", False),
        ("", "spouse", True),
        ("", "sibling", False),
        ("", "entrusted", False),
    ],
)
def test_R_ISS_7_who_may_take_whose_card(field: Field, category: str, relation: str, ok: bool) -> None:
    run, (s,) = _run(field, 1)  # the category is set at the door here (the run's cached one is '')
    item = _item(field, run.id, s)
    kw: dict[str, str] = {"category": category, "relation": relation}
    if relation != "holder":
        kw |= {"recipient_name": "李家人", "recipient_doc_number": "43012119650101123X"}
    door = _door(s, **kw)
    ctx = field.ctx(card=session_on(chip_for(s)))
    if ok:
        result = D.deliver(ctx, run.id, item.id, door)
        assert result.details["category"] == category
        assert _item(field, run.id, s).recipient == relation
    else:
        before = field.counts()
        with pytest.raises(ValidationError) as exc:
            D.deliver(ctx, run.id, item.id, door)
        assert exc.value.rules == ["R-ISS-7"]
        assert field.counts() == before


def test_R_ISS_7_category_cached_at_preparation_applies_at_the_door(field: Field) -> None:
    s = field.in_stock(1)
    run = D.prepare_run(field.ctx(), village=VILLAGE, name="x", categories={s.person_id: "retired"})
    item = _item(field, run.id, s)
    assert item.category == "retired"
    door = _door(s, relation="spouse", recipient_name="李家人", recipient_doc_number="43012119650101123X")
    with pytest.raises(ValidationError) as exc:
        D.deliver(field.ctx(card=session_on(chip_for(s))), run.id, item.id, door)
    assert "当面发放给本人" in str(exc.value)


def test_R_ISS_7_failed_visits_are_businesses_and_the_card_stays_in_stock(field: Field) -> None:
    run, (a, b, c) = _run(field, 1, 2, 3)
    outbox_before = field.counts()["outbox"]
    for seeded, outcome in ((a, "not_at_home"), (b, "refused"), (c, "moved")):
        result = D.deliver(
            field.ctx(), run.id, _item(field, run.id, seeded).id, D.DeliverInput(outcome, note="邻居说")
        )
        assert result.item == "issue" and result.details["action"] == "door_visit"
        assert result.details["outcome"] == outcome and result.details["card_kept_in_stock"] is True
        biz = field.store.one("SELECT card_id FROM businesses WHERE id = ?", (result.business_id,))
        assert biz is not None and biz["card_id"] == seeded.card_id
        row = field.store.one("SELECT status FROM cards WHERE id = ?", (seeded.card_id,))
        assert row is not None and row["status"] == "arrived"
        assert _item(field, run.id, seeded).outcome == outcome
    assert field.counts()["outbox"] == outbox_before + 3
    # A second knock after "not at home" hands the card over.
    again = D.deliver(field.ctx(card=session_on(chip_for(a))), run.id, _item(field, run.id, a).id, _door(a))
    assert again.details["action"] == "issue" and _item(field, run.id, a).attempts == 2
    with pytest.raises(DomainError):
        D.deliver(field.ctx(), run.id, _item(field, run.id, b).id, D.DeliverInput("not_at_home"))


def test_R_ISS_7_close_counts_outcomes_and_queues_one_closing_envelope(field: Field) -> None:
    run, (a, b, c) = _run(field, 1, 2, 3)
    D.deliver(field.ctx(card=session_on(chip_for(a))), run.id, _item(field, run.id, a).id, _door(a))
    D.deliver(field.ctx(), run.id, _item(field, run.id, b).id, D.DeliverInput("not_at_home"))
    outbox_before = field.counts()["outbox"]
    summary = D.close_run(field.ctx(), run.id)
    assert summary.counts == {"delivered": 1, "not_at_home": 1, "pending": 1} and summary.total == 3
    assert summary.delivered == 1 and set(summary.undelivered) == {b.card_number, c.card_number}
    assert field.counts()["outbox"] == outbox_before + 1
    payload = json.loads(
        one(field.store, "SELECT details FROM businesses WHERE id = ?", (summary.result.business_id,))[0]
    )
    assert payload["action"] == "delivery_run_close" and payload["counts"]["delivered"] == 1
    info = D.run_info(field.store, run.id)
    assert info is not None and info.state == "closed" and info.state_zh == "已结束"
    with pytest.raises(DomainError) as exc:
        D.deliver(field.ctx(), run.id, _item(field, run.id, c).id, D.DeliverInput("not_at_home"))
    assert "已结束" in str(exc.value)
    with pytest.raises(DomainError):
        D.close_run(field.ctx(), run.id)
    # The undelivered cards are free for the next run.
    nxt = D.prepare_run(field.ctx(), village=VILLAGE, name="第二趟")
    assert {i.card_id for i in D.run_items(field.store, nxt.id)} == {b.card_id, c.card_id}


def test_R_ISS_7_items_past_the_deadline_are_shown(field: Field) -> None:
    run, (a, b) = _run(field, 1, 2)
    D.deliver(field.ctx(card=session_on(chip_for(a))), run.id, _item(field, run.id, a).id, _door(a))
    late = (NOW + timedelta(days=60)).date()
    assert [i.card_id for i in D.overdue_items(field.store, late)] == [b.card_id]
    assert D.overdue_items(field.store, NOW.date()) == []
    assert _item(field, run.id, b).overdue(late) and not _item(field, run.id, a).overdue(late)
    assert [r.overdue for r in D.list_runs(field.store, today=late)] == [1]


def test_R_ISS_7_bad_outcome_and_unknown_item(field: Field) -> None:
    run, (s,) = _run(field, 1)
    with pytest.raises(ValidationError):
        D.deliver(field.ctx(), run.id, _item(field, run.id, s).id, D.DeliverInput("lost_on_the_way"))
    with pytest.raises(DomainError):
        D.deliver(field.ctx(), run.id, 999, D.DeliverInput("not_at_home"))
    with pytest.raises(DomainError):
        D.deliver(field.ctx(), 999, 1, D.DeliverInput("not_at_home"))
