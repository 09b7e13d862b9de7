"""Transactional outbox: sealed envelopes written in the same transaction as the business.

The API here is what `sync/` drains; it never touches the outbox table with SQL of its own.

States: pending → sending (leased) → acked; pending/sending → quarantined (permanent failure,
with a reason code; a person fixes and resends) or conflict (same id, other content at the
server). A 'sending' lease expires by itself, so no state sticks across a crash or reboot.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from offline import clock
from offline.protocols import EnvelopeHeader, Sealer
from offline.store import Store

PENDING, SENDING, ACKED, QUARANTINED, CONFLICT = "pending", "sending", "acked", "quarantined", "conflict"

#: Sequence numbers the card management system has already seen from this station although the
#: store no longer holds them (a store restored from an older backup). New envelopes continue above
#: it: the gateway refuses a known (station, seq) with a different envelope as a replay.
S_SEQ_FLOOR = "outbox.seq_floor"


@dataclass(frozen=True)
class OutboxEntry:
    seq: int
    envelope_id: str
    kind: str
    business_id: int | None
    parent_id: str | None
    envelope: bytes
    size: int
    state: str
    attempts: int
    created_at: str
    last_error: str = ""
    reason_code: str = ""


@dataclass(frozen=True)
class OutboxStatus:
    """What the status bar and the sync screen show."""

    pending: int
    quarantined: int
    conflicts: int
    acked: int
    oldest_unsent_at: str | None
    last_acked_at: str | None
    pending_bytes: int


#: No one schedules a retry or holds a lease longer than this (sync's backoff cap is an hour). A due
#: time or lease end further ahead than this can only come from a clock that was set back after it
#: was written; such an envelope counts as due, so an upload never waits a day for the clock.
CLOCK_HORIZON_S = 3600


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def enqueue(
    conn: sqlite3.Connection,
    sealer: Sealer,
    *,
    station_id: str,
    kind: str,
    payload: bytes,
    business_id: int | None,
    at: str,
    parent_id: str | None = None,
    compress: bool = True,
) -> OutboxEntry:
    """Seal and insert one envelope inside the caller's business transaction.

    The sequence number is allocated here, under the IMMEDIATE lock, so it is gap-free and
    strictly increasing per station.
    """
    row = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()
    floor = conn.execute("SELECT value FROM settings WHERE key = ?", (S_SEQ_FLOOR,)).fetchone()
    seq = max(int(row[0]), int(floor[0]) if floor else 0) + 1
    envelope_id = uuid.uuid4().hex
    header = EnvelopeHeader(station_id=station_id, seq=seq, envelope_id=envelope_id, kind=kind)
    sealed = sealer.seal(header, payload, compress=compress)
    conn.execute(
        "INSERT INTO outbox(seq, envelope_id, kind, business_id, parent_id, envelope, payload, compress, size,"
        " state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
        (seq, envelope_id, kind, business_id, parent_id, sealed, payload, int(compress), len(sealed), at),
    )
    return OutboxEntry(seq, envelope_id, kind, business_id, parent_id, sealed, len(sealed), PENDING, 0, at)


def _entry(row: sqlite3.Row) -> OutboxEntry:
    return OutboxEntry(
        seq=row["seq"],
        envelope_id=row["envelope_id"],
        kind=row["kind"],
        business_id=row["business_id"],
        parent_id=row["parent_id"],
        envelope=bytes(row["envelope"]),
        size=row["size"],
        state=row["state"],
        attempts=row["attempts"],
        created_at=row["created_at"],
        last_error=row["last_error"],
        reason_code=row["reason_code"],
    )


def claim_batch(
    store: Store, *, max_count: int = 20, max_bytes: int = 64_000, lease_seconds: int = 120
) -> list[OutboxEntry]:
    """Lease the next due envelopes in sequence order (expired leases count as pending).

    A lease or retry time beyond `CLOCK_HORIZON_S` from now counts as due (clock set back).

    At least one envelope is returned when any is due, even when it alone exceeds max_bytes.
    """
    now = clock.now()
    now_s, lease_s = _iso(now), _iso(now + timedelta(seconds=lease_seconds))
    horizon_s = _iso(now + timedelta(seconds=max(lease_seconds, CLOCK_HORIZON_S)))
    with store.write() as conn:
        rows = conn.execute(
            "SELECT * FROM outbox WHERE (state = 'pending' AND (next_attempt_at <= ? OR next_attempt_at > ?))"
            " OR (state = 'sending' AND (lease_until <= ? OR lease_until > ?)) ORDER BY seq LIMIT ?",
            (now_s, horizon_s, now_s, horizon_s, max_count),
        ).fetchall()
        chosen: list[sqlite3.Row] = []
        total = 0
        for r in rows:
            if chosen and total + r["size"] > max_bytes:
                break
            chosen.append(r)
            total += r["size"]
        for r in chosen:
            conn.execute(
                "UPDATE outbox SET state = 'sending', lease_until = ?, attempts = attempts + 1 WHERE seq = ?",
                (lease_s, r["seq"]),
            )
    return [_entry(r) for r in chosen]


def mark_acked(store: Store, envelope_id: str, ack: str) -> None:
    """Record the server's explicit acknowledgement; drop the plaintext copy."""
    with store.write() as conn:
        conn.execute(
            "UPDATE outbox SET state = 'acked', ack = ?, acked_at = ?, payload = NULL, lease_until = '',"
            " last_error = '' WHERE envelope_id = ?",
            (ack, _iso(clock.now()), envelope_id),
        )


