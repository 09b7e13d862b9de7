"""Phone numbers as people write them -> the form `contact` validates (R-APP-1).

Mobile: 138-1234-5678, 138 1234 5678, +86 138…, 0086…, (+86)138… -> 13812345678.
Landline: (027)87654321, 027 8765 4321, 0731-8888 8888 -> 027-87654321 (area code, hyphen,
number; an extension after 转/-/ext is kept as -NNN). Beijing/Tianjin/Shanghai/Chongqing and
the 02x cities have 3-digit area codes (010, 02x), every other city 4 (0xxx).
International (+852 …): '+' and the digits. A number without its area code is refused naming
what to add, because the station cannot guess the city.
"""

from __future__ import annotations

import re

from offline.validation import messages as m
from offline.validation.norm_text import Normalised, fold_width

_NOISE = re.compile(r"[\s\-()（）.·—_/]")
_EXT = re.compile(r"(转|分机|ext\.?|EXT\.?|x)\s*(\d{1,6})$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LOCAL = re.compile(r"^[2-9]\d{6,7}$")


def normalise_phone(value: str) -> Normalised:
    s = fold_width(value).strip()
    if not s:
        return Normalised("")
    ext = ""
    found = _EXT.search(s)
    if found is not None:
        ext, s = found.group(2), s[: found.start()]
    digits = _NOISE.sub("", s)
    plus = digits.startswith("+")
    digits = digits.lstrip("+")
    if digits.startswith("0086"):
        digits, plus = digits[4:], True
    elif plus and digits.startswith("86"):
        digits = digits[2:]
    elif digits.startswith("86") and _MOBILE.match(digits[2:]):
        digits, plus = digits[2:], True
    elif plus:
        if digits.isdigit() and 6 <= len(digits) <= 15:
            out = "+" + digits
            return Normalised(out, out if out != value else "")
        return _bad(value)
    if not digits.isdigit():
        return _bad(value)
    if _MOBILE.match(digits):
        return _ok(digits, value)
    if digits.startswith("0"):
        digits = digits  # a mainland landline, possibly with 0 after +86 removed
    elif plus:
        digits = "0" + digits  # +86 27 8765 4321: the trunk 0 is dropped abroad
    if digits.startswith("0"):
        area_len = 3 if digits[1] in "12" else 4
        area, local = digits[:area_len], digits[area_len:]
        if _LOCAL.match(local):
            out = f"{area}-{local}" + (f"-{ext}" if ext else "")
            return _ok(out, value)
    if _LOCAL.match(digits):
        return Normalised(value, problem=m.PHONE_NO_AREA.format(value=value.strip()), fix=m.FIX_PHONE)
    if digits.startswith("1") and len(digits) != 11:
        msg = m.PHONE_MOBILE_LENGTH.format(value=value.strip(), n=len(digits))
        return Normalised(value, problem=msg, fix=m.FIX_PHONE)
    return _bad(value)


def _ok(out: str, value: str) -> Normalised:
    return Normalised(out, out if out != value else "")


def _bad(value: str) -> Normalised:
    return Normalised(value, problem=m.PHONE_FORMAT.format(value=value.strip()), fix=m.FIX_PHONE)
