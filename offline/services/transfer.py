"""Item 16, in-province transfer of the card's home region (归属地省内转移).

R-TRF-1 / HN 19: once the insurance relation has moved to another city or county of the same
province (done first at the insurance window), the home region on the chip (DF01) is rewritten
and the move recorded. A move to another province needs a new card there: refused.

A chip write and a SQLite commit cannot be one atomic step, so this follows the write-intent
journal (`offline.card_journal`): `begin()` commits the intent before the chip is touched, the
session writes and verifies by reading back, and the business transaction then records the move
and `finish()`es the journal entry. If anything breaks in between, the entry stays pending and
`card_journal.resolve_on_insert` settles it the next time the card is inserted, through
`finish_transfer_from_journal` below — never by guessing.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from offline.business import BusinessResult, ServiceContext
from offline.business_builder import Business, begin_business
from offline.errors import DomainError, Problem, ValidationError
from offline.protocols import CardError, ChipCard
from offline.services.persons import CardRecord, PersonRecord, find_card, find_person, find_person_by_ssn
from offline.validation.documents import holder_document_problems

REGION_RE = re.compile(r"^\d{6}$")
JOURNAL_SERVICE = "transfer.home_region"


@dataclass(frozen=True)
class TransferInput:
    ssn: str
    new_region: str  # 6-digit GB/T 2260 code of the new insurance region
    insurance_moved: bool  # operator saw the insurance-relation transfer completed (HN 19)
    doc_number: str = ""  # the holder's document shown (R-ID-1)


def region_problems(ctx: ServiceContext, inp: TransferInput, current: str) -> list[Problem]:
    """R-TRF-1: a 6-digit code of this province, different from the card's current region."""
    problems: list[Problem] = []
    region = inp.new_region.strip()
    province_prefix = ctx.profile.region_code[:2]  # GB/T 2260: the first two digits
    if not REGION_RE.match(region) or region.endswith("0000"):
        problems.append(
            Problem(
                "new_region",
                "R-TRF-1",
                f"“{region}”不是有效的县级行政区划代码",
                "请填写6位行政区划代码（如 420102）。",
                "新归属地",
            )
        )
    elif region[:2] != province_prefix:
        problems.append(
            Problem(
                "new_region",
                "R-TRF-1",
                f"新归属地 {region} 不在本省，跨省转移不能改写归属地",
                "跨省转移参保关系的，须在转入地重新申领社会保障卡（HN 19）。",
                "新归属地",
            )
        )
    elif region == current:
        problems.append(
            Problem("new_region", "R-TRF-1", f"卡内归属地已是 {region}", "无需办理归属地转移。", "新归属地")
        )
    if not inp.insurance_moved:
        problems.append(
            Problem(
                "insurance_moved",
                "R-TRF-1",
                "参保关系尚未转移接续",
                "请持卡人先到经办服务窗口办理就业登记与参保关系转移、接续，再办理归属地转移。",
                "参保关系转移",
            )
        )
    return problems


def _chip_error(exc: CardError, kept: bool) -> DomainError:
    tail = "写卡记录已保留，下次插入此卡时系统会核对卡内数据并自动处理。" if kept else "请重新插卡后再试。"
    return DomainError.one("card", "R-TRF-1", f"读写卡出错：{exc.message_zh}", tail, "社会保障卡")


def _check(ctx: ServiceContext, inp: TransferInput, chip: ChipCard) -> tuple[PersonRecord, CardRecord]:
    person = find_person_by_ssn(ctx.store, inp.ssn)
    if person is None:
        raise DomainError.one(
            "ssn",
            "R-TRF-1",
            f"本站没有社会保障号码为 {inp.ssn} 的人员",
            "请核对社会保障号码。",
            "社会保障号码",
        )
    problems: list[Problem] = []
    card = find_card(ctx.store, chip.card_number)
    if card is None or card.person_id != person.id:
        raise DomainError.one(
            "card",
            "R-TRF-1",
            f"插入的卡（{chip.card_number}）不是 {person.name} 的卡",
            "请插入持卡人本人的社会保障卡。",
            "社会保障卡",
        )
    if chip.holder is not None and chip.holder.ssn.upper() != person.ssn.upper():
        problems.append(
            Problem(
                "card",
                "R-TRF-1",
                "卡内社会保障号码与人员记录不一致",
                "请到县级经办机构核查此卡。",
                "社会保障卡",
            )
        )
    if card.status != "issued":
        problems.append(
            Problem(
                "card",
                "R-TRF-1",
                f"此卡当前为“{card.status_label}”，不能改写归属地",
                "只有已发放、正常使用的卡可以办理归属地转移。",
                "卡状态",
            )
        )
    problems += holder_document_problems(inp.doc_number, person.doc_number, person.ssn)
    problems += region_problems(ctx, inp, chip.home_region)
    if problems:
        raise ValidationError(problems)
    return person, card


