"""Home-screen alerts: each kind appears when, and only when, there is something to do."""

from __future__ import annotations

from datetime import date

from offline.business import ServiceContext, commit_business
from offline.services.alerts import alerts
from tests.offline.cards.conftest import add_card, add_person, add_temp, card_number

TODAY = date(2025, 3, 3)


def _kinds(c: ServiceContext, today: date = TODAY) -> dict[str, tuple[int, str, str]]:
    return {a.kind: (a.count, a.message_zh, a.severity) for a in alerts(c.store, c.profile, today=today)}


def test_empty_station_has_only_the_temp_stock_alert_in_hunan(hn: ServiceContext, hb: ServiceContext) -> None:
    assert set(_kinds(hn)) == {"temp_stock_low"}
    assert _kinds(hb) == {}  # Hubei has no temporary cards


def test_R_ISS_2_contact_overdue(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    add_card(hn.store, pid, status="arrived", serial=1, contact_deadline="2025-02-28")
    add_card(hn.store, pid, status="arrived", serial=2, contact_deadline="2025-02-28", contacted_at="x")
    add_card(hn.store, pid, status="arrived", serial=3, contact_deadline="2025-03-05")
    count, message, _sev = _kinds(hn)["contact_overdue"]
    assert count == 1 and "R-ISS-2" in message


def test_R_ISS_6_old_stock_and_sleeping_cards(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    add_card(hn.store, pid, status="arrived", serial=1, arrived_at="2024-09-01T09:00:00+08:00")
    add_card(hn.store, pid, status="arrived", serial=2, arrived_at="2024-12-01T09:00:00+08:00")
    add_card(hn.store, pid, status="unit_collected", serial=3, produced_at="2024-08-01T09:00:00+08:00")
    kinds = _kinds(hn)
    assert kinds["stock_old"][0] == 1 and "6 个月" in kinds["stock_old"][1]
    assert kinds["sleeping_cards"][0] == 1


def test_R_TMP_5_temp_stock_low_threshold(hn: ServiceContext) -> None:
    for i in range(10):
        add_temp(hn.store, card_number(400 + i, "T"), "in_stock")
    assert "temp_stock_low" not in _kinds(hn)  # 10 is not below 10
    hn.store.connection().execute("UPDATE temp_cards SET state = 'issued' WHERE id = 1")
    assert _kinds(hn)["temp_stock_low"][0] == 9


def test_R_PIN_4_locked_and_R_LOSS_2_expiring(hn: ServiceContext) -> None:
    pid = add_person(hn.store)
    add_card(hn.store, pid, status="issued", serial=1, pin_locked=1)
    add_card(hn.store, pid, status="temp_lost", serial=2, loss_expires_at="2025-03-04T10:00:00+08:00")
    add_card(hn.store, pid, status="temp_lost", serial=3, loss_expires_at="2025-03-09T10:00:00+08:00")
    kinds = _kinds(hn)
    assert kinds["pin_locked"][0] == 1 and kinds["temp_loss_expiring"][0] == 1


def test_pending_chip_write_and_sync_alerts(hn: ServiceContext) -> None:
    from offline import card_journal

    card_journal.begin(
        hn.store,
        card_number=card_number(1, "T"),
        op="erase",
        operator_id=hn.operator.id,
        intent={"service": "temp_card.recycle"},
    )
    with hn.store.write() as conn:
        commit_business(hn, conn, item="stock", summary="x", details={})
    kinds = _kinds(hn, date(2025, 3, 13))
    assert kinds["card_write_pending"][2] == "error"
    assert kinds["unsynced"][0] == 1 and kinds["unsynced"][2] == "warn" and "10 天" in kinds["unsynced"][1]
    with hn.store.write() as conn:
        conn.execute("UPDATE outbox SET state = 'quarantined'")
    assert _kinds(hn)["quarantined"][0] == 1
