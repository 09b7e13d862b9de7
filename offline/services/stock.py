"""Card stock at the station (item 18): sign-in, contact, unit collection, ageing.

Rules: R-ISS-1 (sign in and store arriving cards, HB 14), R-ISS-2 (contact the applicant or
unit within `profile.contact_workdays` working days: HB 14 three, HN 28(8) two),
R-ISS-6 (stock older than `profile.stock_age_months` is cancelled or sealed; sleeping cards
— collected by a unit, never handed to the person, over `profile.sleeping_months` since
production — are handed back and cleared, HB 17).

Every status change goes through `lifecycle.CARD_MACHINE` and leaves a `card_moves` row
linked to the business that made it. A batch (one scan session, one ageing list) is one
business: all cards move, or none do and every problem is listed at once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta

from offline.business import BusinessResult, ServiceContext
from offline.business_builder import begin_business
from offline.errors import DomainError, Problem, ValidationError
from offline.permissions import require
from offline.profiles import Profile
from offline.services.card_common import add_months, card_by_id, parse_day
from offline.store import Store
from offline.validation import validate_card_number
from offline.workdays import WorkCalendar

CONTACT_WAYS: dict[str, str] = {
    "phone": "电话",
    "sms": "短信",
    "visit": "上门",
    "unit": "通知单位",
    "other": "其他",
}

AGE_ACTIONS: dict[str, str] = {
    "cancel": "注销",
    "seal": "封存",
    "return_sleeping": "睡眠卡交还清理",
}


@dataclass(frozen=True)
class ArrivingCard:
    """One card being signed in. ssn/bank/... are needed only for a card the station never heard of."""

    card_number: str
    ssn: str = ""
    card_id_code: str = ""
    bank: str = ""
    issue_date: str = ""
    expiry_date: str = ""


@dataclass(frozen=True)
class ReceiveInput:
    cards: tuple[ArrivingCard, ...]
    source: str = "scan"  # 'scan' (numbers entered/scanned) | 'shipment' (announced by the downlink)
    stock_slot: str = ""

    @classmethod
    def from_numbers(
        cls, numbers: list[str] | tuple[str, ...], *, source: str = "scan", stock_slot: str = ""
    ) -> ReceiveInput:
        return cls(tuple(ArrivingCard(n.strip().upper()) for n in numbers), source, stock_slot)


@dataclass(frozen=True)
class UnitCollectInput:
    """A unit collects its members' cards (R-ID-4: unit letter + the unit agent's document)."""

    card_ids: tuple[int, ...]
    unit_name: str
    agent_name: str
    agent_doc_number: str
    unit_letter_checked: bool


@dataclass(frozen=True)
class AgeStockInput:
    card_ids: tuple[int, ...]
    action: str  # 'cancel' | 'seal' | 'return_sleeping'
    reason: str = ""


@dataclass(frozen=True)
class StockCard:
    card_id: int
    card_number: str
    person_id: int
    name: str
    status: str
    produced_at: str
    arrived_at: str
    contact_deadline: str
    contacted_at: str
    unit_name: str
    unit_collected_at: str
    stock_slot: str


def _today(ctx: ServiceContext) -> date:
    return ctx.now().date()


def contact_deadline(store: Store, profile: Profile, arrived: date) -> date:
    """R-ISS-2: `profile.contact_workdays` working days after arrival (holiday calendar aware)."""
    days = profile.contact_workdays
    return WorkCalendar.from_store(store).add_workdays(arrived, days)


def _find_person_by_ssn(conn: sqlite3.Connection, ssn: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM persons WHERE ssn = ?", (ssn.upper(),)).fetchone()
    return row


def receive_cards(ctx: ServiceContext, inp: ReceiveInput) -> BusinessResult:
    """Sign produced cards into stock (入库) and set each one's contact deadline. R-ISS-1, R-ISS-2.

    Cards already known (produced/shipped by the downlink) move to 'arrived'; an unknown card
    needs the holder's SSN (a person on record) and bank, and is created as produced → arrived.
    """
    require(ctx.operator, "stock")
    problems: list[Problem] = []
    if not inp.cards:
        problems.append(Problem("cards", "R-ISS-1", "没有要入库的卡", "请扫描或录入卡号。", "卡号"))
    seen: set[str] = set()
    for c in inp.cards:
        for p in validate_card_number(c.card_number):
            problems.append(
                Problem(p.field, p.rule, f"{c.card_number}：{p.message}", p.fix, p.label or "卡号")
            )
        if c.card_number in seen:
            problems.append(
                Problem("cards", "R-ISS-1", f"卡号 {c.card_number} 重复录入", "请删除重复的卡号。", "卡号")
            )
        seen.add(c.card_number)
    if problems:
        raise ValidationError(problems)
    today = _today(ctx)
    deadline = contact_deadline(ctx.store, ctx.profile, today).isoformat()
    with begin_business(ctx, "stock") as biz:
        conn, now = biz.conn, biz.at
        for c in inp.cards:
            row = conn.execute("SELECT * FROM cards WHERE card_number = ?", (c.card_number,)).fetchone()
            if row is None:
                person = _find_person_by_ssn(conn, c.ssn) if c.ssn else None
                if person is None or not c.bank:
                    problems.append(
                        Problem(
                            "cards",
                            "R-ISS-1",
                            f"卡号 {c.card_number} 无制卡信息，且未录入持卡人社会保障号码或发卡银行",
                            "请等待卡管系统下发制卡信息，或录入持卡人社会保障号码及发卡银行。",
                            "卡号",
                        )
                    )
                    continue
                app = conn.execute(
                    "SELECT id FROM applications WHERE person_id = ? AND status IN ('accepted','approved','produced',"
                    "'shipped') ORDER BY id DESC LIMIT 1",
                    (person["id"],),
                ).fetchone()
                cur = conn.execute(
                    "INSERT INTO cards(person_id, application_id, card_number, card_id_code, bank, status, issue_date,"
                    " expiry_date, produced_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'produced', ?, ?, ?, ?, ?)",
                    (
                        person["id"],
                        None if app is None else app["id"],
                        c.card_number,
                        c.card_id_code,
                        c.bank,
                        c.issue_date,
                        c.expiry_date,
                        c.issue_date or now,
                        now,
                        now,
                    ),
                )
                row = card_by_id(conn, int(cur.lastrowid or 0))
            if row["status"] not in ("produced", "shipped"):
                from offline.lifecycle import CARD_LABELS

                problems.append(
                    Problem(
                        "cards",
                        "R-ISS-1",
                        f"卡号 {c.card_number} 当前为“{CARD_LABELS.get(row['status'], row['status'])}”，不能入库",
                        "请查询该卡状态；已入库的卡无需重复入库。",
                        "卡号",
                    )
                )
                continue
            biz.move_card(
                row, "arrived", arrived_at=now, contact_deadline=deadline, stock_slot=inp.stock_slot
            )
            if row["application_id"] is not None:
                conn.execute(
                    "UPDATE applications SET status = 'arrived', updated_at = ? WHERE id = ? AND status IN"
                    " ('accepted','approved','produced','shipped')",
                    (now, row["application_id"]),
                )
        if problems:
            raise ValidationError(problems)
        numbers = [c.card_number for c in inp.cards]
        return biz.commit(
            summary=f"社保卡入库 {len(numbers)} 张，{deadline} 前联系领卡",
            details={
                "action": "receive",
                "source": inp.source,
                "card_numbers": numbers,
                "contact_deadline": deadline,
                "stock_slot": inp.stock_slot,
                "rules": ["R-ISS-1", "R-ISS-2"],
            },
        )


def shipped_cards(store: Store) -> list[str]:
    """Card numbers the downlink announced as shipped to this station (to pre-fill a sign-in)."""
    return [
        str(r[0]) for r in store.query("SELECT card_number FROM cards WHERE status = 'shipped' ORDER BY id")
    ]


def record_contact(ctx: ServiceContext, card_id: int, how: str, note: str = "") -> BusinessResult:
    """Record that the holder (or unit) was told to collect the card. R-ISS-2."""
    require(ctx.operator, "stock")
    if how not in CONTACT_WAYS:
        raise ValidationError(
            [
                Problem(
                    "how",
                    "R-ISS-2",
                    f"联系方式“{how}”无效",
                    "请选择：" + "、".join(CONTACT_WAYS.values()) + "。",
                    "联系方式",
                )
            ]
        )
    with begin_business(ctx, "stock") as biz:
        conn, now = biz.conn, biz.at
        card = card_by_id(conn, card_id)
        if card["status"] != "arrived":
            raise DomainError(
                Problem("card_id", "R-ISS-2", "只有在库待领的卡需要联系领卡", "请查询卡状态。", "社保卡")
            )
        conn.execute(
            "UPDATE cards SET contacted_at = ?, contact_how = ?, updated_at = ? WHERE id = ?",
            (now, how, now, card_id),
        )
        late = bool(card["contact_deadline"]) and _today(ctx) > parse_day(card["contact_deadline"])
        return biz.commit(
            person_id=card["person_id"],
            card_id=card_id,
            summary=f"已{CONTACT_WAYS[how]}联系领卡（卡号 {card['card_number']}）"
            + ("，已超过联系时限" if late else ""),
            details={
                "action": "contact",
                "how": how,
                "note": note,
                "late": late,
                "contact_deadline": card["contact_deadline"],
                "rules": ["R-ISS-2"],
            },
        )


def list_stock(
    store: Store,
    *,
    older_than_months: int | None = None,
    today: date | None = None,
    statuses: tuple[str, ...] = ("arrived", "sealed", "unit_collected"),
) -> list[StockCard]:
    """Cards at (or collected from) the station, not yet with the holder; optionally only old ones.

    Age counts from sign-in (存放, HB 17) for stock, from production for unit-collected cards.
    """
    marks = ",".join("?" * len(statuses))
    rows = store.query(
        f"SELECT c.*, p.name FROM cards c JOIN persons p ON p.id = c.person_id WHERE c.status IN ({marks})"
        " ORDER BY c.arrived_at, c.id",
        statuses,
    )
    day = today or date.today()
    out: list[StockCard] = []
    for r in rows:
        if older_than_months is not None:
            since = _age_base(r)
            if since is None or add_months(since, older_than_months) >= day:  # HB 17: strictly more
                continue
        out.append(
            StockCard(
                card_id=r["id"],
                card_number=r["card_number"],
                person_id=r["person_id"],
                name=r["name"],
                status=r["status"],
                produced_at=r["produced_at"],
                arrived_at=r["arrived_at"],
                contact_deadline=r["contact_deadline"],
                contacted_at=r["contacted_at"],
                unit_name=r["unit_name"],
                unit_collected_at=r["unit_collected_at"],
                stock_slot=r["stock_slot"],
            )
        )
    return out


def _age_base(card: sqlite3.Row) -> date | None:
    """Sleeping cards age from production (HB 17 制卡超过6个月); stock from sign-in (存放)."""
    text = card["produced_at"] if card["status"] == "unit_collected" else card["arrived_at"]
    text = text or card["arrived_at"] or card["produced_at"]
    return parse_day(text) if text else None


def unit_collect(ctx: ServiceContext, inp: UnitCollectInput) -> BusinessResult:
    """A unit collects its members' cards (集体代领). R-ID-4; such cards become R-ISS-6 candidates."""
    require(ctx.operator, "stock")
    problems: list[Problem] = []
    if not inp.unit_name.strip():
        problems.append(Problem("unit_name", "R-ID-4", "未填写代领单位名称", "请填写单位全称。", "代领单位"))
    if not inp.agent_name.strip() or not inp.agent_doc_number.strip():
        problems.append(
            Problem(
                "agent_doc_number",
                "R-ID-4",
                "未录入单位经办人姓名或证件号码",
                "请核验单位经办人身份证件原件并录入。",
                "经办人证件",
            )
        )
    if not inp.unit_letter_checked:
        problems.append(
            Problem(
                "unit_letter_checked",
                "R-ID-4",
                "未确认单位介绍信",
                "请查验单位介绍信后勾选确认。",
                "单位介绍信",
            )
        )
    if not inp.card_ids:
        problems.append(Problem("card_ids", "R-ISS-6", "没有选择要代领的卡", "请选择卡。", "社保卡"))
    if problems:
        raise ValidationError(problems)
    with begin_business(ctx, "stock") as biz:
        for cid in inp.card_ids:
            biz.move_card(
                card_by_id(biz.conn, cid),
                "unit_collected",
                unit_collected_at=biz.at,
                unit_name=inp.unit_name.strip(),
            )
        numbers = [str(card_by_id(biz.conn, cid)["card_number"]) for cid in inp.card_ids]
        return biz.commit(
            summary=f"{inp.unit_name.strip()} 集体代领社保卡 {len(numbers)} 张",
            details={
                "action": "unit_collect",
                "unit_name": inp.unit_name.strip(),
                "agent_name": inp.agent_name,
                "agent_doc_number": inp.agent_doc_number,
                "card_numbers": numbers,
                "rules": ["R-ID-4", "R-ISS-6"],
            },
        )