def transfer_region(ctx: ServiceContext, inp: TransferInput) -> BusinessResult:
    """Rewrite the card's home region within the province (R-TRF-1, R-ID-1; HN 19)."""
    from offline import card_journal
    from offline.permissions import require

    require(ctx.operator, "transfer")
    if ctx.card is None:
        raise DomainError.one(
            "card", "R-TRF-1", "未检测到社会保障卡", "请将持卡人的社会保障卡插入读卡器。", "社会保障卡"
        )
    try:
        chip = ctx.card.read_card()
    except CardError as exc:
        raise _chip_error(exc, kept=False) from exc
    person, card = _check(ctx, inp, chip)
    region = inp.new_region.strip()
    intent = {
        "service": JOURNAL_SERVICE,
        "before": {"home_region": chip.home_region},
        "after": {"home_region": region},
        "input": {**asdict(inp), "new_region": region, "old_region": chip.home_region},
    }
    journal_id = card_journal.begin(
        ctx.store, card_number=card.card_number, op="home_region", intent=intent, operator_id=ctx.operator.id
    )
    try:
        after = ctx.card.write_home_region(region)
    except CardError as exc:
        raise _chip_error(exc, kept=True) from exc
    if after.home_region != region:
        raise DomainError.one(
            "card",
            "R-TRF-1",
            f"写卡后核对不一致：卡内归属地为 {after.home_region or '空'}",
            "写卡记录已保留，请重新插卡，系统会核对并补写。",
            "社会保障卡",
        )
    with begin_business(ctx, "transfer") as biz:
        card_journal.finish(biz.conn, journal_id, "写入并读回核对一致", business_id=biz.business_id)
        return _commit(biz, person, card, chip.home_region, region, journal_id, inp.insurance_moved)


def _commit(
    biz: Business,
    person: PersonRecord,
    card: CardRecord,
    old: str,
    new: str,
    journal_id: int,
    insurance_moved: bool,
) -> BusinessResult:
    biz.conn.execute("UPDATE persons SET region = ?, updated_at = ? WHERE id = ?", (new, biz.at, person.id))
    details: dict[str, Any] = {
        "ssn": person.ssn,
        "name": person.name,
        "card_number": card.card_number,
        "old_region": old,
        "new_region": new,
        "insurance_moved": insurance_moved,
        "journal_id": journal_id,
    }
    return biz.commit(
        summary=f"归属地省内转移：{person.name}，{old or '未记载'} → {new}",
        details=details,
        person_id=person.id,
        card_id=card.id,
    )


def finish_transfer_from_journal(
    ctx: ServiceContext, conn: sqlite3.Connection, entry: Any, card: ChipCard
) -> BusinessResult:
    """Finisher for `card_journal`: the card reads as the new region, record the business now.

    Runs inside `conn`'s transaction (the business joins it) and checks no permission: the
    write was authorised when it began, the station only completes it (as before the builder).
    """
    data = entry.intent["input"]
    record = find_card(ctx.store, entry.card_number)
    if record is None:
        raise DomainError.one(
            "card", "R-TRF-1", f"找不到卡 {entry.card_number} 的记录", "请联系县级经办机构。", "社会保障卡"
        )
    person = find_person(ctx.store, record.person_id)
    assert person is not None
    with begin_business(ctx, "transfer", by_station=True) as biz:
        return _commit(
            biz,
            person,
            record,
            str(data.get("old_region", "")),
            card.home_region,
            int(entry.id),
            bool(data.get("insurance_moved", True)),
        )
