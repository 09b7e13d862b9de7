"""Item 1, application (申领): one person, one form, one transaction, one receipt.

Rules: R-ID-1..5 and R-APP-1/2 (through `offline.validation.validate_person`), R-APP-3 one person
one card, R-APP-4 cooperating bank, R-APP-5 production deadline in working days, R-APP-6 rare
characters go to the provincial card centre and are mailed, R-APP-7 in-province remote
applications accepted the same day, R-APP-8 receipt, R-APP-10 first application free, and the
freeze rules R-FRZ-1..3 (`offline.freeze`). Sources: HB 6, 10-13, 34-36, 39-41; HN 9, 11.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from offline.business import Blob, BusinessResult, Operator, ServiceContext
from offline.business_builder import begin_business
from offline.errors import Problem, ValidationError
from offline.freeze import check_not_frozen, freeze_state, override_details
from offline.permissions import require
from offline.services.persons import (
    PersonRecord,
    age_years,
    birth_and_sex,
    find_person_by_ssn,
    insert_application,
    one_card_problems,
    person_cards,
    ssn_of,
    upsert_person,
)
from offline.workdays import ESTIMATED_NOTE, estimated

if TYPE_CHECKING:
    from offline.profiles import Profile
    from offline.validation import PersonInput

CHANNELS = {
    "local": "本人现场申领",
    "remote": "省内异地申领",
    "proxy_person": "个人代办",
    "proxy_unit": "单位代办",
    "online": "网上申领",
    "batch": "批量申领",
}
MODES = {"instant": "立等可取", "fast": "快速制卡", "batch": "批量制卡"}
ROUTES = {"local": "本地制卡", "provincial": "省本级制卡（生僻字）"}

#: Application statuses (applications.status) as the operator reads them (R-INFO-3).
APPLICATION_LABELS = {
    "accepted": "已受理",
    "approved": "已审核，待制卡",
    "rejected": "卡管系统退回",
    "produced": "已制卡",
    "shipped": "已寄送网点",
    "arrived": "已到网点，待领取",
    "remaking": "读卡检测不合格，重新制卡中",
    "issued": "已领卡",
    "cancelled": "已撤销",
}
#: Channels whose card is mailed, never collected at this window: online (HB 27, HN 18) and
#: 省内异地 (HB 40: the card is mailed to the applicant).
MAILED_CHANNELS = frozenset({"online", "remote"})
KIND_LABELS = {"first": "首次申领", "replace": "补领", "exchange": "换领"}


@dataclass(frozen=True)
class ApplicationInput:
    """What the application form (or a batch row) hands in."""

    person: PersonInput
    channel: str  # local | remote | proxy_person | proxy_unit | online | batch
    mode: str  # instant | fast | batch
    bank: str
    unit_name: str = ""
    mailing: bool = False
    doc_scans: tuple[bytes, ...] = ()
    override_by: Operator | None = None  # supervisor overriding a freeze (R-FRZ-3)
    photo_adjusted: bool = False  # set by normalised_input when the photo was cropped/re-encoded
    batch_ref: str = ""  # a batch row's identity, so a rerun of the list skips it (R-APP-9)
    old_account_closed: bool = False  # HB 33: a cancelled card's bank account was closed (receipt seen)
    signed: bool = False  # HB 13, 39: the applicant signed (签字确认; or ctx.signature, the pad's image)


def production_days(profile: Profile, mode: str) -> int:
    """Working days allowed for production (R-APP-5): instant 0, fast, batch from the profile.

    A profile without a fast limit (HN) falls back to its scattered-production limit (HN 29).
    """
    if mode == "instant":
        return 0
    if mode == "fast":
        days = profile.fast_days or profile.scattered_days
        return int(days or 0)
    return profile.batch_days


def production_deadline(ctx: ServiceContext, mode: str) -> str:
    """The date the card must be produced by (R-APP-5), counted in working days from today."""
    days = production_days(ctx.profile, mode)
    today = ctx.now().date()
    if days == 0:
        return today.isoformat()
    from offline.workdays import WorkCalendar

    return WorkCalendar.from_store(ctx.store).add_workdays(today, days).isoformat()


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for p in problems:
        key = (p.field, p.rule, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def application_problems(
    ctx: ServiceContext, inp: ApplicationInput, today: date
) -> tuple[list[Problem], bool]:
    """Every problem of the form at once (R-ID, R-APP-1/2/4/5/6); returns (problems, rare_name)."""
    from offline.validation import needs_provincial_route, validate_person

    person = inp.person
    person = dataclasses.replace(person, bank=inp.bank)
    problems = list(validate_person(person, today=today, profile=ctx.profile, for_application=True))
    if inp.channel not in CHANNELS:
        problems.append(
            Problem(
                "channel",
                "R-APP-1",
                f"未知的申领渠道“{inp.channel}”",
                "请选择：" + "、".join(CHANNELS.values()) + "。",
                "申领渠道",
            )
        )
    if inp.mode not in MODES:
        problems.append(
            Problem(
                "mode",
                "R-APP-5",
                f"未知的制卡方式“{inp.mode}”",
                "请选择：" + "、".join(MODES.values()) + "。",
                "制卡方式",
            )
        )
    # R-APP-4 (bank in the profile's list) is checked by validate_person on person.bank.
    if ctx.profile.window_doc_images_and_signature and inp.channel not in ("batch", "online"):
        # HB 11: photos of both sides of the document; HB 13, 39: the applicant signs to confirm.
        if len([s for s in inp.doc_scans if s]) < 2:
            problems.append(
                Problem(
                    "doc_front_path",
                    "R-APP-1",
                    "须采集有效身份证件正、反面照片（HB 11）",
                    "请拍摄或扫描证件正面和反面，填写两个图片文件。",
                    "证件正面照片",
                )
            )
        if not (inp.signed or ctx.signature is not None):  # a pad's image is the signature itself
            problems.append(
                Problem(
                    "signed",
                    "R-APP-8",
                    "申请人尚未签字确认（HB 13、39）",
                    "请打印申请表，由申请人（或代办人）签字后勾选“申请人已签字确认”。",
                    "签字确认",
                )
            )
    if ctx.profile.in_person_instant_or_fast and inp.channel == "local" and inp.mode == "batch":  # HB 6
        problems.append(
            Problem(
                "mode",
                "R-APP-5",
                "本人现场申领只能选择即时制卡或快速制卡（HB 6）",
                "请改选“即时制卡”或“快速制卡”；批量制卡用于单位批量申领。",
                "制卡方式",
            )
        )
    if inp.channel == "online" and inp.mode != "fast":
        problems.append(
            Problem(
                "mode",
                "R-APP-5",
                "网上申领只能快速制卡后邮寄",
                "请选择“快速制卡”并填写邮寄地址。",
                "制卡方式",
            )
        )
    if inp.channel == "proxy_person" and person.agent is None:
        problems.append(
            Problem(
                "agent",
                "R-ID-4",
                "个人代办须登记代办人及其身份证件",
                "请录入代办人姓名、证件类型和号码，并查验原件。",
                "代办人",
            )
        )
    if inp.channel == "proxy_unit":
        if not inp.unit_name.strip():
            problems.append(
                Problem(
                    "unit_name",
                    "R-ID-4",
                    "单位代办须有单位介绍信和单位名称",
                    "请填写代办单位名称并收取单位介绍信。",
                    "代办单位",
                )
            )
        if person.agent is None:
            problems.append(
                Problem(
                    "agent",
                    "R-ID-4",
                    "单位代办须登记单位经办人及其身份证件",
                    "请录入单位经办人姓名、证件类型和号码，并收取证件复印件。",
                    "单位经办人",
                )
            )
    rare = needs_provincial_route(person.name)
    if not rare and (inp.mailing or inp.channel in MAILED_CHANNELS) and not person.mailing_address.strip():
        # R-APP-6's own case (rare characters) is reported by validate_person.
        problems.append(
            Problem(
                "mailing_address",
                "R-APP-1",
                "邮寄领卡须有邮寄地址",
                "请填写完整的邮寄地址（省市县乡村及门牌号）。",
                "邮寄地址",
            )
        )
    return _dedupe(problems), rare


def normalised_input(ctx: ServiceContext, inp: ApplicationInput) -> ApplicationInput:
    """The input with dates, phone, codes and bank in standard form (2020.1.1, 农行 …), so what is
    stored and sent is standard whichever entry point it came from; what is not understood stays
    as typed and `validate_person` reports it with the closest choices."""
    from offline.validation.normalise import normalise_person
    from offline.validation.photo_fix import fix_photo

    person = dataclasses.replace(inp.person, bank=inp.bank or inp.person.bank)
    person, _ = normalise_person(person, banks=ctx.profile.banks)
    adjusted = inp.photo_adjusted
    if person.photo:  # R-APP-2: a photo that can be fixed is fixed (recorded as 自动调整)
        fixed = fix_photo(person.photo)
        if fixed.adjusted and fixed.data is not None:
            person, adjusted = dataclasses.replace(person, photo=fixed.data), True
    return dataclasses.replace(inp, person=person, bank=person.bank, photo_adjusted=adjusted)


def apply_card(ctx: ServiceContext, inp: ApplicationInput) -> BusinessResult:
    """Accept a first application (item 1) and return its receipt (R-APP-8).

    Rules: R-ID-1..5, R-APP-1..8, R-APP-10, R-FRZ-1..3 (HB 6, 10-13, 34-36, 39-41; HN 9, 11).
    A remote application (R-APP-7) goes through the very same path and is accepted at once,
    never parked: the receipt is its proof that it was taken on the day.
    """
    # Normalising (and re-encoding a photo, ~0.1 s for 12 MP) needs no store: done before the
    # write lock is taken, so other terminals do not wait for it, and after the permission check
    # (R-SEC-2 first; `begin_business` checks again in the transaction).
    require(ctx.operator, "apply")
    inp = normalised_input(ctx, inp)
    with begin_business(ctx, "apply") as biz:
        # Check: the form, the station's freeze, then the person already on file.
        today = ctx.now().date()
        frozen = freeze_state(ctx.store, ctx.profile, now=ctx.now(), disk_path=ctx.store.path.parent)
        check_not_frozen(frozen, inp.override_by)
        problems, rare = application_problems(ctx, inp, today)
        if problems:
            raise ValidationError(problems)
        person = inp.person
        ssn = ssn_of(person)
        existing = find_person_by_ssn(ctx.store, ssn)
        if existing is not None and (problems := _known_person_problems(ctx, inp, existing)):
            raise ValidationError(problems)

        # R-APP-6: the provincial centre makes a rare-character card; nothing can be made on site.
        route = "provincial" if rare else "local"
        mode = "fast" if rare and inp.mode == "instant" else inp.mode
        mailing = inp.mailing or rare or inp.channel in MAILED_CHANNELS
        deadline = production_deadline(ctx, mode)
        guess = estimated(ctx.store, today, date.fromisoformat(deadline))
        cartoon = person.photo is None and age_years(birth_and_sex(person)[0], today) < int(
            ctx.profile.cartoon_age
        )

        # Write: the person, the application, the supervisor's override.
        person_id = upsert_person(biz.conn, dataclasses.replace(person, bank=inp.bank), at=biz.at, rare=rare)
        if existing is not None and existing.status != "active":
            biz.conn.execute("UPDATE persons SET status = 'active' WHERE id = ?", (person_id,))
        insert_application(
            biz.conn,
            person_id=person_id,
            business_id=biz.business_id,
            kind="first",
            channel=inp.channel,
            mode=mode,
            bank=inp.bank,
            at=biz.at,
            route=route,
            deadline=deadline,
            mailing=mailing,
            unit_name=inp.unit_name,
        )
        if frozen.frozen and inp.override_by is not None:
            biz.audit("freeze.override", details=override_details(frozen, inp.override_by))

        details: dict[str, Any] = {
            "kind": "first",
            "ssn": ssn,
            "name": person.name,
            "channel": inp.channel,
            "mode": mode,
            "mode_requested": inp.mode,
            "bank": inp.bank,
            "route": route,
            "deadline": deadline,
            "mailing": mailing,
            "mailing_address": person.mailing_address if mailing else "",
            "unit_name": inp.unit_name,
            "cartoon": cartoon,
            "photo_adjusted": inp.photo_adjusted,  # 自动调整 (R-APP-2): cropped/re-encoded here
            "batch_ref": inp.batch_ref,
            "remote_accepted_on": today.isoformat() if inp.channel == "remote" else "",
            "person": person_payload(person),
            "freeze_override_by": inp.override_by.username if frozen.frozen and inp.override_by else "",
            "signed": inp.signed,  # a pad's image adds signature_image (business_builder)
            "doc_images": len([s for s in inp.doc_scans if s]),
        }
        if guess:  # counted without that year's holiday arrangement: 预计 on screen and paper
            details["deadline_estimated"] = True
            details["warnings"] = [f"制卡期限 {deadline}：{ESTIMATED_NOTE}"]
        summary = (
            f"{CHANNELS[inp.channel]}：{person.name}，{MODES[mode]}，{inp.bank}，"
            f"{deadline}{'（预计）' if guess else ''}前制卡"
        )
        if inp.photo_adjusted:
            summary += "，照片已自动调整"
        return biz.commit(
            summary=summary,
            details=details,
            person_id=person_id,
            fee_fen=0,
            blobs=document_blobs(person.photo, inp.doc_scans),
        )


def _known_person_problems(
    ctx: ServiceContext, inp: ApplicationInput, existing: PersonRecord
) -> list[Problem]:
    """Why a person already on file cannot apply for a first card: R-APP-3, R-CAN-1/2, R-REP-1."""
    problems = one_card_problems(ctx.store, existing.id)
    cards = person_cards(ctx.store, existing.id)
    if (
        ctx.profile.new_card_needs_old_account_closed  # HB 33
        and not inp.old_account_closed
        and any(c.status == "cancelled" for c in cards)
    ):
        problems.append(
            Problem(
                "old_account_closed",
                "R-CAN-2",
                "此人的原社会保障卡已注销，未确认其金融账户已销户，不能申办新卡（HB 33）",
                "请持卡人先到合作银行办理原卡金融账户销户，凭销户回执再来申领，并勾选“原卡金融账户已销户”。",
                "原卡金融账户已销户",
            )
        )
    if existing.status == "deceased":
        problems.append(
            Problem(
                "ssn",
                "R-CAN-1",
                "此人已登记死亡并注销社会保障卡，不能申领",
                "如登记有误，请联系县级经办机构核实。",
                "社会保障号码",
            )
        )
    if any(c.status == "lost" for c in cards):
        problems.append(
            Problem(
                "ssn",
                "R-REP-1",
                "此人的卡已正式挂失，应办理补领而不是首次申领",
                "请在“补领/换领”中办理补领。",
                "社会保障号码",
            )
        )
    return problems


def document_blobs(photo: bytes | None, scans: tuple[bytes, ...]) -> tuple[Blob, ...]:
    """Photo and document scans as their own envelopes (R-APP-1/2)."""
    blobs: list[Blob] = []
    if photo:
        blobs.append(Blob("photo", photo))
    names = ("doc_front", "doc_back")
    for i, scan in enumerate(scans):
        blobs.append(Blob(names[i] if i < len(names) else "document", scan))
    return tuple(blobs)


def person_payload(person: PersonInput) -> dict[str, Any]:
    """The person's data for the card management system (R-APP-1; the photo travels as a blob)."""
    data: dict[str, Any] = {}
    for f in dataclasses.fields(person):
        value = getattr(person, f.name)
        if f.name == "photo":
            continue
        if f.name in ("guardian", "agent"):
            data[f.name] = None if value is None else dataclasses.asdict(value)
        elif isinstance(value, date):
            data[f.name] = value.isoformat()
        else:
            data[f.name] = value
    return data
