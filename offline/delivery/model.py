"""Door-to-door delivery runs: outcomes, run states, the operator's texts and the data read back.

Shared by preparing (`prepare`), reading (`runs`) and working at the door (`door`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from offline.business import BusinessResult

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
