"""Identity documents: which are accepted, their numbers, validity and nationality (R-ID-1..3).

HB 5 / HN 3 list the valid documents; military and armed-police documents are named so they can
be refused with HB 5 rather than treated as a typo. Each document type has its own number format:
the five that carry a GB 11643 citizen number are checked digit by digit (R-ID-3); permits and
passports by their published patterns; foreigners' numbers only by length and charset (the
structure of 人社部令第16号 numbers is not published, card-spec.md).
"""

from __future__ import annotations

import re
from datetime import date

from offline import codes
from offline.errors import Problem
from offline.validation import messages as m
from offline.validation.dates import parse_date
from offline.validation.ids import PERMIT_REGIONS, normalize_ssn, validate_ssn

#: Number patterns of the documents that do not carry a citizen number, with a Chinese description.
NUMBER_PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    codes.DOC_HKMO_TRAVEL_PERMIT: (re.compile(r"^[HM]\d{8}(\d{2})?$"), "H 或 M 加 8 位或 10 位数字"),
    codes.DOC_TW_TRAVEL_PERMIT: (re.compile(r"^\d{8}(\d{2})?$"), "8 位或 10 位数字"),
    codes.DOC_FOREIGN_PASSPORT: (re.compile(r"^[A-Z0-9]{5,17}$"), "5-17 位字母或数字"),
    codes.DOC_CN_PASSPORT: (
        re.compile(r"^[EGPSD][A-Z0-9]?\d{7,8}$"),
        "E 或 G 开头加 8 位数字（如 E12345678）",
    ),
    codes.DOC_FOREIGN_PERMANENT_RESIDENCE: (
        re.compile(r"^([A-Z]{3}\d{12}|9\d{16}[\dX])$"),
        "3 位字母加 12 位数字，或 9 开头的 18 位号码",
    ),
}

#: Which nationality each document implies (None = any foreign nationality).
_NATIONALITY_OF: dict[str, frozenset[str] | None] = {
    codes.DOC_RESIDENT_ID: frozenset({"CHN"}),
    codes.DOC_TEMP_RESIDENT_ID: frozenset({"CHN"}),
    codes.DOC_HOUSEHOLD_REGISTER: frozenset({"CHN"}),
    codes.DOC_HKMO_TRAVEL_PERMIT: codes.HKMO_NATIONALITIES,
    codes.DOC_HKMO_RESIDENCE_PERMIT: codes.HKMO_NATIONALITIES,
    codes.DOC_TW_TRAVEL_PERMIT: codes.TW_NATIONALITIES,
    codes.DOC_TW_RESIDENCE_PERMIT: codes.TW_NATIONALITIES,
    codes.DOC_FOREIGN_PASSPORT: None,
    codes.DOC_FOREIGN_PERMANENT_RESIDENCE: None,
    codes.DOC_CN_PASSPORT: frozenset({"CHN"}),  # a 华侨 is a Chinese citizen living abroad
}
_CHINESE = frozenset({"CHN", "HKG", "MAC", "TWN"})
#: Documents that may say 长期 (no end date): the resident ID card of persons over 46; the household
#: register has no validity at all.
OPEN_ENDED_DOCS = frozenset({codes.DOC_RESIDENT_ID, codes.DOC_HOUSEHOLD_REGISTER})
#: Travel permit -> the residence permit that must be used instead when the holder has both (R-ID-2).
RESIDENCE_PERMIT_FOR: dict[str, str] = {
    codes.DOC_HKMO_TRAVEL_PERMIT: codes.DOC_HKMO_RESIDENCE_PERMIT,
    codes.DOC_TW_TRAVEL_PERMIT: codes.DOC_TW_RESIDENCE_PERMIT,
}


def doc_name(doc_type: str) -> str:
    return codes.DOC_TYPES.get(doc_type, doc_type)


def normalize_doc_number(doc_type: str, number: str) -> str:
    """Trim, upper-case, drop inner spaces and the brackets some permits print."""
    s = re.sub(r"[\s()（）]", "", number).upper()
    return normalize_ssn(s) if doc_type in codes.CITIZEN_NUMBER_DOCS else s


def doc_type_problems(doc_type: str, *, field: str = "doc_type") -> list[Problem]:
    """R-ID-1: the document type is one of HB 5's; military documents are refused naming HB 5."""
    if not doc_type:
        return [m.problem(field, "R-ID-1", m.REQUIRED, m.FIX_PICK)]
    if doc_type in codes.REJECTED_DOC_TYPES:
        return [m.problem(field, "R-ID-1", m.DOC_MILITARY.format(doc=doc_name(doc_type)), m.FIX_MILITARY)]
    if doc_type not in codes.VALID_DOC_TYPES:
        return [m.problem(field, "R-ID-1", m.UNKNOWN_CODE.format(code=doc_type), m.FIX_PICK)]
    return []


