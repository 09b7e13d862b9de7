"""Simulated card production and the downlink feed.

An accepted application becomes 'card_produced' after the configured number of days and
'card_shipped' (to the originating station) a day later — instantly in demo mode. The clock
advances lazily: `tick()` runs whenever a station pulls its updates, so no background thread
is needed and tests can move time by handing in `now`.

Downlink updates are rows of `updates`; the opaque cursor a station holds is 'c1.<row id>'.
Each update is signed with the downlink key when served (station id, update id, kind,
payload and the cursor after it), so a station can verify every one on its own.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from offline.protocols import card_number_check_char
from sync.gateway.db import Conn, GatewayStore, Lock, hold
from sync.gateway.keyring import DownlinkSigner

CURSOR_PREFIX = "c1."


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def add_update(
    conn: Conn, station_id: str, update_id: str, kind: str, payload: dict[str, Any], at: str
) -> None:
    """Queue one update for a station ('*' = every station); the same update id is kept once.

    Under `Lock.FEED`: a station's cursor is the last row id it saw, so ids must become visible
    in the order they are handed out (two open transactions could otherwise commit 101 before 100).
    """
    hold(conn, Lock.FEED)
    conn.execute(
        "INSERT INTO updates(station_id, update_id, kind, payload, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(update_id) DO NOTHING",
        (station_id, update_id, kind, json.dumps(payload, ensure_ascii=False, sort_keys=True), at),
    )


def card_numbers(conn: Conn, station_id: str) -> tuple[str, str]:
    """(card number, card identification code) for the next produced card.

    The number counts applications: under `Lock.PRODUCTION` (every application row is written
    under it) no two workers count the same total.
    """
    hold(conn, Lock.PRODUCTION)
    n = int(conn.execute("SELECT COUNT(*) FROM applications").fetchone()[0]) + 1
    first8 = "S" + f"{n:07d}"
    city = (station_id[:4] + "00")[2:5] if station_id[:4].isdigit() else "000"
    card_id_code = f"{city}D156000005{n % 10000:04d}{(n * 7919) % 10000:04d}"
    return first8 + card_number_check_char(first8), card_id_code


DUE_SQL = (
    "SELECT 1 FROM applications WHERE (state = 'accepted' AND produce_at <= ?)"
    " OR (state = 'produced' AND ship_at <= ?) LIMIT 1"
)


def _years_later(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year (a card made
    on a leap day once stopped every production tick with a ValueError)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def tick(db: GatewayStore, now: datetime) -> int:
    """Move due applications through production and shipping; returns updates added."""
    at = _iso(now)
    added = 0
    # Every pull calls this: a plain read first, so a pull with nothing due takes no lock.
    if not db.query(DUE_SQL, (at, at)):
        return 0
    # Two workers ticking at once: the second waits, then finds the rows already moved on.
    with db.write(Lock.PRODUCTION, Lock.CATALOGUE) as conn:
        # In receipt order, as shipping below: without ORDER BY each engine returns its own order,
        # and the card_produced updates (and catalogue versions) would reach stations differently.
        due = conn.execute(
            "SELECT * FROM applications WHERE state = 'accepted' AND produce_at <= ?"
            " ORDER BY station_id, receipt_no",
            (at,),
        ).fetchall()
        for r in due:
            issue = datetime.fromisoformat(r["produce_at"]).date()
            expiry = _years_later(issue, 10)
            conn.execute(
                "UPDATE applications SET state = 'produced' WHERE receipt_no = ?", (r["receipt_no"],)
            )
            from sync.gateway.catalogue import on_card_produced  # catalogue imports this module

            on_card_produced(
                conn,
                r["station_id"],
                r["ssn"],
                {
                    "card_number": r["card_number"],
                    "bank": r["bank"],
                    "issue_date": issue.isoformat(),
                    "expiry_date": expiry.isoformat(),
                },
                at,
            )
            add_update(
                conn,
                r["station_id"],
                f"produced-{r['receipt_no']}-{r['card_number']}",  # a re-made card is a new update
                "card_produced",
                {
                    "receipt_no": r["receipt_no"],
                    "ssn": r["ssn"],
                    "card_number": r["card_number"],
                    "card_id_code": r["card_id_code"],
                    "issue_date": issue.strftime("%Y%m%d"),
                    "expiry_date": expiry.strftime("%Y%m%d"),
                    "bank": r["bank"],
                },
                at,
            )
            added += 1
        ship = conn.execute(
            "SELECT * FROM applications WHERE state = 'produced' AND ship_at <= ?"
            " ORDER BY station_id, receipt_no",
            (at,),
        ).fetchall()
        by_station: dict[str, list[str]] = {}
        for r in ship:
            conn.execute("UPDATE applications SET state = 'shipped' WHERE receipt_no = ?", (r["receipt_no"],))
            by_station.setdefault(r["station_id"], []).append(r["card_number"])
        for station_id, numbers in by_station.items():
            add_update(
                conn,
                station_id,
                f"shipped-{station_id}-{numbers[0]}-{len(numbers)}",
                "card_shipped",
                {"card_numbers": numbers, "station_id": station_id},
                at,
            )
            added += 1
    return added


def parse_cursor(cursor: str) -> int:
    """Row id after which to continue; an unreadable cursor starts from the beginning.

    A number past SQLite's 64-bit range is refused (ValueError → 400), not passed to SQLite.
    """
    digits = cursor[len(CURSOR_PREFIX) :]
    if cursor.startswith(CURSOR_PREFIX) and digits.isascii() and digits.isdigit():
        value = int(digits)
        if value >= 2**63:
            raise ValueError("cursor out of range")
        return value
    return 0


def updates_after(
    db: GatewayStore, signer: DownlinkSigner, station_id: str, cursor: str, limit: int, now: datetime
) -> dict[str, Any]:
    """The signed page of updates for a station after its cursor."""
    tick(db, now)
    after = parse_cursor(cursor)
    rows = db.query(
        "SELECT * FROM updates WHERE id > ? AND station_id IN (?, '*') ORDER BY id LIMIT ?",
        (after, station_id, limit + 1),
    )
    more = len(rows) > limit
    out = []
    for r in rows[:limit]:
        doc = {
            "station_id": station_id,
            "update_id": r["update_id"],
            "kind": r["kind"],
            "payload": json.loads(r["payload"]),
            "cursor": f"{CURSOR_PREFIX}{r['id']}",
        }
        out.append(signer.sign(doc))
    last = f"{CURSOR_PREFIX}{rows[limit - 1]['id']}" if more else (out[-1]["cursor"] if out else cursor)
    return {"updates": out, "cursor": last, "more": more}


def simulate_days(now: datetime, days: float) -> datetime:
    return now + timedelta(days=days)
