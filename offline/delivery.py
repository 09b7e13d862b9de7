"""Door-to-door delivery runs: prepare at the station, work offline all day, close on return.

Why runs exist (R-ISS-7, R-SEC-5, HB 47, HN 11(11), HN 28(8)): mobile service teams take produced
cards to people who cannot come — the elderly, the disabled, families of migrant workers — with a
laptop and a portable reader and no link all day. So `prepare_run` copies into the run rows
everything the team needs at the door (name, address, phone, the photo for the face check, the
deadline), and every step after it is a local transaction: `deliver` hands a card over through
`issuance.issue_card` (mode 'door', so the read-card test of R-ISS-3 and the recipient rules of
R-ISS-4/R-ISS-7 hold exactly as at the window), and a visit that did not end in a handover
('not_at_home', 'refused', 'moved') is committed as a business too, so the card management system
learns of every attempt when the laptop syncs; the card stays in stock. `close_run` counts the
outcomes and queues one closing envelope.

Who may take whose card at the door (R-ISS-7): a retired person's card only to the holder in
person (HN 11(11)); a card of a person without full capacity only to the guardian; a migrant
worker's card to the holder, spouse, child or parent; everyone else to the holder or one of the
relations in `DELIVERY_RELATIONS`. Any other relation is refused with R-ISS-7.

Deadline (R-ISS-7, HN 28(8)): `profile.delivery_workdays` working days after the card was signed
in; `RunItem.overdue(today)` marks the cards past it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any

from offline import audit
from offline.business import BusinessResult, ServiceContext, commit_business
from offline.codes import REL_CHILD, REL_PARENT, REL_SPOUSE
from offline.errors import DomainError, Problem, ValidationError
from offline.permissions import require
from offline.store import Store
from offline.workdays import WorkCalendar

# --------------------------------------------------------------------------- operator-facing text

OUTCOMES: dict[str, str] = {
    "pending": "待送",
    "delivered": "已送达",
    "not_at_home": "不在家",
    "refused": "拒收",
    "moved": "已迁走",
    "returned": "退回重制",
}
#: Outcomes an operator records at the door ('returned' is set by a failed read-card test).
VISIT_OUTCOMES: tuple[str, ...] = ("delivered", "not_at_home", "refused", "moved")
#: Items that may still be visited (a second knock after 'not at home').
OPEN_OUTCOMES: frozenset[str] = frozenset({"pending", "not_at_home"})
DELIVERY_RELATIONS: dict[str, str] = {
    "holder": "本人",
    "guardian": "监护人",
    REL_SPOUSE: "配偶",
    REL_CHILD: "子女",
    REL_PARENT: "父母",
}
CATEGORY_RELATIONS: dict[str, frozenset[str]] = {
    "": frozenset(DELIVERY_RELATIONS),
    "retired": frozenset({"holder"}),
    "incapacitated": frozenset({"guardian"}),
    "migrant": frozenset({"holder", REL_SPOUSE, REL_CHILD, REL_PARENT}),
}
CATEGORY_RULE_ZH: dict[str, str] = {
    "retired": "退休人员的卡须当面发放给本人（HN 11(11)）",
    "incapacitated": "无完全民事行为能力人的卡只能发放给其监护人",
    "migrant": "外出务工人员的卡只能由本人或其配偶、子女、父母签收",
    "": "上门发放只能交本人，或其监护人、配偶、子女、父母",
}
RUN_STATES = {"open": "进行中", "closed": "已结束"}
STOCK_STATUSES = ("arrived", "unit_collected")

MSG_NOTHING = "没有符合条件的在库卡（已入库或集体代领、且不在其他进行中的清单上）"
FIX_NOTHING = "请核对村名（按户籍地址或居住地址匹配）或人员，确认卡已入库。"
MSG_NO_CARD_FOR = "{name}（人员编号 {pid}）没有可上门发放的在库卡"
MSG_NO_RUN = "找不到上门发放清单（编号 {run_id}）"
MSG_RUN_CLOSED = "清单“{name}”已结束，不能再登记"
MSG_NO_ITEM = "清单中没有此卡（项目编号 {item_id}）"
MSG_ITEM_DONE = "{name} 的卡已登记为“{outcome}”，不能再登记"
MSG_CARD_LEFT = "卡号 {number} 已不在库（当前状态已变化），不能登记上门结果"
MSG_BAD_OUTCOME = "上门结果“{outcome}”无效"
MSG_BAD_RELATION = "领卡人关系“{relation}”不在允许范围内"
SUMMARY_VISIT = "上门发放未成功（{outcome}）：{name} 卡号 {number}，清单“{run}”"
SUMMARY_CLOSE = "上门发放清单“{run}”结束：共 {total} 张，送达 {delivered} 张，未送达 {undelivered} 张"
REMINDER_UNDELIVERED = "未送达的卡仍在库，请联系持卡人到网点领取或另行安排上门（R-ISS-2, R-ISS-7）。"


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class RunInfo:
    id: int
    name: str
    village: str
    state: str
    prepared_by: int
    prepared_at: str
    closed_at: str
    total: int
    counts: dict[str, int]
    overdue: int

    @property
    def state_zh(self) -> str:
        return RUN_STATES.get(self.state, self.state)


@dataclass(frozen=True)
class RunItem:
    id: int
    run_id: int
    card_id: int
    person_id: int
    card_number: str
    name: str
    sex: str
    birth_date: str
    address: str
    phone: str
    has_photo: bool
    category: str
    received_at: str
    deadline: str
    outcome: str
    recipient: str
    recipient_name: str
    attempts: int
    last_attempt_at: str
    note: str
    business_id: int | None

    @property
    def outcome_zh(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)

    def overdue(self, today: date) -> bool:
        """R-ISS-7 / HN 28(8): not yet handed over and past the delivery deadline."""
        return self.outcome != "delivered" and bool(self.deadline) and self.deadline[:10] < today.isoformat()


@dataclass(frozen=True)
class DeliverInput:
    """What the team records at one door. `category=None` keeps the category cached on the run."""

    outcome: str  # 'delivered' | 'not_at_home' | 'refused' | 'moved'
    holder_doc_number: str = ""  # the holder's document (or its copy), typed or confirmed (R-ISS-3)
    relation: str = "holder"  # DELIVERY_RELATIONS code of who takes the card (R-ISS-7)
    recipient_name: str = ""
    recipient_doc_number: str = ""
    category: str | None = None
    face_photo_ok: bool = False
    face_text_ok: bool = False
    signed: bool = False
    temp_card_action: str = ""  # R-ISS-5, passed to issue_card
    note: str = ""


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    name: str
    total: int
    counts: dict[str, int]
    undelivered: tuple[str, ...]  # card numbers still in stock
    result: BusinessResult

    @property
    def delivered(self) -> int:
        return self.counts.get("delivered", 0)


# --------------------------------------------------------------------------- preparing


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


# --------------------------------------------------------------------------- reading


def _counts(store: Store, run_id: int) -> dict[str, int]:
    rows = store.query(
        "SELECT outcome, COUNT(*) FROM delivery_items WHERE run_id = ? GROUP BY outcome", (run_id,)
    )
    return {str(r[0]): int(r[1]) for r in rows}


def _info(store: Store, row: sqlite3.Row, today: date) -> RunInfo:
    counts = _counts(store, int(row["id"]))
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


# --------------------------------------------------------------------------- at the door


def _open_run(store: Store, run_id: int) -> sqlite3.Row:
    run = store.one("SELECT * FROM delivery_runs WHERE id = ?", (run_id,))
    if run is None:
        raise DomainError.one(
            "run_id", "R-ISS-7", MSG_NO_RUN.format(run_id=run_id), "请从清单列表选择。", "发放清单"
        )
    if run["state"] != "open":
        raise DomainError.one(
            "run_id", "R-ISS-7", MSG_RUN_CLOSED.format(name=run["name"]), "请新建清单。", "发放清单"
        )
    return run


def relation_problems(category: str, relation: str) -> list[Problem]:
    """R-ISS-7: may `relation` take the card of a holder of `category`?"""
    if category not in CATEGORY_RELATIONS:
        return [
            Problem("category", "R-ISS-7", f"人员类别“{category}”无效", "请重新选择人员类别。", "人员类别")
        ]
    if relation not in DELIVERY_RELATIONS:
        return [
            Problem(
                "relation",
                "R-ISS-7",
                MSG_BAD_RELATION.format(relation=relation),
                CATEGORY_RULE_ZH[""] + "；其他人不能代领，请改日再送。",
                "领卡人",
            )
        ]
    if relation not in CATEGORY_RELATIONS[category]:
        return [
            Problem(
                "relation",
                "R-ISS-7",
                CATEGORY_RULE_ZH[category],
                "请由符合条件的人签收，或改日再送。",
                "领卡人",
            )
        ]
    return []


def _issue_input(item: sqlite3.Row, run_id: int, inp: DeliverInput, category: str) -> Any:
    from offline.services.issuance import IssueInput

    recipient = {"holder": "holder", "guardian": "guardian"}.get(inp.relation, "relative")
    return IssueInput(
        card_id=int(item["card_id"]),
        mode="door",
        holder_doc_number=inp.holder_doc_number,
        face_photo_ok=inp.face_photo_ok,
        face_text_ok=inp.face_text_ok,
        signed=inp.signed,
        recipient=recipient,
        recipient_name=inp.recipient_name,
        recipient_doc_number=inp.recipient_doc_number,
        recipient_relation=inp.relation if recipient == "relative" else "",
        category=category,
        temp_card_action=inp.temp_card_action,
        face_note=inp.note,
        delivery_run_id=run_id,
    )


def _record(
    conn: sqlite3.Connection,
    item_id: int,
    outcome: str,
    at: str,
    inp: DeliverInput,
    business_id: int,
    category: str,
) -> None:
    delivered = outcome == "delivered"
    conn.execute(
        "UPDATE delivery_items SET outcome = ?, recipient = ?, recipient_name = ?, attempts = attempts + 1,"
        " last_attempt_at = ?, note = ?, business_id = ?, category = ? WHERE id = ?",
        (
            outcome,
            inp.relation if delivered else "",
            inp.recipient_name if delivered else "",
            at,
            inp.note,
            business_id,
            category,
            item_id,
        ),
    )


def deliver(ctx: ServiceContext, run_id: int, item_id: int, inp: DeliverInput) -> BusinessResult:
    """Record one door: hand the card over (R-ISS-3/4/5/7 via issue_card) or commit the failed visit.

    Raises `issuance.CardReturned` after recording the item as 'returned' when the read-card test
    fails (the return business is committed, the card goes back for re-production).
    """
    from offline.services.issuance import CardReturned, issue_card

    require(ctx.operator, "delivery.work")
    if inp.outcome not in VISIT_OUTCOMES:
        raise ValidationError(
            [
                Problem(
                    "outcome",
                    "R-ISS-7",
                    MSG_BAD_OUTCOME.format(outcome=inp.outcome),
                    "请选择上门结果。",
                    "上门结果",
                )
            ]
        )
    run = _open_run(ctx.store, run_id)
    item = ctx.store.one("SELECT * FROM delivery_items WHERE id = ? AND run_id = ?", (item_id, run_id))
    if item is None:
        raise DomainError.one(
            "item_id", "R-ISS-7", MSG_NO_ITEM.format(item_id=item_id), "请从清单中选择。", "发放项目"
        )
    if item["outcome"] not in OPEN_OUTCOMES:
        raise DomainError.one(
            "item_id",
            "R-ISS-7",
            MSG_ITEM_DONE.format(name=item["name"], outcome=OUTCOMES.get(item["outcome"], item["outcome"])),
            "请选择清单中尚未送达的卡。",
            "发放项目",
        )
    category = item["category"] if inp.category is None else inp.category
    at = ctx.now_iso()
    if inp.outcome == "delivered":
        problems = relation_problems(category, inp.relation)
        if problems:
            raise ValidationError(problems)
        returned: CardReturned | None = None
        with ctx.store.write() as conn:
            try:
                result = issue_card(ctx, _issue_input(item, run_id, inp, category))
            except CardReturned as exc:
                returned, result = exc, exc.result
                _record(conn, item_id, "returned", at, inp, result.business_id, category)
            else:
                _record(conn, item_id, "delivered", at, inp, result.business_id, category)
        if returned is not None:
            raise returned
        return result
    with ctx.store.write() as conn:
        card = conn.execute(
            "SELECT status, card_number FROM cards WHERE id = ?", (item["card_id"],)
        ).fetchone()
        if card is None or card["status"] not in STOCK_STATUSES:
            raise DomainError.one(
                "item_id",
                "R-ISS-1",
                MSG_CARD_LEFT.format(number=item["card_number"]),
                "请查询该卡状态。",
                "发放项目",
            )
        result = commit_business(
            ctx,
            conn,
            item="issue",
            person_id=int(item["person_id"]),
            card_id=int(item["card_id"]),
            summary=SUMMARY_VISIT.format(
                outcome=OUTCOMES[inp.outcome], name=item["name"], number=item["card_number"], run=run["name"]
            ),
            details={
                "action": "door_visit",
                "outcome": inp.outcome,
                "card_number": item["card_number"],
                "delivery_run_id": run_id,
                "attempt": int(item["attempts"]) + 1,
                "note": inp.note,
                "card_kept_in_stock": True,
                "rules": ["R-ISS-7", "R-SEC-5"],
            },
        )
        _record(conn, item_id, inp.outcome, at, inp, result.business_id, category)
        return result


# --------------------------------------------------------------------------- closing


def close_run(ctx: ServiceContext, run_id: int) -> RunSummary:
    """On return: count the outcomes, close the run, queue one closing envelope (R-ISS-7).

    Cards not delivered simply stay in stock; the summary names them for follow-up (R-ISS-2).
    """
    require(ctx.operator, "delivery.work")
    at = ctx.now_iso()
    with ctx.store.write() as conn:
        run = _open_run(ctx.store, run_id)
        counts = _counts(ctx.store, run_id)
        total = sum(counts.values())
        undelivered = tuple(
            str(r[0])
            for r in conn.execute(
                "SELECT card_number FROM delivery_items WHERE run_id = ? AND outcome != 'delivered'"
                " ORDER BY position, id",
                (run_id,),
            )
        )
        delivered = counts.get("delivered", 0)
        result = commit_business(
            ctx,
            conn,
            item="issue",
            summary=SUMMARY_CLOSE.format(
                run=run["name"], total=total, delivered=delivered, undelivered=total - delivered
            ),
            details={
                "action": "delivery_run_close",
                "delivery_run_id": run_id,
                "run_name": run["name"],
                "village": run["village"],
                "prepared_at": run["prepared_at"],
                "counts": counts,
                "undelivered_cards": list(undelivered),
                "reminder": REMINDER_UNDELIVERED if undelivered else "",
                "rules": ["R-ISS-7", "R-SEC-5"],
            },
        )
        conn.execute(
            "UPDATE delivery_runs SET state = 'closed', closed_by = ?, closed_at = ?, close_business_id = ?,"
            " counts = ? WHERE id = ?",
            (ctx.operator.id, at, result.business_id, json.dumps(counts, sort_keys=True), run_id),
        )
    return RunSummary(run_id, str(run["name"]), total, counts, undelivered, result)
