"""Phone numbers and addresses (R-APP-1): the station must be able to reach the applicant.

The phone is how the station contacts the applicant within the province's working days after the
card arrives (R-ISS-2), so it has to be a number that can be dialled: a mainland mobile number
(11 digits, 1[3-9]...) or a landline with its area code; persons from HK/Macau/Taiwan or abroad may
give an international number (+ and 6-15 digits).
"""

from __future__ import annotations

import re

from offline.errors import Problem
from offline.validation import messages as m

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}(-\d{1,6})?$")
_INTERNATIONAL = re.compile(r"^\+\d{6,15}$")
ADDRESS_MIN_CHARS = 6
#: A shorter address is still enough when it names the village group or the house, the way
#: addresses are written inside a village (张家村3组): the station knows its own township.
ADDRESS_SHORT_MIN_CHARS = 4
ADDRESS_PLACE_MARKS = ("村", "组", "社区", "号", "街", "路", "巷", "栋", "室")
ADDRESS_MAX_CHARS = 100


def normalize_phone(phone: str) -> str:
    """Drop spaces and full-width digits/hyphens the input methods produce; keep the landline hyphen."""
    table = str.maketrans("０１２３４５６７８９－＋", "0123456789-+")
    s = phone.translate(table).replace(" ", "").replace("\u3000", "")
    if s.startswith("+86") and _MOBILE.match(s[3:]):
        return s[3:]
    return s


def is_valid_phone(phone: str, *, international: bool = False) -> bool:
    s = normalize_phone(phone)
    if _MOBILE.match(s) or _LANDLINE.match(s):
        return True
    return international and bool(_INTERNATIONAL.match(s))


def phone_problems(
    phone: str, *, required: bool, international: bool = False, field: str = "phone"
) -> list[Problem]:
    if not phone.strip():
        return [m.problem(field, "R-APP-1", m.REQUIRED, m.FIX_PHONE)] if required else []
    if not is_valid_phone(phone, international=international):
        return [m.problem(field, "R-APP-1", m.PHONE_FORMAT.format(value=phone.strip()), m.FIX_PHONE)]
    return []


def address_problems(address: str, *, field: str, required: bool) -> list[Problem]:
    text = address.strip()
    if not text:
        return [m.problem(field, "R-APP-1", m.REQUIRED, m.FIX_ADDRESS)] if required else []
    if any(ord(c) < 32 for c in text):
        return [m.problem(field, "R-APP-1", m.CONTROL_CHARS, m.FIX_RETYPE)]
    short_ok = len(text) >= ADDRESS_SHORT_MIN_CHARS and any(mark in text for mark in ADDRESS_PLACE_MARKS)
    if len(text) < ADDRESS_MIN_CHARS and not short_ok:
        return [m.problem(field, "R-APP-1", m.ADDRESS_SHORT, m.FIX_ADDRESS)]
    if len(text) > ADDRESS_MAX_CHARS:
        return [m.problem(field, "R-APP-1", m.TOO_LONG.format(max=ADDRESS_MAX_CHARS), m.FIX_ADDRESS)]
    return []