def mark_retry(store: Store, envelope_id: str, error: str, *, delay_seconds: float) -> None:
    """A transient failure: back to pending, due again after the delay (the caller adds jitter)."""
    due = _iso(clock.now() + timedelta(seconds=delay_seconds))
    with store.write() as conn:
        conn.execute(
            "UPDATE outbox SET state = 'pending', lease_until = '', next_attempt_at = ?, last_error = ?"
            " WHERE envelope_id = ? AND state IN ('pending', 'sending')",
            (due, error, envelope_id),
        )


def release(store: Store, envelope_ids: list[str]) -> None:
    """Give leased envelopes back at once (the batch stopped before sending them)."""
    with store.write() as conn:
        conn.executemany(
            "UPDATE outbox SET state = 'pending', lease_until = '' WHERE envelope_id = ? AND state = 'sending'",
            [(e,) for e in envelope_ids],
        )


def quarantine(
    store: Store, envelope_id: str, reason_code: str, detail: str, *, conflict: bool = False
) -> None:
    """A permanent failure: keep it aside so it never blocks the others."""
    with store.write() as conn:
        conn.execute(
            "UPDATE outbox SET state = ?, reason_code = ?, last_error = ?, lease_until = '' WHERE envelope_id = ?",
            (CONFLICT if conflict else QUARANTINED, reason_code, detail, envelope_id),
        )


def resend(store: Store, envelope_id: str, sealer: Sealer | None = None, *, station_id: str = "") -> None:
    """'Fix and resend': back to pending; with a sealer, re-seal the kept plaintext (after key rotation).

    Re-sealing keeps the same envelope id and sequence, so the server still sees one envelope.
    """
    with store.write() as conn:
        row = conn.execute("SELECT * FROM outbox WHERE envelope_id = ?", (envelope_id,)).fetchone()
        if row is None or row["state"] not in (QUARANTINED, CONFLICT, PENDING):
            return
        envelope = bytes(row["envelope"])
        if sealer is not None and row["payload"] is not None:
            header = EnvelopeHeader(
                station_id=station_id, seq=row["seq"], envelope_id=envelope_id, kind=row["kind"]
            )
            envelope = sealer.seal(header, bytes(row["payload"]), compress=bool(row["compress"]))
        conn.execute(
            "UPDATE outbox SET state = 'pending', envelope = ?, size = ?, next_attempt_at = '', reason_code = '',"
            " last_error = '' WHERE envelope_id = ?",
            (envelope, len(envelope), envelope_id),
        )


