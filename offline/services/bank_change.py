"""Item 17, change of issuing bank (发卡银行变更) during the card's validity.

R-TRF-2 / HN 24: the holder files an application with supporting documents; the provincial or
city card centre checks with the banks and replies within 5 working days (HN 24(3)); only after
the approving reply (复函) may the old card be cancelled and a new card exchanged
(`exchange.exchange_card` with reason 'bank_change' uses the approved request). R-APP-4: the
bank may not change during validity by any other path, and the new bank must cooperate.

The reply arrives by downlink kind 'bank_change_decision' (produced by the gateway's
`sync.gateway.flows.decide_bank_change`); `on_decision` applies it through `record_decision`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from offline.business import BusinessResult, ServiceContext
from offline.business_builder import begin_business
from offline.errors import DomainError, Problem, ValidationError
from offline.services.persons import find_card, find_person
from offline.validation.documents import holder_document_problems

if TYPE_CHECKING:  # the downlink imports this module for its handler table
    from offline.downlink import DownlinkUpdate

STATUS_LABELS = {
    "pending": "待服务中心复函",
    "approved": "已批准，可换卡",
    "rejected": "未批准",
    "used": "已换卡",
}


@dataclass(frozen=True)
class BankChangeInput:
    card_number: str
    doc_number: str  # the holder's document shown (R-ID-1)
    new_bank: str
    reason: str  # why the holder asks (free text, goes to the card centre)
    documents: tuple[str, ...]  # names of the supporting documents checked (变更申请表, 单位证明 ...)
    doc_scans: tuple[bytes, ...] = ()


def change_bank(ctx: ServiceContext, inp: BankChangeInput) -> BusinessResult:
    """File a bank-change application, pending the card centre's approval (R-TRF-2, R-APP-4; HN 24)."""
    from offline.services.applications import document_blobs
    from offline.workdays import WorkCalendar

    with begin_business(ctx, "bank_change") as biz:
        conn, at = biz.conn, biz.at
        card = find_card(ctx.store, inp.card_number)
        if card is None:
            raise DomainError.one(
                "card_number",
                "R-TRF-2",
                f"本站没有卡号为 {inp.card_number} 的社会保障卡记录",
                "请核对卡号。",
                "社会保障卡号",
            )
        person = find_person(ctx.store, card.person_id)
        assert person is not None
        problems: list[Problem] = []
        problems += holder_document_problems(inp.doc_number, person.doc_number, person.ssn)
        if card.status != "issued":
            problems.append(
                Problem(
                    "card_number",
                    "R-TRF-2",
                    f"此卡当前为“{card.status_label}”，不能申请变更发卡银行",
                    "只有已发放、正常使用的卡可以申请变更发卡银行。",
                    "卡状态",
                )
            )
        new_bank = inp.new_bank.strip()
        if new_bank not in tuple(ctx.profile.banks):
            problems.append(
                Problem(
                    "new_bank",
                    "R-APP-4",
                    f"“{new_bank or '（未填）'}”不是本省社会保障卡合作银行",
                    "请从合作银行中选择：" + "、".join(ctx.profile.banks) + "。",
                    "新发卡银行",
                )
            )
        elif new_bank == card.bank:
            problems.append(
                Problem(
                    "new_bank",
                    "R-TRF-2",
                    f"新银行与原发卡银行（{card.bank}）相同",
                    "请选择另一家合作银行。",
                    "新发卡银行",
                )
            )
        if not [d for d in inp.documents if d.strip()]:
            problems.append(
                Problem(
                    "documents",
                    "R-TRF-2",
                    "变更发卡银行须提交变更申请及相关证明材料",
                    "请收取并登记变更申请表等材料（HN 24）。",
                    "申请材料",
                )
            )
        if not inp.reason.strip():
            problems.append(
                Problem("reason", "R-TRF-2", "未填写变更原因", "请填写申请变更发卡银行的原因。", "变更原因")
            )
        waiting = conn.execute(
            "SELECT b.receipt_no, r.status FROM bank_change_requests r JOIN businesses b ON b.id = r.business_id"
            " WHERE r.card_id = ? AND r.status IN ('pending', 'approved')",
            (card.id,),
        ).fetchone()
        if waiting is not None:
            problems.append(
                Problem(
                    "card_number",
                    "R-TRF-2",
                    f"此卡已有发卡银行变更申请（受理编号 {waiting[0]}，{STATUS_LABELS[waiting[1]]}）",
                    "请等待服务中心复函；已批准的请直接办理换领。",
                    "变更申请",
                )
            )
        if problems:
            raise ValidationError(problems)
        days = ctx.profile.bank_change_workdays
        deadline = WorkCalendar.from_store(ctx.store).add_workdays(ctx.now().date(), days).isoformat()
        details = {
            "ssn": person.ssn,
            "name": person.name,
            "card_number": card.card_number,
            "old_bank": card.bank,
            "new_bank": new_bank,
            "reason": inp.reason.strip(),
            "documents": [d.strip() for d in inp.documents if d.strip()],
            "reply_due": deadline,
            "status": "pending",
        }
        conn.execute(
            "INSERT INTO bank_change_requests(person_id, card_id, business_id, old_bank, new_bank, status, deadline,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
            (person.id, card.id, biz.business_id, card.bank, new_bank, deadline, at, at),
        )
        return biz.commit(
            summary=f"发卡银行变更申请：{person.name}，{card.bank} → {new_bank}，服务中心应于 {deadline} 前复函",
            details=details,
            person_id=person.id,
            card_id=card.id,
            blobs=document_blobs(None, inp.doc_scans),
        )


def record_decision(
    conn: sqlite3.Connection, *, receipt_no: str, approved: bool, reason: str, at: str
) -> bool:
    """Apply the card centre's reply (downlink) to the request filed under `receipt_no`.

    Returns False when no pending request carries that receipt (already decided: a repeat is a no-op).
    """
    cur = conn.execute(
        "UPDATE bank_change_requests SET status = ?, decision_reason = ?, decided_at = ?, updated_at = ?"
        " WHERE status = 'pending' AND business_id = (SELECT id FROM businesses WHERE receipt_no = ?)",
        ("approved" if approved else "rejected", reason, at, at, receipt_no),
    )
    return cur.rowcount == 1


def on_decision(conn: sqlite3.Connection, update: DownlinkUpdate, at: str) -> str:
    """Downlink 'bank_change_decision' {receipt_no, approved, reason}: the 复函 (HN 24(3)-(4))."""
    from offline.downlink import DownlinkRejected

    p = update.payload
    receipt_no, approved, reason = str(p["receipt_no"]), bool(p["approved"]), str(p.get("reason", ""))
    if not record_decision(conn, receipt_no=receipt_no, approved=approved, reason=reason, at=at):
        row = conn.execute(
            "SELECT r.status FROM bank_change_requests r JOIN businesses b ON b.id = r.business_id"
            " WHERE b.receipt_no = ?",
            (receipt_no,),
        ).fetchone()
        if row is None:
            raise DownlinkRejected(f"本站没有受理编号 {receipt_no} 的发卡银行变更申请")
        return f"受理编号 {receipt_no}：发卡银行变更申请已是“{STATUS_LABELS.get(row[0], row[0])}”，未重复处理"
    if approved:
        return f"受理编号 {receipt_no}：服务中心复函同意变更发卡银行，请通知持卡人来网点换卡"
    return f"受理编号 {receipt_no}：服务中心复函不同意变更发卡银行，原因：{reason or '未说明'}"
