"""The applicant block shared by the application and key-information forms (R-APP-1).

Field keys are the attribute names of `offline.validation.PersonInput`, so a validator's
`Problem.field` lands under the right field; guardian/agent fields are prefixed
('guardian_name' for PersonInput.guardian.name). The guardian block is shown only for a minor
under 16 or a person without full legal capacity (R-ID-5), the agent block only for proxy
channels (R-ID-4).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from offline import codes
from offline.errors import Problem
from tui.screens.forms.fields import Data, Field, flag

GUARDIAN_AGE = 16  # R-ID-5 (HB 7, HN 3): under 16 acts through a guardian
PROXY_CHANNELS = ("proxy_person", "proxy_unit")
PERMIT_DOCS = ("hkmo_travel_permit", "tw_travel_permit")


def birth_of(data: Data) -> date | None:
    """Birth date typed, else derived from an 18-digit mainland number (R-ID-3)."""
    typed = data.get("birth_date", "")
    try:
        if typed:
            return date.fromisoformat(typed)
    except ValueError:
        return None
    number = data.get("doc_number", "").strip()
    if len(number) == 18 and number[6:14].isdigit():
        try:
            return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            return None
    return None


def needs_guardian(data: Data, today: date | None = None) -> bool:
    """R-ID-5: a minor under 16, or a person without full legal capacity."""
    if flag(data, "no_full_capacity"):
        return True
    birth = birth_of(data)
    if birth is None:
        return False
    today = today or date.today()
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return age < GUARDIAN_AGE


def needs_agent(data: Data) -> bool:
    return data.get("channel", "") in PROXY_CHANNELS


def needs_unit_letter(data: Data) -> bool:
    """R-ID-4 (HB 7): a unit acting as agent brings its letter (单位介绍信/委托书)."""
    return needs_agent(data) and (
        data.get("channel", "") == "proxy_unit" or data.get("agent_relation", "") == "unit"
    )


def has_validity(data: Data) -> bool:
    """R-ID-1: a 户口簿 has no validity period, so its dates are neither shown nor asked for."""
    return data.get("doc_type", "") != "household_register"


PERSON_FIELDS: tuple[Field, ...] = (
    Field("name", "姓名", required=True, section="申请人（持卡人）信息", max_length=30),
    Field("doc_type", "证件类型", "select", codes.DOC_TYPES, required=True, default="resident_id"),
    Field("doc_number", "证件号码", required=True, max_length=30),
    Field(
        "also_holds_residence_permit",
        "另持居住证",
        "flag",
        show_if=lambda d: d.get("doc_type", "") in PERMIT_DOCS,
    ),
    Field("sex", "性别", "select", codes.SEX, placeholder="空=按证件号码"),
    Field("birth_date", "出生日期", "date", placeholder="空=按证件号码"),
    Field("ethnicity", "民族", "select", codes.ETHNICITY, required=True, default="01"),
    Field("nationality", "国籍/地区", "select", codes.NATIONALITY, required=True, default="CHN"),
    Field("occupation", "职业", "select", codes.OCCUPATIONS, required=True),
    Field("doc_valid_from", "有效期起", "date", required=True, show_if=has_validity),
    Field("doc_valid_to", "有效期止", "date", placeholder="空=长期", show_if=has_validity),
    Field("household_address", "户口所在地", required=True),
    Field("residence_address", "常住地址", required=True),
    Field("phone", "联系电话", required=True, max_length=20, restrict=r"[0-9-]*"),
    Field("photo_path", "照片文件", placeholder="JPEG 路径（7岁以下可空）"),
    Field("no_full_capacity", "无完全行为能力", "flag"),
)

GUARDIAN_FIELDS: tuple[Field, ...] = (
    Field("guardian_name", "监护人姓名", required=True, section="监护人信息", show_if=needs_guardian),
    Field(
        "guardian_doc_type",
        "监护人证件",
        "select",
        codes.DOC_TYPES,
        required=True,
        show_if=needs_guardian,
        default="resident_id",
    ),
    Field("guardian_doc_number", "监护人证号", required=True, show_if=needs_guardian),
    Field("guardian_relation", "监护关系", "select", codes.RELATIONS, required=True, show_if=needs_guardian),
    Field(
        "guardian_proof",
        "监护证明",
        "select",
        codes.GUARDIAN_PROOFS,
        required=True,
        show_if=needs_guardian,
        default="household_register",
    ),
)

AGENT_FIELDS: tuple[Field, ...] = (
    Field("agent_name", "代办人姓名", required=True, section="代办人信息", show_if=needs_agent),
    Field(
        "agent_doc_type",
        "代办人证件",
        "select",
        codes.DOC_TYPES,
        required=True,
        show_if=needs_agent,
        default="resident_id",
    ),
    Field("agent_doc_number", "代办人证号", required=True, show_if=needs_agent),
    Field("agent_relation", "代办关系", "select", codes.RELATIONS, show_if=needs_agent),
    Field(
        "agent_proof",
        "单位介绍信",
        required=True,
        show_if=needs_unit_letter,
        placeholder="介绍信/委托书编号或名称",
    ),
)


def read_photo(data: Data) -> bytes | None:
    """The photo named in 'photo_path' (read in the submit worker, never on the event loop).

    The operator picked the path, so it may be anywhere, but it must be a regular file within
    the cap, opened without blocking (`offline.files`); a refusal is a `FileRefused` whose
    Chinese message the form shows as "未办理：…".
    """
    from offline.files import PHOTO_CAP, read_capped

    path = data.get("photo_path", "").strip()
    return read_capped(path, cap=PHOTO_CAP, what="照片") if path else None


def read_doc_images(data: Data) -> tuple[bytes, ...]:
    """The two sides of the ID document (HB 11), read in the submit worker; missing ones skipped.

    Read like the photo (`offline.files`): a regular file under the cap, opened without blocking;
    a refusal is a `FileRefused` with a Chinese message."""
    from offline.files import SCAN_CAP, read_capped

    out = []
    for key in ("doc_front_path", "doc_back_path"):
        path = data.get(key, "").strip()
        if path:
            out.append(read_capped(path, cap=SCAN_CAP, what="证件照片"))
    return tuple(out)


def photo_problem(data: Data) -> list[Problem]:
    """The photo path checked by `stat` only (cheap, never blocks): missing, not a file, too big."""
    from offline.files import PHOTO_CAP, path_problem

    path = data.get("photo_path", "").strip()
    message = path_problem(path, cap=PHOTO_CAP, what="照片") if path else ""
    if message:
        return [Problem("photo_path", "R-APP-2", message, "请核对照片文件的路径，或重新拍照。", "照片文件")]
    return []


def representative(data: Data, prefix: str, *, unit_name: str = "") -> Any:
    """A guardian (R-ID-5) or agent (R-ID-4) with the proof seen: 监护证明 or the unit letter."""
    from offline import codes
    from offline.validation import RepresentativeInput

    relation = data.get(f"{prefix}_relation", "")
    if prefix == "agent" and not relation and data.get("channel", "") == "proxy_unit":
        relation = "unit"  # a unit proxy acts as a unit; the operator need not say so twice
    proof = data.get(f"{prefix}_proof", "").strip()
    if prefix == "guardian":
        proof = codes.GUARDIAN_PROOFS.get(proof, proof)
    return RepresentativeInput(
        name=data.get(f"{prefix}_name", "").strip(),
        doc_type=data.get(f"{prefix}_doc_type", ""),
        doc_number=data.get(f"{prefix}_doc_number", "").strip().upper(),
        relation=relation,
        unit_name=unit_name,
        proof=proof,
    )


def derived_sex(data: Data) -> str:
    """Sex encoded in an 18-digit mainland number (R-ID-3), '' when it cannot be read."""
    from offline.validation import ssn_birth_and_sex

    try:
        return ssn_birth_and_sex(data.get("doc_number", "").strip())[1]
    except ValueError:
        return ""


def person_input(data: Data, *, photo: bytes | None, bank: str = "") -> Any:
    """Build `offline.validation.PersonInput` from the form (guardian/agent when shown)."""
    from offline.validation import PersonInput

    return PersonInput(
        name=data.get("name", "").strip(),
        sex=data.get("sex", "") or derived_sex(data),
        ethnicity=data.get("ethnicity", ""),
        nationality=data.get("nationality", ""),
        birth_date=data.get("birth_date", ""),
        occupation=data.get("occupation", ""),
        doc_type=data.get("doc_type", ""),
        doc_number=data.get("doc_number", "").strip().upper(),
        doc_valid_from=data.get("doc_valid_from", "") if has_validity(data) else "",
        doc_valid_to=data.get("doc_valid_to", "") if has_validity(data) else "",
        household_address=data.get("household_address", "").strip(),
        residence_address=data.get("residence_address", "").strip(),
        phone=data.get("phone", "").strip(),
        mailing_address=data.get("mailing_address", "").strip(),
        bank=bank,
        photo=photo,
        guardian=representative(data, "guardian") if needs_guardian(data) else None,
        agent=representative(data, "agent", unit_name=data.get("unit_name", ""))
        if needs_agent(data)
        else None,
        also_holds_residence_permit=flag(data, "also_holds_residence_permit"),
        full_capacity=not flag(data, "no_full_capacity"),
    )


def field_key(problem_field: str) -> str:
    """'guardian.name' → 'guardian_name', 'photo' → 'photo_path' (validator keys → form keys)."""
    key = problem_field.replace(".", "_")
    return "photo_path" if key == "photo" else key
