"""Downlink updates: one transaction with inbox + cursor, idempotent, never blocking (R-APP-3, R-LOSS-4)."""

from __future__ import annotations

import pytest

from offline import downlink
from offline.business import ServiceContext, commit_business
from offline.downlink import DownlinkUpdate, apply_update
from offline.profiles import profile_text
from offline.store import Store
from offline.workdays import WorkCalendar
from tests.conftest import add_operator
from tests.offline.cards.conftest import add_card, add_person, card, card_number, one


def _application(hn: ServiceContext) -> tuple[int, str, int]:
    pid = add_person(hn.store)
    with hn.store.write() as conn:
        result = commit_business(hn, conn, item="apply", summary="申领", details={}, person_id=pid)
        app = conn.execute(
            "INSERT INTO applications(person_id, business_id, kind, channel, mode, bank, status,"
            " created_at, updated_at) VALUES (?, ?, 'first', 'local', 'fast', '中国银行', 'accepted',"
            " ?, ?)",
            (pid, result.business_id, hn.now_iso(), hn.now_iso()),
        ).lastrowid
    return pid, result.receipt_no, int(app or 0)


def _inbox(store: Store, update_id: str) -> str:
    return str(one(store, "SELECT outcome FROM inbox WHERE update_id = ?", (update_id,))[0])


def test_R_APP_3_central_rejection_reaches_business_and_application(hn: ServiceContext) -> None:
    _pid, receipt, app = _application(hn)
    line = apply_update(
        hn.store,
        DownlinkUpdate(
            "u1",
            "application_result",
            {
                "receipt_no": receipt,
                "accepted": False,
                "reason": "该人员已在其他网点持有有效社保卡（一人一卡）",
            },
        ),
        cursor="c1",
    )
    assert "卡管系统退回" in line and "一人一卡" in line
    biz = one(
        hn.store, "SELECT remote_status, remote_reason FROM businesses WHERE receipt_no = ?", (receipt,)
    )
    assert biz[0] == "rejected" and "一人一卡" in biz[1]
    row = one(hn.store, "SELECT status, reject_reason FROM applications WHERE id = ?", (app,))
    assert row[0] == "rejected" and "一人一卡" in row[1]
    assert downlink.cursor(hn.store) == "c1" and _inbox(hn.store, "u1") == line


def test_repeated_update_is_a_no_op(hn: ServiceContext) -> None:
    _pid, receipt, _app = _application(hn)
    u = DownlinkUpdate("u1", "ack_status", {"receipt_no": receipt, "status": "processed"})
    apply_update(hn.store, u, cursor="c1")
    assert apply_update(hn.store, u, cursor="c2") == "duplicate"
    assert downlink.cursor(hn.store) == "c1"
    assert one(hn.store, "SELECT COUNT(*) FROM inbox")[0] == 1
    assert one(hn.store, "SELECT remote_status FROM businesses")[0] == "processed"


def test_unknown_kind_and_bad_payload_never_block_the_stream(hn: ServiceContext) -> None:
    assert "unknown kind" in apply_update(hn.store, DownlinkUpdate("u1", "weather", {}), cursor="c1")
    assert downlink.cursor(hn.store) == "c1"
    line = apply_update(
        hn.store,
        DownlinkUpdate("u2", "bank_loss", {"card_number": card_number(1), "kind": "temp"}),
        cursor="c2",
    )
    assert line.startswith("未应用") and "本站没有卡号" in line
    assert downlink.cursor(hn.store) == "c2" and one(hn.store, "SELECT COUNT(*) FROM inbox")[0] == 2


