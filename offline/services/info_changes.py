"""Items 12 and 13: non-key (非关键) and key (关键) information changes.

- `change_info` (R-INFO-2, HB 26, HN 17): document validity, ethnicity, nationality/region, sex,
  addresses, mailing data, phone — changed at the station, no new card. The business records
  every field as old → new, so the card management system and an auditor see what changed.
- `change_key_info` (R-INFO-1, HB 25, HN 16): name, social security number, photo. Needs the
  holder's document, and the police proof (公安证明) for a name or number change, passes a fresh
  one-person-one-card check on the new number (R-APP-3), and forces an exchange: the exchange
  application (reason 'key_info_changed', free, see exchange.py) is filed in the same
  transaction, so there is never a changed person without the card that must follow.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from offline.business import BusinessResult, ServiceContext
from offline.business_builder import begin_business
from offline.errors import DomainError, Problem, ValidationError
from offline.lifecycle import VALID_CARD_STATES
from offline.services.exchange import ExchangeInput, exchange_in_transaction
from offline.services.persons import (
    PersonRecord,
    find_person,
    find_person_by_ssn,
    name_initials,
    one_card_problems,
    open_applications,
    person_cards,
    store_photo,
)
from offline.validation.documents import holder_document_problems

#: Non-key fields (R-INFO-2) with their Chinese labels.
NON_KEY_LABELS = {
    "doc_valid_from": "证件有效期起",
    "doc_valid_to": "证件有效期止",
    "ethnicity": "民族",
    "nationality": "国籍/地区",
    "sex": "性别",
    "household_address": "户口所在地地址",
    "residence_address": "常住所在地地址",
    "mailing_address": "邮寄地址",
    "phone": "联系电话",
}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class InfoChangeInput:
    """Non-key change: `None` = unchanged. `doc_valid_to` '' or '长期' = no end."""

    ssn: str
    doc_number: str  # the holder's document shown (R-ID-1)
    doc_valid_from: str | None = None
    doc_valid_to: str | None = None
    ethnicity: str | None = None
    nationality: str | None = None
    sex: str | None = None
    household_address: str | None = None
    residence_address: str | None = None
    mailing_address: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class KeyInfoChangeInput:
    """Key change (R-INFO-1): empty / None = unchanged; the exchange's data follows."""

    ssn: str  # the number the person is registered under now
    doc_number: str  # the document shown: the current one, or the new ID after a number change
    financial_account_closed: bool  # R-REP-3, for the forced exchange
    new_name: str = ""
    new_ssn: str = ""
    new_photo: bytes | None = None
    police_proof: str = ""  # 公安机关出具的更名/改号证明 (reference), needed for name/number
    mode: str = "fast"
    channel: str = "local"
    mailing: bool = False
    doc_scans: tuple[bytes, ...] = ()
    fee_receipt_no: str = ""  # HN 9: the forced exchange pays the cost fee too (R-APP-10)


def _person(ctx: ServiceContext, ssn: str) -> PersonRecord:
    person = find_person_by_ssn(ctx.store, ssn)
    if person is None:
        raise DomainError.one(
            "ssn", "R-INFO-3", f"本站没有社会保障号码为 {ssn} 的人员", "请核对社会保障号码。", "社会保障号码"
        )
    return person


def non_key_problems(person: PersonRecord, changes: dict[str, str], today: date) -> list[Problem]:
    """Check each changed field against its code table or format (R-INFO-2, R-APP-1, R-ID-3)."""
    from offline import codes

    problems: list[Problem] = []
    tables = {"ethnicity": codes.ETHNICITY, "nationality": codes.NATIONALITY, "sex": codes.SEX}
    for key, table in tables.items():
        if key in changes and changes[key] not in table:
            problems.append(
                Problem(
                    key,
                    "R-INFO-2",
                    f"“{changes[key]}”不是有效的{NON_KEY_LABELS[key]}代码",
                    f"请从{NON_KEY_LABELS[key]}列表中选择。",
                    NON_KEY_LABELS[key],
                )
            )
    if "sex" in changes and person.doc_type in codes.CITIZEN_NUMBER_DOCS and len(person.ssn) == 18:
        ssn_sex = "1" if int(person.ssn[16]) % 2 else "2"
        if changes["sex"] != ssn_sex:
            problems.append(
                Problem(
                    "sex",
                    "R-ID-3",
                    "性别与社会保障号码中的性别位不一致",
                    "性别随公民身份号码变更的，请办理关键信息变更（社会保障号码）。",
                    "性别",
                )
            )
    if "phone" in changes:
        from offline.validation.contact import phone_problems

        nationality = changes.get("nationality", person.nationality)
        problems += phone_problems(changes["phone"], required=True, international=nationality != "CHN")
    for key in ("doc_valid_from", "doc_valid_to"):
        if key in changes and changes[key] and not _valid_date(changes[key]):
            problems.append(
                Problem(
                    key,
                    "R-INFO-2",
                    f"“{changes[key]}”不是有效日期",
                    "请按 YYYY-MM-DD 填写；长期有效填“长期”。",
                    NON_KEY_LABELS[key],
                )
            )
    start = changes.get("doc_valid_from", person.doc_valid_from)
    end = changes.get("doc_valid_to", person.doc_valid_to)
    if "doc_valid_to" in changes and end and _valid_date(end) and end < today.isoformat():
        problems.append(
            Problem(
                "doc_valid_to", "R-ID-1", f"证件已于 {end} 过期", "请持有效期内的证件办理。", "证件有效期止"
            )
        )
    if start and end and _valid_date(start) and _valid_date(end) and end <= start:
        problems.append(
            Problem(
                "doc_valid_to",
                "R-INFO-2",
                "证件有效期止早于有效期起",
                "请核对证件上的有效期限。",
                "证件有效期止",
            )
        )
    for key in ("household_address", "residence_address"):
        if key in changes and not changes[key].strip():
            problems.append(
                Problem(
                    key, "R-APP-1", f"{NON_KEY_LABELS[key]}不能为空", "请填写完整地址。", NON_KEY_LABELS[key]
                )
            )
    return problems