def age_stock(ctx: ServiceContext, inp: AgeStockInput) -> BusinessResult:
    """Cancel or seal old stock; take back and clear sleeping cards. R-ISS-6 (HB 17).

    Refuses (all at once, naming each card's earliest date) any card not yet that old. Sleeping
    cards handed back by the unit go back into stock ('arrived') with the reason recorded, so
    the holder can still collect them. "More than N months" (HB 17) is strict.
    """
    require(ctx.operator, "stock.age")
    if inp.action not in AGE_ACTIONS:
        raise ValidationError(
            [
                Problem(
                    "action",
                    "R-ISS-6",
                    f"处理方式“{inp.action}”无效",
                    "请选择：注销、封存或睡眠卡交还清理。",
                    "处理方式",
                )
            ]
        )
    profile = ctx.profile
    stock_months, sleep_months = int(profile.stock_age_months), int(profile.sleeping_months)
    today = _today(ctx)
    problems: list[Problem] = []
    with begin_business(ctx, "stock", action="stock.age") as biz:
        conn = biz.conn
        numbers: list[str] = []
        for cid in inp.card_ids:
            card = card_by_id(conn, cid)
            number = str(card["card_number"])
            numbers.append(number)
            sleeping = inp.action == "return_sleeping"
            wanted = (
                ("unit_collected",)
                if sleeping
                else (("arrived", "sealed") if inp.action == "cancel" else ("arrived",))
            )
            if card["status"] not in wanted:
                problems.append(
                    Problem(
                        "card_ids",
                        "R-ISS-6",
                        f"卡号 {number} 不是{'集体代领未发放的睡眠卡' if sleeping else '在库卡'}",
                        "请从库存卡清单中选择。",
                        "社保卡",
                    )
                )
                continue
            base = _age_base(card)
            months = sleep_months if sleeping else stock_months
            due = add_months(base, months) if base else None
            if due is None or due >= today:  # HB 17: strictly more than the months
                problems.append(
                    Problem(
                        "card_ids",
                        "R-ISS-6",
                        f"卡号 {number} 未满 {months} 个月"
                        + (f"，{(due + timedelta(days=1)).isoformat()} 起方可处理" if due else ""),
                        "未到期的卡请继续保管并联系领卡。",
                        "社保卡",
                    )
                )
                continue
            # A sleeping card the unit hands back is back in this station's stock, so its holder
            # can still collect it (R-ISS-6); 'returned' is the terminal re-production state.
            target = {"cancel": "cancelled", "seal": "sealed", "return_sleeping": "arrived"}[inp.action]
            reason = inp.reason or AGE_ACTIONS[inp.action]
            biz.move_card(card, target, return_reason=reason)
        if not inp.card_ids:
            problems.append(Problem("card_ids", "R-ISS-6", "没有选择要处理的卡", "请选择卡。", "社保卡"))
        if problems:
            raise ValidationError(problems)
        return biz.commit(
            summary=f"库存卡{AGE_ACTIONS[inp.action]} {len(numbers)} 张",
            details={
                "action": f"age_{inp.action}",
                "card_numbers": numbers,
                "reason": inp.reason,
                "rules": ["R-ISS-6"],
            },
        )