def test_failed_handler_leaves_no_partial_effects(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    ok = add_card(hn.store, pid, status="produced", serial=1, arrived_at="")
    # Second card is unknown: the first card's move is kept (partial shipments are normal) ...
    line = apply_update(
        hn.store,
        DownlinkUpdate("u1", "card_shipped", {"card_numbers": [card_number(1), card_number(2)]}),
        cursor="c1",
    )
    assert card(hn.store, ok)["status"] == "shipped" and card_number(2) in line
    # ... but a calendar update with one bad day applies none of its days.
    line = apply_update(
        hn.store,
        DownlinkUpdate(
            "u2", "calendar_update", {"days": [["2027-01-01", False, "元旦"], ["2027-13-01", True, ""]]}
        ),
        cursor="c2",
    )
    assert line.startswith("未应用")
    assert one(hn.store, "SELECT COUNT(*) FROM calendar_days")[0] == 0


def test_card_produced_then_shipped_then_signed_in(hn: ServiceContext) -> None:
    from offline.services.stock import ReceiveInput, receive_cards, shipped_cards

    pid, receipt, app = _application(hn)
    number = card_number(42)
    apply_update(
        hn.store,
        DownlinkUpdate(
            "u1",
            "card_produced",
            {
                "receipt_no": receipt,
                "card_number": number,
                "card_id_code": "430100D1560000050000004200000001",
                "issue_date": "20250301",
                "expiry_date": "20350301",
                "bank": "中国银行",
            },
        ),
        cursor="c1",
    )
    row = one(hn.store, "SELECT * FROM cards WHERE card_number = ?", (number,))
    assert row["status"] == "produced" and row["person_id"] == pid and row["issue_date"] == "2025-03-01"
    assert one(hn.store, "SELECT status FROM applications WHERE id = ?", (app,))[0] == "produced"
    again = apply_update(
        hn.store, DownlinkUpdate("u1b", "card_produced", {"ssn": "x", "card_number": number}), cursor="c2"
    )
    assert again.startswith("未应用")  # unknown SSN: refused, recorded
    apply_update(
        hn.store,
        DownlinkUpdate("u2", "card_shipped", {"card_numbers": [number], "station_id": "s"}),
        cursor="c3",
    )
    assert shipped_cards(hn.store) == [number]
    receive_cards(hn, ReceiveInput.from_numbers([number], source="shipment"))
    assert one(hn.store, "SELECT status FROM cards WHERE card_number = ?", (number,))[0] == "arrived"
    assert one(hn.store, "SELECT status FROM applications WHERE id = ?", (app,))[0] == "arrived"


def test_R_LOSS_4_bank_loss_and_lifting_arrive_by_downlink(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    cid = add_card(hn.store, pid, status="issued")
    apply_update(
        hn.store,
        DownlinkUpdate("u1", "bank_loss", {"card_number": card_number(1), "kind": "formal"}),
        cursor="c1",
    )
    row = card(hn.store, cid)
    assert row["status"] == "lost" and row["loss_source"] == "bank"
    apply_update(
        hn.store, DownlinkUpdate("u2", "bank_loss_lifted", {"card_number": card_number(1)}), cursor="c2"
    )
    assert card(hn.store, cid)["status"] == "issued"
    moves = [
        r[0] for r in hn.store.query("SELECT to_status FROM card_moves WHERE card_id = ? ORDER BY id", (cid,))
    ]
    assert moves == ["lost", "issued"]


def test_operator_revoked(hn: ServiceContext) -> None:
    add_operator(hn.store, "zhang", "operator", "张三")
    line = apply_update(
        hn.store,
        DownlinkUpdate("u1", "operator_revoked", {"username": "zhang", "reason": "离职"}),
        cursor="c1",
    )
    assert "已被停用" in line
    assert one(hn.store, "SELECT active FROM operators WHERE username = 'zhang'")[0] == 0
    assert apply_update(
        hn.store, DownlinkUpdate("u2", "operator_revoked", {"username": "nobody"}), cursor="c2"
    ).startswith("未应用")


def test_profile_update_is_validated_before_it_is_kept(hn: ServiceContext) -> None:
    good = profile_text("hunan").replace("temp_stock_low = 10", "temp_stock_low = 25")
    assert "已更新" in apply_update(
        hn.store, DownlinkUpdate("u1", "profile_update", {"toml": good}), cursor="c1"
    )
    assert hn.store.setting("profile_override") == good
    bad = good.replace('initial_pin = "666666"', 'initial_pin = "12"')
    assert apply_update(
        hn.store, DownlinkUpdate("u2", "profile_update", {"toml": bad}), cursor="c2"
    ).startswith("未应用")
    assert hn.store.setting("profile_override") == good


def test_calendar_update_feeds_the_working_day_calendar(hn: ServiceContext) -> None:
    apply_update(
        hn.store,
        DownlinkUpdate(
            "u1", "calendar_update", {"days": [["2027-01-01", False, "元旦"], ["20270102", True, "调休"]]}
        ),
        cursor="c1",
    )
    cal = WorkCalendar.from_store(hn.store)
    from datetime import date

    assert not cal.is_workday(date(2027, 1, 1)) and cal.is_workday(date(2027, 1, 2))


@pytest.mark.parametrize("kind", sorted(downlink.HANDLERS))
def test_every_kind_survives_an_empty_payload(hn: ServiceContext, kind: str) -> None:
    line = apply_update(hn.store, DownlinkUpdate(f"e-{kind}", kind, {}), cursor=f"c-{kind}")
    assert line.startswith("未应用") and downlink.cursor(hn.store) == f"c-{kind}"
