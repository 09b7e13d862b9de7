"""Freeze rules R-FRZ-1..3: unsynced age and disk floor stop new applications; supervisor override audited."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from offline.business import ServiceContext
from offline.errors import PermissionDenied, ValidationError
from offline.freeze import FROZEN, OK, WARNING, freeze_state
from offline.services.applications import ApplicationInput, apply_card
from offline.store import Store
from tests.helpers import one


def app(person: Any, **kw: Any) -> ApplicationInput:
    return ApplicationInput(person=person, channel="local", mode="fast", bank="中国农业银行", **kw)


def age_outbox(store: Store, days: float, now: Any) -> None:
    """Pretend every pending envelope was queued `days` ago."""
    at = (now - timedelta(days=days)).isoformat(timespec="seconds")
    with store.write() as conn:
        conn.execute("UPDATE outbox SET created_at = ?", (at,))


def test_R_FRZ_1_ok_warning_frozen_by_unsynced_age(ctx: ServiceContext, applied: Callable[..., Any]) -> None:
    now = ctx.now()
    profile = dataclasses.replace(ctx.profile, disk_floor_mb=0, disk_warn_mb=0)
    assert freeze_state(ctx.store, profile, now=now).level == OK  # empty outbox
    applied()
    age_outbox(ctx.store, profile.freeze_warn_days + 1, now)
    warn = freeze_state(ctx.store, profile, now=now)
    assert warn.level == WARNING and warn.rules == ("R-FRZ-1",)
    age_outbox(ctx.store, profile.freeze_unsynced_days + 1, now)
    frozen = freeze_state(ctx.store, profile, now=now)
    assert frozen.level == FROZEN and "未确认上传" in frozen.reasons[0]


def test_R_FRZ_1_acknowledged_envelopes_do_not_count(
    ctx: ServiceContext, applied: Callable[..., Any]
) -> None:
    from offline import outbox

    applied()
    age_outbox(ctx.store, 100, ctx.now())
    for e in outbox.entries(ctx.store):
        outbox.mark_acked(ctx.store, e.envelope_id, "ok")
    profile = dataclasses.replace(ctx.profile, disk_floor_mb=0, disk_warn_mb=0)
    assert freeze_state(ctx.store, profile, now=ctx.now()).level == OK


def test_R_FRZ_2_disk_floor_and_warning(ctx: ServiceContext, tmp_path: Path) -> None:
    import shutil

    free_mb = shutil.disk_usage(tmp_path).free // (1024 * 1024)
    floor = dataclasses.replace(ctx.profile, disk_floor_mb=free_mb + 10, disk_warn_mb=free_mb + 20)
    state = freeze_state(ctx.store, floor, now=ctx.now(), disk_path=tmp_path)
    assert state.level == FROZEN and state.rules == ("R-FRZ-2",)
    warn = dataclasses.replace(ctx.profile, disk_floor_mb=0, disk_warn_mb=free_mb + 10)
    assert freeze_state(ctx.store, warn, now=ctx.now(), disk_path=tmp_path).level == WARNING


def frozen_ctx(ctx: ServiceContext, applied: Callable[..., Any]) -> ServiceContext:
    applied()
    age_outbox(ctx.store, ctx.profile.freeze_unsynced_days + 2, ctx.now())
    ctx.profile = dataclasses.replace(ctx.profile, disk_floor_mb=0, disk_warn_mb=0)
    return ctx


def test_R_FRZ_1_frozen_station_refuses_new_application(
    ctx: ServiceContext,
    applied: Callable[..., Any],
    make_person: Callable[..., Any],
    counts: Callable[[], dict[str, int]],
) -> None:
    frozen_ctx(ctx, applied)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        apply_card(ctx, app(make_person()))
    assert exc.value.rules == ["R-FRZ-1"] and "主管" in str(exc.value)
    assert counts() == before


def test_R_FRZ_3_supervisor_override_is_audited(
    ctx: ServiceContext,
    supervisor_ctx: ServiceContext,
    applied: Callable[..., Any],
    make_person: Callable[..., Any],
) -> None:
    frozen_ctx(ctx, applied)
    result = apply_card(ctx, app(make_person(), override_by=supervisor_ctx.operator))
    assert result.details["freeze_override_by"] == "sup"
    row = one(ctx.store, "SELECT * FROM audit WHERE action = 'freeze.override'")
    assert row is not None and row["target"] == result.receipt_no
    from offline import audit

    assert audit.verify(ctx.store.connection()).ok


def test_R_FRZ_3_operator_cannot_override(
    ctx: ServiceContext,
    applied: Callable[..., Any],
    make_person: Callable[..., Any],
    counts: Callable[[], dict[str, int]],
) -> None:
    frozen_ctx(ctx, applied)
    before = counts()
    with pytest.raises(PermissionDenied):
        apply_card(ctx, app(make_person(), override_by=ctx.operator))
    assert counts() == before
