"""Citizen numbers (GB 11643) = social security numbers: check digit, birth date, sex (R-ID-3).

The social security number is the 18-digit citizen number (card-spec.md, "Numbers"): region
(6) + birth date (8) + sequence (3, odd for men) + check digit. HK/Macau/Taiwan residence permits
carry the same structure with region 810000 / 820000 / 830000. Checking it at the keyboard
catches the most common typing error (one wrong or swapped digit) before a business is queued.
"""

from __future__ import annotations

from datetime import date

from offline.errors import Problem
from offline.validation import messages as m

#: GB 11643 weights of the first 17 digits; the check digit is "10X98765432"[S mod 11].
SSN_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

#: GB/T 2260 province-level codes of the mainland (first two digits of a resident ID number).
MAINLAND_PROVINCES: frozenset[str] = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
    ]
)
#: Region codes of residence permits (R-ID-3): HK, Macau, Taiwan.
PERMIT_REGIONS: dict[str, str] = {"810000": "HKG", "820000": "MAC", "830000": "TWN"}

RULE = "R-ID-3"


def normalize_ssn(value: str) -> str:
    """Trim and upper-case the check letter ('x' is typed as often as 'X')."""
    return value.strip().upper()


def ssn_check_digit(first17: str) -> str:
    """The GB 11643 check character of 17 digits: ssn_check_digit('11010519491231002') == 'X'."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("need exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, SSN_WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def ssn_birth_and_sex(ssn: str) -> tuple[date, str]:
    """(birth date, GB/T 2261.1 sex code) encoded in an 18-digit number; ValueError if malformed.

    The 17th digit is odd for men ('1') and even for women ('2').
    """
    s = normalize_ssn(ssn)
    if len(s) != 18 or not s[:17].isascii() or not s[:17].isdigit():
        raise ValueError("not an 18-digit citizen number")
    birth = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))  # raises ValueError itself
    return birth, "1" if int(s[16]) % 2 else "2"


def validate_ssn(value: str, *, field: str = "ssn", today: date | None = None) -> list[Problem]:
    """Problems of an 18-digit citizen / social security number (R-ID-3); [] when valid.

    Checks, in order, stopping at the first structural failure: length, characters, region,
    birth date (real and not after `today`), check digit. Never raises on any input.
    """
    s = normalize_ssn(value)
    if not s:
        return [m.problem(field, RULE, m.REQUIRED, m.FIX_FILL)]
    if len(s) < 18:
        return [m.problem(field, RULE, m.SSN_TOO_SHORT.format(n=len(s), missing=18 - len(s)), m.FIX_SSN)]
    if len(s) > 18:
        return [m.problem(field, RULE, m.SSN_TOO_LONG.format(n=len(s), extra=len(s) - 18), m.FIX_SSN)]
    head, last = s[:17], s[17]
    if not (head.isascii() and head.isdigit()) or last not in "0123456789X":
        return [m.problem(field, RULE, m.SSN_CHARS, m.FIX_SSN)]
    region = s[:6]
    if region[:2] not in MAINLAND_PROVINCES and region not in PERMIT_REGIONS:
        return [m.problem(field, RULE, m.SSN_REGION.format(region=region), m.FIX_SSN)]
    try:
        birth, _sex = ssn_birth_and_sex(s)
    except ValueError:
        return [m.problem(field, RULE, m.SSN_BIRTH.format(value=s[6:14]), m.FIX_SSN)]
    problems: list[Problem] = []
    if birth.year < 1880 or (today is not None and birth > today):
        problems.append(m.problem(field, RULE, m.SSN_FUTURE.format(date=birth.isoformat()), m.FIX_SSN))
    expected = ssn_check_digit(head)
    if expected != last:
        problems.append(m.problem(field, RULE, m.SSN_CHECK.format(expected=expected, actual=last), m.FIX_SSN))
    return problems


def is_valid_ssn(value: str) -> bool:
    """True when `validate_ssn` finds nothing (for quick filters, e.g. search boxes)."""
    return not validate_ssn(value)


def id_number_problems(
    value: str, *, field: str, doc_type: str = "", today: date | None = None
) -> list[Problem]:
    """R-ID-3 on any typed ID number (agent, heir, collector, guardian, reporter); [] when fine.

    With a document type, a citizen-number document must pass GB 11643 and other documents are
    left to their own pattern check. Without one (forms that ask only for "证件号码"), a value
    that looks like a citizen number (15 or more digits) must pass GB 11643: a wrong check digit
    must not reach the receipt. Passport-style numbers with letters are not judged here.
    """
    from offline import codes

    s = normalize_ssn(value)
    if not s:
        return []
    if doc_type:
        return validate_ssn(s, field=field, today=today) if doc_type in codes.CITIZEN_NUMBER_DOCS else []
    if len(s) >= 15 and s[:-1].isascii() and s[:-1].isdigit():
        return validate_ssn(s, field=field, today=today)
    return []
