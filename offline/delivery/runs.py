"""Reading delivery runs and their items (read-only: the auditor may look)."""

from __future__ import annotations

import sqlite3
from datetime import date

from offline.delivery.model import RunInfo, RunItem
from offline.store import Store


def outcome_counts(store: Store, run_id: int) -> dict[str, int]:
    rows = store.query(
        "SELECT outcome, COUNT(*) FROM delivery_items WHERE run_id = ? GROUP BY outcome", (run_id,)
    )
    return {str(r[0]): int(r[1]) for r in rows}


def _info(store: Store, row: sqlite3.Row, today: date) -> RunInfo:
    counts = outcome_counts(store, int(row["id"]))
    overdue = store.one(
        "SELECT COUNT(*) FROM delivery_items WHERE run_id = ? AND outcome != 'delivered' AND deadline != ''"
        " AND deadline < ?",
        (row["id"], today.isoformat()),
    )
    return RunInfo(
        id=int(row["id"]),
        name=str(row["name"]),
        village=str(row["village"]),
        state=str(row["state"]),
        prepared_by=int(row["prepared_by"]),
        prepared_at=str(row["prepared_at"]),
        closed_at=str(row["closed_at"]),
        total=sum(counts.values()),
        counts=counts,
        overdue=int(overdue[0]) if overdue else 0,
    )


def list_runs(store: Store, *, state: str | None = None, today: date | None = None) -> list[RunInfo]:
    """Runs, newest first (read-only; the auditor may look)."""
    day = today or date.today()
    sql, params = "SELECT * FROM delivery_runs", ()
    if state:
        sql, params = sql + " WHERE state = ?", (state,)  # type: ignore[assignment]
    return [_info(store, r, day) for r in store.query(sql + " ORDER BY id DESC", params)]


def run_info(store: Store, run_id: int, *, today: date | None = None) -> RunInfo | None:
    row = store.one("SELECT * FROM delivery_runs WHERE id = ?", (run_id,))
    return None if row is None else _info(store, row, today or date.today())


def _item(row: sqlite3.Row) -> RunItem:
    return RunItem(
        id=int(row["id"]),
        run_id=int(row["run_id"]),
        card_id=int(row["card_id"]),
        person_id=int(row["person_id"]),
        card_number=str(row["card_number"]),
        name=str(row["name"]),
        sex=str(row["sex"]),
        birth_date=str(row["birth_date"]),
        address=str(row["address"]),
        phone=str(row["phone"]),
        has_photo=bool(row["has_photo"]),
        category=str(row["category"]),
        received_at=str(row["received_at"]),
        deadline=str(row["deadline"]),
        outcome=str(row["outcome"]),
        recipient=str(row["recipient"]),
        recipient_name=str(row["recipient_name"]),
        attempts=int(row["attempts"]),
        last_attempt_at=str(row["last_attempt_at"]),
        note=str(row["note"]),
        business_id=None if row["business_id"] is None else int(row["business_id"]),
    )


_ITEM_COLUMNS = "i.*, (i.photo IS NOT NULL) AS has_photo"


def run_items(store: Store, run_id: int) -> list[RunItem]:
    """The run's cards in visiting order, with the cached holder data (no photo bytes)."""
    rows = store.query(
        f"SELECT {_ITEM_COLUMNS} FROM delivery_items i WHERE run_id = ? ORDER BY position, id", (run_id,)
    )
    return [_item(r) for r in rows]


def item_photo(store: Store, item_id: int) -> bytes | None:
    """The holder's photo copied onto the run (for the face check at the door)."""
    row = store.one("SELECT photo FROM delivery_items WHERE id = ?", (item_id,))
    return None if row is None or row[0] is None else bytes(row[0])


def overdue_items(store: Store, today: date) -> list[RunItem]:
    """Cards on open runs not handed over by their R-ISS-7 deadline."""
    rows = store.query(
        f"SELECT {_ITEM_COLUMNS} FROM delivery_items i JOIN delivery_runs r ON r.id = i.run_id"
        " WHERE r.state = 'open' AND i.outcome != 'delivered' AND i.deadline != '' AND i.deadline < ?"
        " ORDER BY i.deadline, i.id",
        (today.isoformat(),),
    )
    return [_item(r) for r in rows]