def renumber_above(store: Store, floor: int, sealer: Sealer, *, station_id: str, envelope_id: str) -> int:
    """Continue this store's numbering above the centre's `floor`; returns how many envelopes moved.

    A store restored from a backup on a new machine does not know the numbers its lost copy
    used after the backup, so the centre refuses its next envelope as a replay and says (signed)
    where its numbering stands. The refused envelope and every other unsent one numbered at or
    below that floor get new numbers above it, in their old order, re-sealed with the same id
    and content, so nothing committed is lost or sent twice; new businesses follow above them.
    """
    with store.write() as conn:
        raise_seq_floor(conn, floor)
        rows = conn.execute(
            "SELECT * FROM outbox WHERE seq <= ? AND payload IS NOT NULL AND state != 'acked'"
            " AND (envelope_id = ? OR state = 'pending') ORDER BY seq",
            (floor, envelope_id),
        ).fetchall()
        if not any(r["envelope_id"] == envelope_id for r in rows):
            return 0  # the refused envelope is above the floor: not a restored store's numbering
        top = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()[0]
        seq = max(int(top), floor)
        for row in rows:
            seq += 1
            header = EnvelopeHeader(
                station_id=station_id, seq=seq, envelope_id=row["envelope_id"], kind=row["kind"]
            )
            sealed = sealer.seal(header, bytes(row["payload"]), compress=bool(row["compress"]))
            conn.execute(
                "UPDATE outbox SET seq = ?, envelope = ?, size = ?, state = 'pending', next_attempt_at = '',"
                " lease_until = '', reason_code = '', last_error = '' WHERE envelope_id = ?",
                (seq, sealed, len(sealed), row["envelope_id"]),
            )
        return len(rows)


def entries(
    store: Store, *, states: tuple[str, ...] = (PENDING, SENDING, QUARANTINED, CONFLICT), limit: int = 200
) -> list[OutboxEntry]:
    marks = ",".join("?" * len(states))
    rows = store.query(
        f"SELECT * FROM outbox WHERE state IN ({marks}) ORDER BY seq LIMIT ?", (*states, limit)
    )
    return [_entry(r) for r in rows]


def business_sync_state(store: Store, business_id: int) -> str:
    """'acked' when every envelope of the business is acknowledged, else the worst state."""
    states = {r[0] for r in store.query("SELECT state FROM outbox WHERE business_id = ?", (business_id,))}
    for s in (CONFLICT, QUARANTINED, SENDING, PENDING):
        if s in states:
            return s
    return ACKED if states else ""


def status(store: Store) -> OutboxStatus:
    row = store.one(
        "SELECT"
        " SUM(state IN ('pending','sending')) AS pending,"
        " SUM(state = 'quarantined') AS quarantined,"
        " SUM(state = 'conflict') AS conflicts,"
        " SUM(state = 'acked') AS acked,"
        " MIN(CASE WHEN state IN ('pending','sending') THEN created_at END) AS oldest,"
        " MAX(acked_at) AS last_acked,"
        " SUM(CASE WHEN state IN ('pending','sending') THEN size ELSE 0 END) AS pending_bytes"
        " FROM outbox"
    )
    assert row is not None
    return OutboxStatus(
        pending=int(row["pending"] or 0),
        quarantined=int(row["quarantined"] or 0),
        conflicts=int(row["conflicts"] or 0),
        acked=int(row["acked"] or 0),
        oldest_unsent_at=row["oldest"],
        last_acked_at=row["last_acked"] or None,
        pending_bytes=int(row["pending_bytes"] or 0),
    )


def states_of(store: Store) -> dict[str, str]:
    """envelope id → state, for every envelope (acknowledgements carried back by hand are matched here)."""
    return {str(r[0]): str(r[1]) for r in store.query("SELECT envelope_id, state FROM outbox")}


def raise_seq_floor(conn: sqlite3.Connection, seq: int) -> None:
    """New envelopes get sequence numbers above `seq` (kept if it is already higher)."""
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value ="
        " CAST(MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)",
        (S_SEQ_FLOOR, str(int(seq))),
    )


def max_seq(store: Store) -> int:
    """The highest sequence number this store has used or knows the centre has seen."""
    row = store.one("SELECT COALESCE(MAX(seq), 0) FROM outbox")
    floor = store.setting(S_SEQ_FLOOR)
    return max(int(row[0]) if row is not None else 0, int(floor or 0))
