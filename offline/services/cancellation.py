"""Item 3, cancellation (注销) of a person's cards when their social insurance relation ends.

Rules: R-CAN-1 reasons (HB 32, HN 26); R-CAN-2 the insurance business must be closed first —
the operator confirms it, otherwise the request is refused with that reason (HB 33); the
social-security function is cancelled here, the bank account afterwards at the bank, so the
receipt carries that reminder (HB 33, HN 26); R-CAN-3 an heir acts with their own document
and proof of inheritance (HN 26); R-ID-1 the document shown.

Every card that is not already finished (cancelled / returned) is cancelled, open applications
are cancelled with it, and the person's status records why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from offline.business import BusinessResult, ServiceContext
from offline.business_builder import begin_business
from offline.errors import DomainError, Problem, ValidationError
from offline.lifecycle import OPEN_APPLICATION_STATES
from offline.services.persons import find_person_by_ssn, person_cards
from offline.validation.documents import holder_document_problems

REASONS = {
    "death": "持卡人死亡",
    "missing": "持卡人失踪",  # HN 26: 因持卡人死亡、失踪或出境居住等原因
    "abroad": "出国（境）定居",
    "other": "其他原因终止社保关系",
}
PERSON_STATUS = {"death": "deceased", "missing": "missing", "abroad": "abroad", "other": "closed"}
#: Reasons where the holder cannot come: the legal heir (or the declared missing person's
#: custodian) acts with their own document and proof (HN 26, R-CAN-3).
HEIR_REASONS = frozenset({"death", "missing"})
FINISHED_CARD_STATES = frozenset({"cancelled", "returned"})

BANK_REMINDER = (
    "社会保障功能已注销。请持卡人或其法定继承人到发卡银行任一联网营业网点柜面办理金融账户销户、销卡手续。"
)


@dataclass(frozen=True)
class HeirInput:
    """The heir or legal successor acting for a deceased holder (R-CAN-3)."""

    name: str
    doc_type: str
    doc_number: str
    relation: str
    inheritance_proof: str  # what was shown: 死亡证明+亲属关系证明, 公证书 ... (reference text)


@dataclass(frozen=True)
class CancelInput:
    ssn: str
    reason: str  # death | abroad | other (R-CAN-1)
    insurance_closed: bool  # R-CAN-2: operator checked the insurance business is closed
    doc_number: str = ""  # holder's document shown (not for death)
    heir: HeirInput | None = None
    reason_note: str = ""  # free text for 'other'
    open_insurance_business: str = ""  # R-CAN-2: what is still open, when known (stated in the refusal)


def cancel_problems(inp: CancelInput, person_doc: str, person_ssn: str) -> list[Problem]:
    problems: list[Problem] = []
    if inp.reason not in REASONS:
        problems.append(
            Problem(
                "reason",
                "R-CAN-1",
                f"未知的注销原因“{inp.reason}”",
                "请选择：" + "、".join(REASONS.values()) + "。",
                "注销原因",
            )
        )
    if inp.reason == "other" and not inp.reason_note.strip():
        problems.append(
            Problem(
                "reason_note",
                "R-CAN-1",
                "“其他原因”须写明终止社保关系的原因",
                "请填写具体原因（如：参保关系已终止的依据）。",
                "注销原因说明",
            )
        )
    if not inp.insurance_closed:
        what = f"（未办结：{inp.open_insurance_business}）" if inp.open_insurance_business.strip() else ""
        problems.append(
            Problem(
                "insurance_closed",
                "R-CAN-2",
                f"持卡人的社会保险业务尚未办结{what}，不能注销社会保障卡",
                "请持卡人或继承人先到经办服务机构办结社保业务（终止参保、待遇结算等），再办理注销。",
                "社保业务办结",
            )
        )
    if inp.reason in HEIR_REASONS or inp.heir is not None:
        h = inp.heir
        if h is None:
            problems.append(
                Problem(
                    "heir",
                    "R-CAN-3",
                    "持卡人死亡的，须由法定继承人办理注销",
                    "请录入继承人姓名、证件及继承关系证明。",
                    "继承人",
                )
            )
        else:
            for field, label, value in (
                ("heir.name", "继承人姓名", h.name),
                ("heir.doc_number", "继承人证件号码", h.doc_number),
                ("heir.relation", "与持卡人关系", h.relation),
            ):
                if not value.strip():
                    problems.append(
                        Problem(
                            field, "R-CAN-3", f"未填写{label}", f"请查验继承人本人证件并填写{label}。", label
                        )
                    )
            if not h.inheritance_proof.strip():
                problems.append(
                    Problem(
                        "heir.inheritance_proof",
                        "R-CAN-3",
                        "未登记继承关系证明",
                        "请查验死亡证明及亲属关系证明（或公证书），并登记证明名称和编号。",
                        "继承关系证明",
                    )
                )
            from offline.validation import id_number_problems

            problems += id_number_problems(h.doc_number, field="heir.doc_number", doc_type=h.doc_type)
            if h.doc_number.strip().upper() in (person_doc.upper(), person_ssn.upper()):
                problems.append(
                    Problem(
                        "heir.doc_number",
                        "R-CAN-3",
                        "继承人须持本人证件，不能使用持卡人的证件",
                        "请录入继承人本人的证件号码。",
                        "继承人证件号码",
                    )
                )
    else:
        problems += holder_document_problems(inp.doc_number, person_doc, person_ssn)
    return problems


def cancel_card(ctx: ServiceContext, inp: CancelInput) -> BusinessResult:
    """Cancel every card of the person (social-security function first, R-CAN-2).

    Rules: R-CAN-1, R-CAN-2, R-CAN-3, R-ID-1 (HB 32-33, HN 26).
    """
    with begin_business(ctx, "cancel") as biz:
        person = find_person_by_ssn(ctx.store, inp.ssn)
        if person is None:
            raise DomainError.one(
                "ssn",
                "R-CAN-1",
                f"本站没有社会保障号码为 {inp.ssn} 的人员",
                "请核对社会保障号码；不在本站名册的持卡人，按 Ctrl+W 按未登记持卡人办理（待卡管核实）。",
                "社会保障号码",
            )
        problems = cancel_problems(inp, person.doc_number, person.ssn)
        cards = [c for c in person_cards(ctx.store, person.id) if c.status not in FINISHED_CARD_STATES]
        if person.status != "active" and not cards:
            problems.append(
                Problem(
                    "ssn",
                    "R-CAN-1",
                    f"此人状态为“{person.status_label}”，已无可注销的卡",
                    "无需重复注销。",
                    "人员状态",
                )
            )
        if problems:
            raise ValidationError(problems)
        heir: dict[str, Any] | None = None
        if inp.heir is not None:
            heir = {
                "name": inp.heir.name,
                "doc_type": inp.heir.doc_type,
                "doc_number": inp.heir.doc_number,
                "relation": inp.heir.relation,
                "inheritance_proof": inp.heir.inheritance_proof,
            }
        details: dict[str, Any] = {
            "ssn": person.ssn,
            "name": person.name,
            "reason": inp.reason,
            "reason_zh": REASONS[inp.reason],
            "reason_note": inp.reason_note,
            "insurance_closed": True,
            "heir": heir,
            "cancelled_cards": [c.card_number for c in cards],
            "social_function_cancelled": True,
            "bank_account": "pending_at_bank",
            "reminder": BANK_REMINDER,
        }
        for card in cards:
            biz.move_card(card, "cancelled")
        marks = ",".join("?" * len(OPEN_APPLICATION_STATES))
        biz.conn.execute(
            f"UPDATE applications SET status = 'cancelled', reject_reason = ?, updated_at = ?"
            f" WHERE person_id = ? AND status IN ({marks})",
            ("持卡人注销：" + REASONS[inp.reason], biz.at, person.id, *sorted(OPEN_APPLICATION_STATES)),
        )
        biz.conn.execute(
            "UPDATE persons SET status = ?, updated_at = ? WHERE id = ?",
            (PERSON_STATUS[inp.reason], biz.at, person.id),
        )
        numbers = "、".join(c.card_number for c in cards) or "无卡"
        return biz.commit(
            summary=f"注销（{REASONS[inp.reason]}）：{person.name}，卡 {numbers}",
            details=details,
            person_id=person.id,
            card_id=cards[0].id if cards else None,
        )