def _valid_date(text: str) -> bool:
    if not DATE_RE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def standard_value(name: str, value: str) -> str:
    """A changed field in standard form (`offline.validation.normalise`); what is not understood
    stays as typed, and the field's own check below names the problem."""
    from offline.validation.normalise import PERSON_KINDS, normalise

    kind = PERSON_KINDS.get(name, "text")
    if kind == "bank":
        return value.strip()
    n = normalise(kind, value)
    return n.value if n.ok else value.strip()


def change_info(ctx: ServiceContext, inp: InfoChangeInput) -> BusinessResult:
    """Non-key information change (item 12): update the person, record old → new, no new card.

    Rules: R-INFO-2, R-ID-1, R-ID-3, R-APP-1 (HB 26, HN 17).
    """
    with begin_business(ctx, "info_change") as biz:
        conn, at = biz.conn, biz.at
        person = _person(ctx, inp.ssn)
        changes: dict[str, str] = {}
        for f in fields(inp):
            if f.name in NON_KEY_LABELS:
                value = getattr(inp, f.name)
                if value is None:
                    continue
                value = standard_value(f.name, value)  # 2020.1.1, 长期, 138-…, 汉 -> standard
                if value != getattr(person, f.name):
                    changes[f.name] = value
        problems = holder_document_problems(inp.doc_number, person.doc_number, person.ssn)
        if not changes:
            problems.append(
                Problem(
                    "changes",
                    "R-INFO-2",
                    "没有任何信息发生变化",
                    "请修改需要变更的项目后再提交。",
                    "变更项目",
                )
            )
        problems += non_key_problems(person, changes, ctx.now().date())
        if problems:
            raise ValidationError(problems)
        diff = {k: {"old": getattr(person, k), "new": v} for k, v in changes.items()}
        sets = ", ".join(f"{k} = ?" for k in changes)
        conn.execute(
            f"UPDATE persons SET {sets}, updated_at = ? WHERE id = ?", (*changes.values(), at, person.id)
        )
        labels = "、".join(NON_KEY_LABELS[k] for k in changes)
        return biz.commit(
            summary=f"非关键信息变更：{person.name}，{labels}（无需换卡）",
            details={"ssn": person.ssn, "name": person.name, "changes": diff, "new_card": False},
            person_id=person.id,
        )


def key_problems(
    ctx: ServiceContext, inp: KeyInfoChangeInput, person: PersonRecord, today: date
) -> list[Problem]:
    """R-INFO-1 document, police proof, new number, photo; R-APP-3 on the new number."""
    from offline.validation import check_photo, validate_ssn
    from offline.validation.names import name_problems

    problems: list[Problem] = []
    new_name, new_ssn = inp.new_name, inp.new_ssn.strip().upper()
    if new_name.strip() == person.name:
        new_name = ""
    if new_name.strip():
        # The new name goes on a new card: the same checks as a new application (R-APP-1),
        # on what was typed (so "张  三" is refused, not silently squeezed).
        mainland = person.nationality in ("CHN", "HKG", "MAC", "TWN", "")
        problems.extend(name_problems(new_name, mainland=mainland, field="new_name"))
    new_name = new_name.strip()
    if new_ssn == person.ssn:
        new_ssn = ""
    if not (new_name or new_ssn or inp.new_photo is not None):
        problems.append(
            Problem(
                "changes",
                "R-INFO-1",
                "姓名、社会保障号码、照片均未变化",
                "请填写变更后的关键信息。",
                "变更项目",
            )
        )
    problems += holder_document_problems(inp.doc_number, person.doc_number, person.ssn, new_ssn)
    if (new_name or new_ssn) and not inp.police_proof.strip():
        problems.append(
            Problem(
                "police_proof",
                "R-INFO-1",
                "变更姓名或社会保障号码须提供公安机关出具的变更证明",
                "请查验公安证明（或换发的新居民身份证），并登记证明名称和编号。",
                "公安证明",
            )
        )
    if new_ssn:
        problems.extend(validate_ssn(new_ssn))
        other = find_person_by_ssn(ctx.store, new_ssn)
        if other is not None and other.id != person.id:
            held = one_card_problems(ctx.store, other.id)
            why = "且已有有效卡或办理中的申领" if held else ""
            problems.append(
                Problem(
                    "new_ssn",
                    "R-APP-3",
                    f"新社会保障号码 {new_ssn} 已登记为另一人（{other.name}）{why}",
                    "一人只能有一个社会保障号码和一张卡，请核对号码，或联系县级经办机构处理重号。",
                    "新社会保障号码",
                )
            )
    if inp.new_photo is not None:
        from offline.services.persons import age_years

        problems.extend(check_photo(inp.new_photo, age_years=age_years(person.birth_date, today)))
    return problems


