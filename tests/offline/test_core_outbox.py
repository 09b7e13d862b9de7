"""Outbox state machine: leases expire, acks are explicit, quarantine never blocks the rest."""

from __future__ import annotations

from offline import outbox
from offline.business import ServiceContext, commit_business


def _make(ctx: ServiceContext, n: int) -> None:
    for _ in range(n):
        with ctx.store.write() as conn:
            commit_business(ctx, conn, item="apply", summary="s", details={})


def test_claim_in_sequence_order_and_ack(ctx: ServiceContext) -> None:
    _make(ctx, 3)
    batch = outbox.claim_batch(ctx.store, max_count=10)
    assert [e.seq for e in batch] == [1, 2, 3]
    assert outbox.claim_batch(ctx.store) == []  # leased: not handed out twice
    for e in batch:
        outbox.mark_acked(ctx.store, e.envelope_id, f'{{"ack": "{e.envelope_id}"}}')
    st = outbox.status(ctx.store)
    assert (st.pending, st.acked, st.oldest_unsent_at) == (0, 3, None)
    # The plaintext copy is dropped once acknowledged.
    row = ctx.store.one("SELECT COUNT(*) FROM outbox WHERE payload IS NOT NULL")
    assert row is not None and row[0] == 0


def test_expired_lease_is_pending_again(ctx: ServiceContext) -> None:
    _make(ctx, 1)
    first = outbox.claim_batch(ctx.store, lease_seconds=-1)  # lease already expired: a crashed sender
    again = outbox.claim_batch(ctx.store)
    assert [e.envelope_id for e in again] == [first[0].envelope_id]
    assert again[0].attempts == 1  # the entry object was read before this claim's increment


def test_quarantine_does_not_block_later_envelopes(ctx: ServiceContext) -> None:
    _make(ctx, 3)
    batch = outbox.claim_batch(ctx.store, max_count=1)
    outbox.quarantine(ctx.store, batch[0].envelope_id, "tampered", "签名校验失败")
    nxt = outbox.claim_batch(ctx.store, max_count=10)
    assert [e.seq for e in nxt] == [2, 3]
    st = outbox.status(ctx.store)
    assert st.quarantined == 1
    outbox.resend(ctx.store, batch[0].envelope_id)
    assert outbox.status(ctx.store).quarantined == 0


def test_retry_delays_the_envelope(ctx: ServiceContext) -> None:
    _make(ctx, 1)
    e = outbox.claim_batch(ctx.store)[0]
    outbox.mark_retry(ctx.store, e.envelope_id, "超时", delay_seconds=3600)
    assert outbox.claim_batch(ctx.store) == []
    assert outbox.entries(ctx.store)[0].last_error == "超时"


def test_business_sync_state(ctx: ServiceContext) -> None:
    with ctx.store.write() as conn:
        r = commit_business(ctx, conn, item="apply", summary="s", details={})
    assert outbox.business_sync_state(ctx.store, r.business_id) == "pending"
    for e in outbox.claim_batch(ctx.store):
        outbox.mark_acked(ctx.store, e.envelope_id, "{}")
    assert outbox.business_sync_state(ctx.store, r.business_id) == "acked"


def test_max_bytes_still_returns_one_large_envelope(ctx: ServiceContext) -> None:
    _make(ctx, 2)
    batch = outbox.claim_batch(ctx.store, max_bytes=1)
    assert len(batch) == 1
