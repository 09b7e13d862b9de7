"""At the door and on return: record each visit as a business, then close the run.

`deliver` hands a card over through `issuance.issue_card` (mode 'door', so the read-card test of
R-ISS-3 and the recipient rules of R-ISS-4/R-ISS-7 hold exactly as at the window); a visit that did
not end in a handover ('not_at_home', 'refused', 'moved') is committed as a business too, so the
card management system learns of every attempt when the laptop syncs; the card stays in stock.
`close_run` counts the outcomes and queues one closing envelope.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from offline.business import BusinessResult, ServiceContext
from offline.business_builder import begin_business
from offline.delivery.model import (
    MSG_BAD_OUTCOME,
    MSG_CARD_LEFT,
    MSG_ITEM_DONE,
    MSG_NO_ITEM,
    MSG_NO_RUN,
    MSG_RUN_CLOSED,
    OPEN_OUTCOMES,
    OUTCOMES,
    REMINDER_UNDELIVERED,
    STOCK_STATUSES,
    SUMMARY_CLOSE,
    SUMMARY_VISIT,
    VISIT_OUTCOMES,
    DeliverInput,
    RunSummary,
)
from offline.delivery.rules import relation_problems
from offline.delivery.runs import outcome_counts
from offline.errors import DomainError, Problem, ValidationError
from offline.permissions import require
from offline.store import Store


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
    with begin_business(ctx, "issue", action="delivery.work") as biz:
        conn = biz.conn
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
        _record(conn, item_id, inp.outcome, at, inp, biz.business_id, category)
        return biz.commit(
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


# --------------------------------------------------------------------------- closing


def close_run(ctx: ServiceContext, run_id: int) -> RunSummary:
    """On return: count the outcomes, close the run, queue one closing envelope (R-ISS-7).

    Cards not delivered simply stay in stock; the summary names them for follow-up (R-ISS-2).
    """
    with begin_business(ctx, "issue", action="delivery.work") as biz:
        conn, at = biz.conn, biz.at
        run = _open_run(ctx.store, run_id)
        counts = outcome_counts(ctx.store, run_id)
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
        conn.execute(
            "UPDATE delivery_runs SET state = 'closed', closed_by = ?, closed_at = ?, close_business_id = ?,"
            " counts = ? WHERE id = ?",
            (ctx.operator.id, at, biz.business_id, json.dumps(counts, sort_keys=True), run_id),
        )
        result = biz.commit(
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
    return RunSummary(run_id, str(run["name"]), total, counts, undelivered, result)
