"""Regression: the clock set back a day wedged leased and delayed envelopes for a day (fault campaign).

A PC without a working RTC battery boots a day early; a lease taken before ("sending" until
T+2 min) or a retry scheduled before (due T+10 min) then lay a whole day in the future and the
outbox stopped uploading them. `claim_batch` now treats anything beyond `CLOCK_HORIZON_S` as due.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from offline import clock as station_clock
from offline import outbox
from offline.business import ServiceContext, commit_business


class MovedClock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now().astimezone() + self.offset


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[MovedClock]:
    c = MovedClock()
    monkeypatch.setattr(station_clock, "now", c)
    yield c


def _business(ctx: ServiceContext) -> None:
    with ctx.store.write() as conn:
        commit_business(ctx, conn, item="query", summary="查询", details={"card_number": "L00000019"})


def test_R_SEC_3_lease_taken_before_the_clock_went_back_a_day_is_not_wedged(
    ctx: ServiceContext, clock: MovedClock
) -> None:
    _business(ctx)
    leased = outbox.claim_batch(ctx.store, lease_seconds=120)  # upload starts, the PC dies
    assert [e.state for e in leased] == ["pending"] and outbox.claim_batch(ctx.store) == []
    clock.offset = timedelta(days=-1)
    again = outbox.claim_batch(ctx.store)
    assert [e.envelope_id for e in again] == [e.envelope_id for e in leased]


def test_R_SEC_3_retry_scheduled_before_the_clock_went_back_is_due(
    ctx: ServiceContext, clock: MovedClock
) -> None:
    _business(ctx)
    (entry,) = outbox.claim_batch(ctx.store)
    outbox.mark_retry(ctx.store, entry.envelope_id, "link down", delay_seconds=600)
    assert outbox.claim_batch(ctx.store) == []  # still honoured on a steady clock
    clock.offset = timedelta(days=-1)
    assert [e.envelope_id for e in outbox.claim_batch(ctx.store)] == [entry.envelope_id]


def test_live_lease_is_still_respected_on_a_steady_clock(ctx: ServiceContext, clock: MovedClock) -> None:
    _business(ctx)
    assert len(outbox.claim_batch(ctx.store, lease_seconds=600)) == 1
    clock.offset = timedelta(minutes=5)
    assert outbox.claim_batch(ctx.store) == []
    clock.offset = timedelta(minutes=11)
    assert len(outbox.claim_batch(ctx.store)) == 1
