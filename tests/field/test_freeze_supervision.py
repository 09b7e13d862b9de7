"""Freeze rules end to end (R-FRZ-1..3), as the supervisor and the county see them.

Not a re-test of `offline.freeze`'s arithmetic: here real businesses made on an earlier day leave
real envelopes unsent, and the real application service, the alerts and the audit chain answer.
The disk floor uses a monkeypatched `shutil.disk_usage` (what offline.freeze calls).
"""

from __future__ import annotations

import shutil
from collections import namedtuple
from datetime import timedelta

import pytest

from offline import audit, outbox
from offline.errors import PermissionDenied, ValidationError
from offline.freeze import FROZEN, OK, WARNING, freeze_state
from offline.services.alerts import alerts
from offline.services.applications import ApplicationInput, apply_card
from offline.services.stock import record_contact
from tests.field.conftest import NOW, Field

Usage = namedtuple("Usage", "total used free")
MB = 1024 * 1024


def _aged(field: Field, days: int) -> None:
    """Businesses made `days` ago (their envelopes still unsent), then the clock is back to NOW."""
    field.now = lambda: NOW - timedelta(days=days)
    field.in_stock(90)
    field.now = lambda: NOW


def _apply(field: Field, seed: int, role: str = "operator", override: str | None = None) -> object:
    person = field.person(seed)
    inp = ApplicationInput(
        person=person,
        channel="local",
        mode="fast",
        bank=field.profile.banks[0],
        override_by=field.operators[override] if override else None,
    )
    return apply_card(field.ctx(role), inp)


@pytest.fixture
def roomy_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(100_000 * MB, 0, 50_000 * MB))


def test_R_FRZ_1_early_warning_then_freeze_from_a_real_unsent_envelope(
    field: Field, roomy_disk: None
) -> None:
    warn, limit = field.profile.freeze_warn_days, field.profile.freeze_unsynced_days
    _aged(field, warn + 1)
    state = freeze_state(field.store, field.profile, now=NOW)
    assert state.level == WARNING and state.rules == ("R-FRZ-1",)
    assert f"{limit} 天后将停止受理新申领" in state.reasons[0]
    assert _apply(field, 1) is not None  # a warning does not stop the window
    unsynced = [a for a in alerts(field.store, field.profile, today=NOW.date()) if a.kind == "unsynced"]
    assert unsynced and unsynced[0].severity == "warn" and "尽快联网同步" in unsynced[0].message_zh


def test_R_FRZ_1_frozen_station_refuses_new_applications_but_not_other_work(
    field: Field, roomy_disk: None
) -> None:
    _aged(field, field.profile.freeze_unsynced_days + 1)
    assert freeze_state(field.store, field.profile, now=NOW).level == FROZEN
    before = field.counts()
    with pytest.raises(ValidationError) as exc:
        _apply(field, 2)
    assert exc.value.rules == ["R-FRZ-1"] and "暂停受理新申领" in str(exc.value)
    assert field.counts() == before
    card = field.store.one("SELECT id FROM cards WHERE status = 'arrived'")
    assert card is not None
    assert record_contact(field.ctx(), int(card["id"]), "phone").item == "stock"  # other work goes on
    # Sync catches up (every envelope acknowledged) → the freeze lifts by itself.
    for entry in outbox.entries(field.store):
        outbox.mark_acked(field.store, entry.envelope_id, "ack")
    assert freeze_state(field.store, field.profile, now=NOW).level == OK
    assert _apply(field, 2) is not None


def test_R_FRZ_3_supervisor_override_is_audited_and_uploaded(field: Field, roomy_disk: None) -> None:
    _aged(field, field.profile.freeze_unsynced_days + 3)
    before = field.counts()
    with pytest.raises(PermissionDenied):
        _apply(field, 3, override="operator")
    with pytest.raises(PermissionDenied):
        _apply(field, 3, override="auditor")
    assert field.counts() == before
    result = _apply(field, 3, override="supervisor")
    assert result.details["freeze_override_by"] == "zhaozg"  # type: ignore[attr-defined]
    row = field.store.one("SELECT operator_id, details FROM audit WHERE action = 'freeze.override'")
    assert row is not None and row["operator_id"] == field.operators["operator"].id
    assert '"supervisor":"zhaozg"' in row["details"] and "R-FRZ-1" in row["details"]
    assert audit.verify(field.store.connection()).ok


def test_R_FRZ_2_disk_floor_and_warning(field: Field, monkeypatch: pytest.MonkeyPatch) -> None:
    floor, warn = field.profile.disk_floor_mb, field.profile.disk_warn_mb
    seen: list[str] = []

    def disk(free_mb: int) -> None:
        def usage(path: object) -> Usage:
            seen.append(str(path))
            return Usage(100_000 * MB, 0, free_mb * MB)

        monkeypatch.setattr(shutil, "disk_usage", usage)

    disk(floor - 1)
    state = freeze_state(field.store, field.profile, now=NOW)
    assert (
        state.level == FROZEN and state.rules == ("R-FRZ-2",) and f"低于下限 {floor} MB" in state.reasons[0]
    )
    with pytest.raises(ValidationError) as exc:
        _apply(field, 4)
    assert exc.value.rules == ["R-FRZ-2"]
    assert str(field.store.path.parent) in seen  # the store's own disk is the one measured
    disk((floor + warn) // 2)
    assert freeze_state(field.store, field.profile, now=NOW).level == WARNING
    assert _apply(field, 4) is not None


def test_R_FRZ_1_home_alerts_warn_before_the_freeze_and_say_when_frozen(
    field: Field, roomy_disk: None
) -> None:
    _aged(field, field.profile.freeze_warn_days + 1)
    kinds = {a.kind: a for a in alerts(field.store, field.profile, today=NOW.date())}
    assert "freeze_warning" in kinds and "即将冻结新申领" in kinds["freeze_warning"].message_zh
    assert "frozen" not in kinds
    later = NOW.date() + timedelta(days=field.profile.freeze_unsynced_days)
    kinds = {a.kind: a for a in alerts(field.store, field.profile, today=later)}
    assert kinds["frozen"].severity == "error" and "新申领已冻结" in kinds["frozen"].message_zh