def doc_number_problems(
    doc_type: str, number: str, *, field: str = "doc_number", today: date
) -> list[Problem]:
    """The number fits its document type (R-ID-3 for citizen numbers, R-ID-1 otherwise)."""
    s = normalize_doc_number(doc_type, number)
    if doc_type in codes.CITIZEN_NUMBER_DOCS:
        problems = validate_ssn(s, field=field, today=today)
        if problems:
            return problems
        region = s[:6]
        if doc_type in (codes.DOC_HKMO_RESIDENCE_PERMIT, codes.DOC_TW_RESIDENCE_PERMIT):
            expected = [r for r, nat in PERMIT_REGIONS.items() if _permit_accepts(doc_type, nat)]
            if region not in expected:
                msg = m.SSN_PERMIT_REGION.format(doc=doc_name(doc_type), expected=" 或 ".join(expected))
                return [m.problem(field, "R-ID-3", msg, m.FIX_SSN)]
        elif region in PERMIT_REGIONS:
            permit = codes.DOC_TW_RESIDENCE_PERMIT if region == "830000" else codes.DOC_HKMO_RESIDENCE_PERMIT
            return [m.problem(field, "R-ID-3", m.SSN_NOT_PERMIT.format(doc=doc_name(permit)), m.FIX_PICK)]
        return []
    if not s:
        return [m.problem(field, "R-ID-1", m.REQUIRED, m.FIX_FILL)]
    pattern = NUMBER_PATTERNS.get(doc_type)
    if pattern is not None and not pattern[0].match(s):
        msg = m.DOC_NUMBER_FORMAT.format(value=s, doc=doc_name(doc_type), pattern=pattern[1])
        return [m.problem(field, "R-ID-1", msg, m.FIX_DOC_NUMBER)]
    return []


def _permit_accepts(doc_type: str, nationality: str) -> bool:
    allowed = _NATIONALITY_OF.get(doc_type)
    return allowed is not None and nationality in allowed


def validity_problems(doc_type: str, valid_from: str, valid_to: str, *, today: date) -> list[Problem]:
    """R-ID-1: an original *valid* document (HB 5): started, not expired, dates in order."""
    if doc_type == codes.DOC_HOUSEHOLD_REGISTER:
        return []  # a household register has no validity period
    problems: list[Problem] = []
    start = parse_date(valid_from) if valid_from.strip() else None
    if not valid_from.strip():
        problems.append(m.problem("doc_valid_from", "R-ID-1", m.REQUIRED, m.FIX_CHECK_DATES))
    elif start is None:
        problems.append(
            m.problem("doc_valid_from", "R-ID-1", m.BAD_DATE.format(value=valid_from), m.FIX_DATE)
        )
    elif start > today:
        msg = m.DOC_NOT_YET_VALID.format(date=start.isoformat())
        problems.append(m.problem("doc_valid_from", "R-ID-1", msg, m.FIX_CHECK_DATES))
    if not valid_to.strip():
        if doc_type not in OPEN_ENDED_DOCS:
            msg = m.DOC_TO_REQUIRED.format(doc=doc_name(doc_type))
            problems.append(m.problem("doc_valid_to", "R-ID-1", msg, m.FIX_CHECK_DATES))
        return problems
    end = parse_date(valid_to)
    if end is None:
        problems.append(m.problem("doc_valid_to", "R-ID-1", m.BAD_DATE.format(value=valid_to), m.FIX_DATE))
    elif end < today:
        problems.append(
            m.problem("doc_valid_to", "R-ID-1", m.DOC_EXPIRED.format(date=end.isoformat()), m.FIX_EXPIRED)
        )
    elif start is not None and start > end:
        problems.append(m.problem("doc_valid_to", "R-ID-1", m.DOC_FROM_AFTER_TO, m.FIX_CHECK_DATES))
    return problems


def nationality_problems(doc_type: str, nationality: str) -> list[Problem]:
    """R-ID-1: the document fits the holder's nationality/region (a 港澳 permit is not for CHN)."""
    if doc_type not in _NATIONALITY_OF or nationality not in codes.NATIONALITY:
        return []
    allowed = _NATIONALITY_OF[doc_type]
    if allowed is None:
        ok = nationality not in _CHINESE
        expected = "外国"
    else:
        ok = nationality in allowed
        expected = "、".join(codes.NATIONALITY[c] for c in sorted(allowed))
    if ok:
        return []
    actual = codes.NATIONALITY.get(nationality, nationality)
    msg = m.DOC_NATIONALITY.format(doc=doc_name(doc_type), expected=expected, actual=actual)
    return [m.problem("nationality", "R-ID-1", msg, m.FIX_NATIONALITY)]


def residence_permit_problems(doc_type: str, also_holds_residence_permit: bool) -> list[Problem]:
    """R-ID-2 (HB 5(2)(3)): a holder of both the travel permit and the residence permit uses the latter."""
    permit = RESIDENCE_PERMIT_FOR.get(doc_type)
    if permit is None or not also_holds_residence_permit:
        return []
    names = {"permit": doc_name(permit), "travel": doc_name(doc_type)}
    return [
        m.problem(
            "doc_type",
            "R-ID-2",
            m.DOC_USE_RESIDENCE_PERMIT.format(**names),
            m.FIX_USE_RESIDENCE_PERMIT.format(**names),
        )
    ]


def holder_document_problems(
    shown: str,
    *registered: str,
    rule: str = "R-ID-1",
    field: str = "doc_number",
    label: str = "证件号码",
) -> list[Problem]:
    """R-ID-1 at the window: the holder shows an original valid document of their own.

    The number typed from the document shown must be one the station holds for the holder
    (document number or SSN; after a key change also the new SSN). The one copy of this check:
    every card business calls it, with its own rule id where its article restates R-ID-1
    (R-PIN-4, R-ISS-3, R-TMP-2 ...).
    """
    number = shown.strip().upper()
    if not number:
        return [Problem(field, rule, m.HOLDER_DOC_MISSING, m.FIX_HOLDER_DOC, label)]
    if number not in {n.strip().upper() for n in registered if n}:
        return [Problem(field, rule, m.HOLDER_DOC_MISMATCH, m.FIX_HOLDER_DOC, label)]
    return []
