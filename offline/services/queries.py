"""Item 11 (query, 制卡进度及卡状态查询) and the person search every screen starts from.

`search_persons` guesses what was typed and runs ONE indexed query for it, because the window
has a million persons on a county store and an operator over slow SSH types while waiting:

| typed                              | query                                  | index                 |
|------------------------------------|----------------------------------------|-----------------------|
| 18 chars, 17 digits + digit/X      | persons.ssn = ?                        | UNIQUE(ssn)           |
| 9 chars with a digit (card number) | cards.card_number = ?  (+ doc_number)  | UNIQUE(card_number)   |
| ASCII letters (pinyin initials)    | name_initials >= ? AND < ? + U+10FFFF  | persons_initials      |
| anything else (Chinese name)       | name >= ? AND name < ? + U+10FFFF      | persons_name          |
| other digits / letters+digits      | persons.doc_number = ?                 | persons_doc           |

Range queries instead of LIKE: LIKE is case-insensitive for ASCII and will not use a plain
BINARY index, so a prefix LIKE scans the table. U+10FFFF is the largest code point, so
`prefix || U+10FFFF` bounds every string that starts with the prefix (BINARY collation compares
UTF-8 bytes, which keeps code point order).

`card_progress` answers R-INFO-3 (HB 27, HN 18): production progress, card status, where and
when to collect. It reads only and writes no business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from offline import outbox
from offline.business import ServiceContext
from offline.errors import DomainError
from offline.lifecycle import CARD_MACHINE
from offline.services.applications import APPLICATION_LABELS, KIND_LABELS, MODES
from offline.services.persons import PersonRecord, find_person
from offline.store import Store

TOP = "\U0010ffff"
SSN_RE = re.compile(r"^\d{17}[\dX]$")
CARD_RE = re.compile(r"^[A-Z0-9]{9}$")
INITIALS_RE = re.compile(r"^[a-z]+$")

SYNC_LABELS = {
    "": "无需上传",
    "pending": "待上传",
    "sending": "上传中",
    "acked": "已上传",
    "quarantined": "上传失败（已隔离，待处理）",
    "conflict": "与中心数据冲突",
}


@dataclass(frozen=True)
class PersonHit:
    """One line of the search result list."""

    person_id: int
    name: str
    ssn: str
    sex: str
    birth_date: str
    status: str
    card_number: str  # latest card, '' when none
    card_status: str  # its Chinese status label, '' when none

    @property
    def ssn_masked(self) -> str:
        """For lists shown over a shared screen: first 6 and last 4 (R-SEC-1)."""
        return (
            self.ssn[:6] + "*" * max(0, len(self.ssn) - 10) + self.ssn[-4:]
            if len(self.ssn) > 10
            else self.ssn
        )


def classify_query(text: str) -> tuple[str, str]:
    """('ssn' | 'card' | 'initials' | 'name' | 'doc' | 'empty', normalised text)."""
    t = text.strip().replace(" ", "")
    if not t:
        return "empty", ""
    upper = t.upper()
    if SSN_RE.match(upper):
        return "ssn", upper
    if CARD_RE.match(upper) and any(c.isdigit() for c in upper):
        return "card", upper
    if INITIALS_RE.match(t.lower()):
        return "initials", t.lower()
    if t.isascii():
        return "doc", upper
    return "name", t


_HIT_SQL = (
    "SELECT p.id, p.name, p.ssn, p.sex, p.birth_date, p.status,"
    " (SELECT c.card_number FROM cards c WHERE c.person_id = p.id ORDER BY c.id DESC LIMIT 1) AS card_number,"
    " (SELECT c.status FROM cards c WHERE c.person_id = p.id ORDER BY c.id DESC LIMIT 1) AS card_status"
    " FROM persons p"
)


def search_sql(kind: str) -> str:
    """The statement `search_persons` runs for a kind (exposed so a test can EXPLAIN it)."""
    where = {
        "ssn": " WHERE p.ssn = ?",
        "card": " WHERE p.id IN (SELECT person_id FROM cards WHERE card_number = ?) OR p.doc_number = ?",
        "doc": " WHERE p.doc_number = ?",
        "initials": " WHERE p.name_initials >= ? AND p.name_initials < ? ORDER BY p.name_initials, p.id LIMIT ?",
        "name": " WHERE p.name >= ? AND p.name < ? ORDER BY p.name, p.id LIMIT ?",
    }[kind]
    return _HIT_SQL + where


def search_params(kind: str, value: str, limit: int) -> tuple[Any, ...]:
    if kind in ("initials", "name"):
        return (value, value + TOP, limit)
    if kind == "card":
        return (value, value)
    return (value,)


def search_persons(store: Store, text: str, *, limit: int = 20) -> list[PersonHit]:
    """Find persons by SSN, card number, Chinese name prefix or pinyin-initials prefix (indexed)."""
    kind, value = classify_query(text)
    if kind == "empty":
        return []
    rows = store.query(search_sql(kind), search_params(kind, value, limit))
    return [
        PersonHit(
            person_id=r["id"],
            name=r["name"],
            ssn=r["ssn"],
            sex=r["sex"],
            birth_date=r["birth_date"],
            status=r["status"],
            card_number=r["card_number"] or "",
            card_status=CARD_MACHINE.label(r["card_status"]) if r["card_status"] else "",
        )
        for r in rows[:limit]
    ]


# --------------------------------------------------------------------------- person page


@dataclass(frozen=True)
class CardLine:
    id: int
    card_number: str
    bank: str
    status: str
    status_label: str
    issue_date: str
    expiry_date: str
    issued_at: str


#: HB 27, HN 18, HB 40: a mailed card that reached the station is posted on, not collected here.
MAILED_ARRIVED_LABEL = "已制成，待邮寄"


@dataclass(frozen=True)
class ApplicationLine:
    id: int
    receipt_no: str
    kind_label: str
    mode_label: str
    bank: str
    status: str
    status_label: str
    deadline: str
    route: str
    created_at: str
    reject_reason: str
    mailed: bool = False  # HB 27, HN 18, HB 40: mailed to the applicant, not collected here


@dataclass(frozen=True)
class BusinessLine:
    id: int
    receipt_no: str
    item: str
    at: str
    summary: str
    fee_fen: int
    sync_state: str
    sync_label: str
    remote_status: str
    remote_reason: str


@dataclass(frozen=True)
class PersonPage:
    person: PersonRecord
    has_photo: bool
    cards: list[CardLine]
    applications: list[ApplicationLine]
    businesses: list[BusinessLine]


def _card_lines(store: Store, person_id: int) -> list[CardLine]:
    from offline.services.card_in_hand import STATE_LABELS

    rows = store.query(
        "SELECT c.*, h.state AS check_state FROM cards c LEFT JOIN card_in_hand h ON h.card_id = c.id"
        " WHERE c.person_id = ? ORDER BY c.id DESC",
        (person_id,),
    )
    return [
        CardLine(
            r["id"],
            r["card_number"],
            r["bank"],
            r["status"],
            # a card in hand says whether the card management system has checked it (R-HLD-2)
            CARD_MACHINE.label(r["status"])
            + (f"·{STATE_LABELS[r['check_state']]}" if r["check_state"] else ""),
            r["issue_date"],
            r["expiry_date"],
            r["issued_at"],
        )
        for r in rows
    ]


def _application_lines(store: Store, where: str, params: tuple[Any, ...]) -> list[ApplicationLine]:
    rows = store.query(
        "SELECT a.*, b.receipt_no FROM applications a JOIN businesses b ON b.id = a.business_id"
        f" WHERE {where} ORDER BY a.id DESC",
        params,
    )
    return [
        ApplicationLine(
            r["id"],
            r["receipt_no"],
            KIND_LABELS.get(r["kind"], r["kind"]),
            MODES.get(r["mode"], r["mode"]),
            r["bank"],
            r["status"],
            MAILED_ARRIVED_LABEL
            if r["status"] == "arrived" and (r["mailing"] or r["route"] == "provincial")
            else APPLICATION_LABELS.get(r["status"], r["status"]),
            r["deadline"],
            r["route"],
            r["created_at"],
            r["reject_reason"],
            bool(r["mailing"]) or r["route"] == "provincial",
        )
        for r in rows
    ]


def person_page(store: Store, person_id: int, *, business_limit: int = 50) -> PersonPage:
    """Everything the person screen shows: data, cards, applications, businesses with sync state."""
    person = find_person(store, person_id)
    if person is None:
        raise DomainError.one(
            "person_id", "R-INFO-3", f"找不到人员记录（编号 {person_id}）", "请重新查找。", "人员"
        )
    has_photo = store.one("SELECT 1 FROM photos WHERE person_id = ?", (person_id,)) is not None
    rows = store.query(
        "SELECT id, receipt_no, item, at, summary, fee_fen, remote_status, remote_reason FROM businesses"
        " WHERE person_id = ? ORDER BY id DESC LIMIT ?",
        (person_id, business_limit),
    )
    businesses = []
    for r in rows:
        state = outbox.business_sync_state(store, r["id"])
        businesses.append(
            BusinessLine(
                r["id"],
                r["receipt_no"],
                r["item"],
                r["at"],
                r["summary"],
                r["fee_fen"],
                state,
                SYNC_LABELS.get(state, state),
                r["remote_status"],
                r["remote_reason"],
            )
        )
    return PersonPage(
        person,
        has_photo,
        _card_lines(store, person_id),
        _application_lines(store, "a.person_id = ?", (person_id,)),
        businesses,
    )


# --------------------------------------------------------------------------- progress query (R-INFO-3)


@dataclass(frozen=True)
class ProgressReport:
    """What the query answers (R-INFO-3), ready to print as Chinese lines."""

    person_name: str
    ssn: str
    applications: list[ApplicationLine]
    cards: list[CardLine]
    lines: tuple[str, ...]


def _where_to_collect(ctx: ServiceContext, app: ApplicationLine, today: date) -> str:
    station = ctx.store.setting("station_name") or f"服务网点 {ctx.service_point}"
    if app.status == "remaking":  # R-ISS-3 (HB 16): the card failed the read-card test
        return f"卡片读卡检测不合格，已退回重新制作（{app.reject_reason or '原因见退回单'}）；制成后{station}将通知您领取。"
    if app.status == "arrived" and not app.mailed:
        return f"卡已到{station}，请持本人有效身份证件和领卡回执到{station}领取。"
    if app.status in ("accepted", "approved", "produced", "shipped", "arrived"):
        late = app.deadline and app.deadline < today.isoformat()
        guess = ""
        if app.deadline and not late:
            from offline.workdays import estimated

            guess = "（预计）" if estimated(ctx.store, today, date.fromisoformat(app.deadline)) else ""
        when = f"应于 {app.deadline}{guess} 前制成" + ("（已超期，请联系县级经办机构催办）" if late else "")
        if app.status == "arrived":
            when = "卡已制成"
        where = "卡将邮寄到登记的邮寄地址，无须到网点" if app.mailed else f"到卡后网点将通知您到{station}领取"
        return f"{when}；{where}。"
    if app.status == "rejected":
        return f"卡管系统退回：{app.reject_reason or '原因未说明'}。请持证件到网点重新办理。"
    return ""


def _business_line(store: Store, receipt_no: str) -> list[str]:
    """A business that is not an application (e.g. a walk-in's loss): what it was and what came back."""
    from offline.services.walkins import VERIFY_LABELS

    row = store.one(
        "SELECT summary, verify_state, remote_status, remote_reason FROM businesses WHERE receipt_no = ?"
        " AND id NOT IN (SELECT business_id FROM applications)",
        (receipt_no,),
    )
    if row is None:
        return []
    state = VERIFY_LABELS.get(row["verify_state"], "") or {
        "accepted": "卡管已确认",
        "rejected": "卡管退回",
    }.get(row["remote_status"], "待卡管回复" if not row["remote_status"] else row["remote_status"])
    reason = f"：{row['remote_reason']}" if row["remote_reason"] else ""
    return [f"受理编号 {receipt_no}　{row['summary']}——{state}{reason}"]


def card_progress(
    ctx: ServiceContext,
    *,
    ssn: str | None = None,
    card_number: str | None = None,
    receipt_no: str | None = None,
) -> ProgressReport:
    """Production progress, card status, where and when to collect (R-INFO-3; HB 27, HN 18). Read-only."""
    from offline.permissions import require

    require(ctx.operator, "query")
    store = ctx.store
    person_id: int | None = None
    if ssn:
        row = store.one("SELECT id FROM persons WHERE ssn = ?", (ssn.strip().upper(),))
        person_id = None if row is None else int(row[0])
    elif card_number:
        row = store.one("SELECT person_id FROM cards WHERE card_number = ?", (card_number.strip().upper(),))
        person_id = None if row is None else int(row[0])
    elif receipt_no:
        row = store.one("SELECT person_id FROM businesses WHERE receipt_no = ?", (receipt_no.strip(),))
        person_id = None if row is None or row[0] is None else int(row[0])
    else:
        raise DomainError.one(
            "query",
            "R-INFO-3",
            "请输入社会保障号码、卡号或受理编号之一",
            "至少填写一项查询条件。",
            "查询条件",
        )
    if person_id is None:
        raise DomainError.one(
            "query",
            "R-INFO-3",
            "未查到相关记录",
            "请核对号码；异地申领的进度请到受理网点查询；不在本站名册的持卡人，按 Ctrl+W 提交卡管系统查询。",
            "查询条件",
        )
    person = find_person(store, person_id)
    assert person is not None
    apps = _application_lines(store, "a.person_id = ?", (person_id,))
    if receipt_no:
        apps = [a for a in apps if a.receipt_no == receipt_no.strip()] or apps
    cards = _card_lines(store, person_id)
    today = ctx.now().date()
    lines: list[str] = [f"{person.name}（{person.ssn[:6]}********{person.ssn[-4:]}）"]
    for app in apps[:3]:
        lines.append(
            f"{app.kind_label} 受理编号 {app.receipt_no}：{app.status_label}（{app.mode_label}，{app.bank}）"
        )
        where = _where_to_collect(ctx, app, today)
        if where:
            lines.append("  " + where)
    for card in cards:
        lines.append(f"卡号 {card.card_number}：{card.status_label}（{card.bank}）")
    if receipt_no:
        lines.extend(_business_line(store, receipt_no.strip()))
    if not apps and not cards and len(lines) == 1:
        lines.append("没有申领记录和卡记录。")
    return ProgressReport(person.name, person.ssn, apps, cards, tuple(lines))
