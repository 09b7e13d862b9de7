"""`begin_business`: permission, one transaction, receipt first, moves and audit owned, or nothing."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from offline import outbox
from offline.business import ServiceContext, commit_business
from offline.business_builder import begin_business
from offline.errors import IllegalTransition, PermissionDenied
from offline.store import Store
from tests.conftest import add_operator


def _count(store: Store, table: str) -> int:
    row = store.one(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


def _card(store: Store, status: str = "issued") -> int:
    with store.write() as conn:
        person = conn.execute(
            "INSERT INTO persons(ssn, name, sex, birth_date, doc_type, doc_number, created_at, updated_at)"
            " VALUES ('430102198001010011', '张三', '1', '1980-01-01', 'resident_id', '430102198001010011', 'x', 'x')"
        ).lastrowid
        cur = conn.execute(
            "INSERT INTO cards(person_id, card_number, bank, status, created_at, updated_at)"
            " VALUES (?, 'T00000019', '中国农业银行', ?, 'x', 'x')",
            (person, status),
        )
    return int(cur.lastrowid or 0)


def _rows(store: Store, table: str, order: str) -> list[dict[str, object]]:
    return [dict(r) for r in store.query(f"SELECT * FROM {table} ORDER BY {order}")]


def test_builder_writes_the_same_business_audit_and_envelope_as_commit_business(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    """Byte-for-byte: the builder is a reordering of the writes, not a new format (R-SEC-3)."""
    with begin_business(ctx, "temp_loss") as biz:
        early_receipt = biz.receipt_no
        result = biz.commit(summary="临时挂失", details={"a": 1}, fee_fen=0)
    assert result.receipt_no == early_receipt

    other = dataclasses.replace(ctx, store=Store.open(tmp_path / "other.db"))
    other = dataclasses.replace(other, operator=add_operator(other.store))
    with other.store.write() as conn:
        commit_business(other, conn, item="temp_loss", summary="临时挂失", details={"a": 1})
    for table, order in (("businesses", "id"), ("audit", "seq"), ("receipt_counters", "day")):
        assert _rows(ctx.store, table, order) == _rows(other.store, table, order), table
    assert [(e.kind, e.business_id) for e in outbox.entries(ctx.store)] == [
        (e.kind, e.business_id) for e in outbox.entries(other.store)
    ]


def test_R_SEC_2_permission_refused_before_anything_is_written(ctx: ServiceContext) -> None:
    auditor = dataclasses.replace(ctx, operator=add_operator(ctx.store, "aud", "auditor"))
    with pytest.raises(PermissionDenied), begin_business(auditor, "temp_loss"):
        pytest.fail("the block must not run")  # pragma: no cover
    for table in ("businesses", "receipt_counters", "audit"):
        assert _count(ctx.store, table) == 0, table


def test_R_ISS_1_move_is_linked_to_the_business_at_once(ctx: ServiceContext) -> None:
    card_id = _card(ctx.store)
    with begin_business(ctx, "temp_loss") as biz:
        card = biz.conn.execute("SELECT * FROM cards WHERE id = ?", (card_id,)).fetchone()
        move = biz.move_card(card, "temp_lost", loss_source="station")
        row = biz.conn.execute("SELECT business_id, at FROM card_moves WHERE id = ?", (move,)).fetchone()
        assert tuple(row) == (biz.business_id, biz.at)
        biz.commit(summary="s", details={}, card_id=card_id)
    card_row = ctx.store.one("SELECT status, loss_source FROM cards WHERE id = ?", (card_id,))
    assert card_row is not None and tuple(card_row) == ("temp_lost", "station")


def test_an_illegal_move_rolls_back_receipt_and_row(ctx: ServiceContext) -> None:
    card_id = _card(ctx.store, status="cancelled")
    with pytest.raises(IllegalTransition), begin_business(ctx, "temp_loss") as biz:
        card = biz.conn.execute("SELECT * FROM cards WHERE id = ?", (card_id,)).fetchone()
        biz.move_card(card, "temp_lost")
    for table in ("businesses", "receipt_counters", "card_moves", "audit", "outbox"):
        assert _count(ctx.store, table) == 0, table


def test_extra_audit_entries_follow_the_business_entry(ctx: ServiceContext, sealer) -> None:  # type: ignore[no-untyped-def]
    with begin_business(ctx, "apply") as biz:
        biz.audit("freeze.override", details={"supervisor": "sup"})
        result = biz.commit(summary="申领", details={})
    rows = ctx.store.query("SELECT seq, action, target FROM audit ORDER BY seq")
    assert [tuple(r) for r in rows] == [
        (1, "business.apply", result.receipt_no),
        (2, "freeze.override", result.receipt_no),
    ]
    _, payload = sealer.sealed[-1]
    assert json.loads(payload)["audit_seq"] == 1  # the envelope names the business's own entry


def test_leaving_without_commit_writes_nothing(ctx: ServiceContext) -> None:
    with pytest.raises(RuntimeError, match="without commit"), begin_business(ctx, "apply"):
        pass
    for table in ("businesses", "receipt_counters"):
        assert _count(ctx.store, table) == 0, table


def test_committing_twice_is_refused(ctx: ServiceContext) -> None:
    with pytest.raises(RuntimeError, match="twice"), begin_business(ctx, "apply") as biz:
        biz.commit(summary="s", details={})
        biz.commit(summary="s", details={})
    assert _count(ctx.store, "businesses") == 0


def test_R_PIN_6_pin_fields_refused_through_the_builder(ctx: ServiceContext) -> None:
    with pytest.raises(ValueError, match="R-PIN-6"), begin_business(ctx, "pin_change") as biz:
        biz.commit(summary="s", details={"new_pin": "123456"})
    assert _count(ctx.store, "businesses") == 0


def test_R_TMP_5_temporary_card_move_is_linked_to_the_business(ctx: ServiceContext) -> None:
    with ctx.store.write() as conn:
        conn.execute(
            "INSERT INTO temp_cards(card_number, state, updated_at) VALUES ('T00000027', 'in_stock', 'x')"
        )
    with begin_business(ctx, "temp_card") as biz:
        temp = biz.conn.execute("SELECT * FROM temp_cards").fetchone()
        biz.move_temp_card(temp, "out_of_stock")
        biz.commit(summary="出库", details={})
    row = ctx.store.one("SELECT from_state, to_state, business_id, operator_id, at FROM temp_card_moves")
    assert row is not None
    assert tuple(row) == ("in_stock", "out_of_stock", biz.business_id, ctx.operator.id, biz.at)


def test_R_LOSS_2_a_station_business_skips_the_operators_permission(ctx: ServiceContext) -> None:
    """Expiry by rule (R-LOSS-2) and journal completion run under whoever is logged in."""
    auditor = dataclasses.replace(ctx, operator=add_operator(ctx.store, "aud", "auditor"))
    with begin_business(auditor, "lift_loss", by_station=True) as biz:
        result = biz.commit(summary="到期自动解除", details={"by": "system"})
    assert _count(ctx.store, "businesses") == 1 and result.item == "lift_loss"


def test_a_business_joins_an_outer_transaction_and_rolls_back_with_it(ctx: ServiceContext) -> None:
    with pytest.raises(RuntimeError, match="outer"), ctx.store.write():
        with begin_business(ctx, "apply") as biz:
            biz.commit(summary="s", details={})
        raise RuntimeError("outer failed after the business")
    for table in ("businesses", "audit", "outbox", "receipt_counters"):
        assert _count(ctx.store, table) == 0, table
