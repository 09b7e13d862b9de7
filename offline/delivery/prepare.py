"""Preparing a delivery run at the station: the cards in stock for a village or for chosen persons,
with everything the team needs at the door copied onto the run (R-ISS-7, R-SEC-5). Needs no link.

Deadline (R-ISS-7, HN 28(8)): `profile.delivery_workdays` working days after the card was signed
in; `RunItem.overdue(today)` marks the cards past it.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from offline import audit
from offline.business import ServiceContext
from offline.delivery.model import FIX_NOTHING, MSG_NO_CARD_FOR, MSG_NOTHING, STOCK_STATUSES, RunInfo
from offline.delivery.rules import CATEGORY_RELATIONS
from offline.delivery.runs import run_info
from offline.errors import DomainError, Problem, ValidationError
from offline.permissions import require
from offline.store import Store
from offline.workdays import WorkCalendar


def _stock_cards(store: Store, *, village: str | None, person_ids: list[int] | None) -> list[sqlite3.Row]:
    """Cards in stock and on no open run, for the village (address match) or the persons."""
    marks = ",".join("?" * len(STOCK_STATUSES))
    sql = (
        "SELECT c.id AS card_id, c.card_number, c.arrived_at, c.status, p.* FROM cards c"
        " JOIN persons p ON p.id = c.person_id"
        f" WHERE c.status IN ({marks}) AND NOT EXISTS (SELECT 1 FROM delivery_items i"
        " JOIN delivery_runs r ON r.id = i.run_id WHERE i.card_id = c.id AND r.state = 'open')"
    )
    params: list[Any] = list(STOCK_STATUSES)
    if village:
        sql += " AND (instr(p.residence_address, ?) > 0 OR instr(p.household_address, ?) > 0)"
        params += [village, village]
    if person_ids is not None:
        sql += f" AND p.id IN ({','.join('?' * len(person_ids))})"
        params += person_ids
    sql += " ORDER BY p.residence_address, p.household_address, p.name, c.id"
    return store.query(sql, params)


def prepare_run(
    ctx: ServiceContext,
    *,
    village: str | None = None,
    person_ids: list[int] | None = None,
    name: str,
    categories: dict[int, str] | None = None,
) -> RunInfo:
    """Make a delivery list and cache what the door needs (R-ISS-7, R-SEC-5). Needs no link.

    `categories` (person id → '' | 'retired' | 'incapacitated' | 'migrant') pre-sets who may take a
    card; the team can still set it at the door. Written to the audit chain, not uploaded: the
    run's outcomes and its closing are what the card management system needs.
    """
    require(ctx.operator, "delivery.prepare")
    problems: list[Problem] = []
    if not name.strip():
        problems.append(
            Problem("name", "R-ISS-7", "未填写清单名称", "请填写，如“某村 3 月 12 日”。", "清单名称")
        )
    village = (village or "").strip() or None
    if village is None and not person_ids:
        problems.append(Problem("village", "R-ISS-7", "未指定村或人员", "请填写村名或选择人员。", "发放范围"))
    for pid, cat in (categories or {}).items():
        if cat not in CATEGORY_RELATIONS:
            problems.append(
                Problem("category", "R-ISS-7", f"人员 {pid} 的类别“{cat}”无效", "请重新选择。", "人员类别")
            )
    if problems:
        raise ValidationError(problems)
    rows = _stock_cards(ctx.store, village=village, person_ids=list(person_ids) if person_ids else None)
    if person_ids:
        found = {int(r["id"]) for r in rows}
        for pid in person_ids:
            if pid not in found:
                who = ctx.store.one("SELECT name FROM persons WHERE id = ?", (pid,))
                problems.append(
                    Problem(
                        "person_ids",
                        "R-ISS-7",
                        MSG_NO_CARD_FOR.format(name=who["name"] if who else "？", pid=pid),
                        FIX_NOTHING,
                        "发放人员",
                    )
                )
        if problems:
            raise ValidationError(problems)
    if not rows:
        raise DomainError.one("village", "R-ISS-7", MSG_NOTHING, FIX_NOTHING, "发放范围")
    calendar = WorkCalendar.from_store(ctx.store)
    days = ctx.profile.delivery_workdays
    at = ctx.now_iso()
    with ctx.store.write() as conn:
        run_id = int(
            conn.execute(
                "INSERT INTO delivery_runs(name, village, prepared_by, prepared_at) VALUES (?, ?, ?, ?)",
                (name.strip(), village or "", ctx.operator.id, at),
            ).lastrowid
            or 0
        )
        for position, r in enumerate(rows, start=1):
            photo = conn.execute("SELECT jpeg, sha256 FROM photos WHERE person_id = ?", (r["id"],)).fetchone()
            received = str(r["arrived_at"] or "")
            deadline = (
                calendar.add_workdays(date.fromisoformat(received[:10]), days).isoformat() if received else ""
            )
            conn.execute(
                "INSERT INTO delivery_items(run_id, card_id, person_id, position, card_number, name, sex, birth_date,"
                " address, phone, photo_sha256, photo, category, received_at, deadline)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    r["card_id"],
                    r["id"],
                    position,
                    r["card_number"],
                    r["name"],
                    r["sex"],
                    r["birth_date"],
                    r["residence_address"] or r["household_address"],
                    r["phone"],
                    "" if photo is None else photo["sha256"],
                    None if photo is None else photo["jpeg"],
                    (categories or {}).get(int(r["id"]), ""),
                    received,
                    deadline,
                ),
            )
        audit.append(
            conn,
            at=at,
            operator_id=ctx.operator.id,
            action="delivery.prepare",
            target=f"run:{run_id}",
            details={
                "village": village or "",
                "cards": [r["card_number"] for r in rows],
                "rules": ["R-ISS-7"],
            },
        )
    info = run_info(ctx.store, run_id, today=ctx.now().date())
    assert info is not None
    return info