def _apply_key_change(
    conn: sqlite3.Connection, person: PersonRecord, inp: KeyInfoChangeInput, at: str
) -> dict[str, Any]:
    """Write the new name / number / photo; returns the old → new record (no photo bytes)."""
    from offline.validation import needs_provincial_route, ssn_birth_and_sex

    diff: dict[str, Any] = {}
    new_name, new_ssn = inp.new_name.strip(), inp.new_ssn.strip().upper()
    if new_name and new_name != person.name:
        conn.execute(
            "UPDATE persons SET name = ?, name_initials = ?, name_rare = ?, updated_at = ? WHERE id = ?",
            (new_name, name_initials(new_name), int(needs_provincial_route(new_name)), at, person.id),
        )
        diff["name"] = {"old": person.name, "new": new_name}
    if new_ssn and new_ssn != person.ssn:
        birth, sex = ssn_birth_and_sex(new_ssn)
        doc_number = new_ssn if person.doc_number.upper() == person.ssn.upper() else person.doc_number
        conn.execute(
            "UPDATE persons SET ssn = ?, doc_number = ?, birth_date = ?, sex = ?, updated_at = ? WHERE id = ?",
            (new_ssn, doc_number, birth.isoformat(), sex, at, person.id),
        )
        diff["ssn"] = {"old": person.ssn, "new": new_ssn}
    if inp.new_photo is not None:
        diff["photo"] = {"new_sha256": store_photo(conn, person.id, inp.new_photo, at=at)}
    return diff


def change_key_info(ctx: ServiceContext, inp: KeyInfoChangeInput) -> BusinessResult:
    """Key information change (item 13) and the exchange it forces, in one transaction.

    Rules: R-INFO-1, R-APP-3, R-ID-1, R-REP-3 (HB 25, HN 16). With no card in use (none made
    yet, or all cancelled) the change is recorded without an exchange; with a card made but
    not yet handed out, or an application in production, it is refused: the card in the
    pipeline carries the old data, so the holder collects it first.
    """
    today = ctx.now().date()
    with begin_business(ctx, "key_info_change") as biz:
        conn, at = biz.conn, biz.at
        person = _person(ctx, inp.ssn)
        problems = key_problems(ctx, inp, person, today)
        cards = [c for c in person_cards(ctx.store, person.id) if c.status in VALID_CARD_STATES]
        issued = [c for c in cards if c.status == "issued"]
        pipeline = [c for c in cards if c.status != "issued"]
        apps = open_applications(ctx.store, person.id)
        if pipeline or apps:
            which = pipeline[0].card_number if pipeline else apps[0].receipt_no
            problems.append(
                Problem(
                    "ssn",
                    "R-INFO-1",
                    f"此人有尚未领取或正在制作的卡（{which}），卡面为变更前信息",
                    "请先领取该卡，再办理关键信息变更和换领。",
                    "卡状态",
                )
            )
        fin_first = ctx.profile.financial_account_closed_first  # R-REP-3, HB 24 (a profile setting)
        if issued and not inp.financial_account_closed and fin_first:
            problems.append(
                Problem(
                    "financial_account_closed",
                    "R-REP-3",
                    "未确认金融账户已正式挂失或注销，不能换领",
                    "请持卡人先到发卡银行办理金融账户正式挂失或注销，凭回执再来办理。",
                    "金融账户挂失/注销",
                )
            )
        if problems:
            raise ValidationError(problems)
        diff = _apply_key_change(conn, person, inp, at)
        updated = find_person(ctx.store, person.id)
        assert updated is not None
        extra = {"key_changes": diff, "police_proof": inp.police_proof.strip()}
        if not issued:
            return biz.commit(
                summary=f"关键信息变更：{updated.name}（无在用卡，无需换领）",
                details={"ssn": updated.ssn, "name": updated.name, "new_card": False, **extra},
                person_id=person.id,
            )
        exchange = ExchangeInput(
            card_number=issued[0].card_number,
            reason="key_info_changed",
            doc_number=inp.doc_number,
            financial_account_closed=True,
            mode=inp.mode,
            channel=inp.channel,
            mailing=inp.mailing,
            photo=inp.new_photo,
            doc_scans=inp.doc_scans,
            fee_receipt_no=inp.fee_receipt_no,
        )
        return exchange_in_transaction(
            biz,
            exchange,
            issued[0],
            updated,
            from_key_info_change=True,
            extra_details={**extra, "new_card": True},
            summary_prefix="关键信息变更并换领",
        )
