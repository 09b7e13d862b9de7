"""Resumable blob uploads (tus-style PATCH/HEAD): partials owned by a station, appended, bounded.

Why each rule:
- A partial belongs to the authenticated station that sent its first bytes, and those first
  bytes must be the envelope's own header naming that station and the envelope id in the path
  (the station "announces" the envelope). Anyone else's PATCH on that id finds no partial of
  theirs: the genuine station's resume cannot be corrupted by someone who knows the id.
- Each PATCH appends its own bytes as one chunk row: a 1-byte PATCH writes one byte, not the
  whole partial again.
- Partials expire after `PARTIAL_TTL` and a station holds at most `STATION_QUOTA` bytes of
  them, so nobody can fill the disk with uploads that never finish.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sync.envelope import MAGIC, PREFIX, peek_header
from sync.gateway.db import Conn, GatewayStore, Lock

PARTIAL_TTL = timedelta(days=3)
STATION_QUOTA = 64 * 1024 * 1024


@dataclass(frozen=True)
class Appended:
    """Outcome: 'partial' (offset), 'complete' (data), 'offset' (mismatch; the right offset),
    'not_announced' (first bytes are not this station's envelope), 'quota'."""

    outcome: str
    offset: int = 0
    data: bytes = b""


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def progress(db: GatewayStore, station_id: str, envelope_id: str) -> tuple[int, int] | None:
    """(received, total) of this station's partial, or None."""
    row = db.one(
        "SELECT received, total FROM blob_partials WHERE station_id = ? AND envelope_id = ?",
        (station_id, envelope_id),
    )
    return None if row is None else (int(row["received"]), int(row["total"]))


def discard(conn: Conn, station_id: str, envelope_id: str) -> None:
    conn.execute(
        "DELETE FROM blob_chunks WHERE station_id = ? AND envelope_id = ?", (station_id, envelope_id)
    )
    conn.execute(
        "DELETE FROM blob_partials WHERE station_id = ? AND envelope_id = ?", (station_id, envelope_id)
    )


def _prune(conn: Conn, now: datetime) -> None:
    cutoff = _iso(now - PARTIAL_TTL)
    old = conn.execute(
        "SELECT station_id, envelope_id FROM blob_partials WHERE updated_at < ? ORDER BY station_id, envelope_id",
        (cutoff,),
    )
    for row in old.fetchall():
        discard(conn, row["station_id"], row["envelope_id"])


def announced(data: bytes, station_id: str, envelope_id: str) -> bool | None:
    """Do these first bytes name this station and envelope? None: too short to tell."""
    if len(data) < PREFIX.size:
        return None
    if data[:2] != MAGIC:
        return False
    if len(data) < PREFIX.size + PREFIX.unpack_from(data, 0)[3]:
        return None
    head = peek_header(data)
    return head is not None and head.station_id == station_id and head.envelope_id == envelope_id


def append(
    db: GatewayStore,
    station_id: str,
    envelope_id: str,
    offset: int,
    total: int,
    data: bytes,
    now: datetime,
    *,
    quota: int = STATION_QUOTA,
) -> Appended:
    # Expired partials of any station, in a transaction of their own, and only when a plain read
    # finds one: most appends then cost one transaction, not two.
    if db.one("SELECT 1 FROM blob_partials WHERE updated_at < ? LIMIT 1", (_iso(now - PARTIAL_TTL),)):
        with db.write() as conn:
            _prune(conn, now)
    with db.write(Lock.station(station_id)) as conn:  # offset and quota checks, then the append
        row = conn.execute(
            "SELECT total, received FROM blob_partials WHERE station_id = ? AND envelope_id = ?",
            (station_id, envelope_id),
        ).fetchone()
        if row is not None and int(row["total"]) != total:
            discard(conn, station_id, envelope_id)
            row = None
        have = 0 if row is None else int(row["received"])
        if offset != have:
            return Appended("offset", have)
        if not data:
            if row is None or have < total:
                return Appended("partial", have)
            # Every byte arrived, but the gateway stopped before the envelope was processed (the
            # append and the intake are two transactions): the resend of nothing finishes it.
        else:
            if have == 0 and announced(data, station_id, envelope_id) is not True:
                return Appended("not_announced")
            held = conn.execute(
                "SELECT COALESCE(SUM(received), 0) FROM blob_partials WHERE station_id = ? AND envelope_id != ?",
                (station_id, envelope_id),
            ).fetchone()[0]
            if int(held) + have + len(data) > quota:
                return Appended("quota", have)
            conn.execute(
                'INSERT INTO blob_chunks(station_id, envelope_id, "offset", data) VALUES (?, ?, ?, ?)',
                (station_id, envelope_id, have, data),
            )
            conn.execute(
                "INSERT INTO blob_partials(station_id, envelope_id, total, received, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(station_id, envelope_id)"
                " DO UPDATE SET received = excluded.received, updated_at = excluded.updated_at",
                (station_id, envelope_id, total, have + len(data), _iso(now)),
            )
            if have + len(data) < total:
                return Appended("partial", have + len(data))
        chunks = conn.execute(
            'SELECT data FROM blob_chunks WHERE station_id = ? AND envelope_id = ? ORDER BY "offset"',
            (station_id, envelope_id),
        )
        return Appended("complete", total, b"".join(bytes(c["data"]) for c in chunks))
