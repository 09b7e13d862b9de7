"""Dates as the forms type them, and age in completed years.

Separate from the validators because age drives several rules at once: the household register
only below 16 (R-ID-1), a guardian below 16 (R-ID-5), the photo from 7 (R-APP-2).
"""

from __future__ import annotations

import re
from datetime import date

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(value: str) -> date | None:
    """'YYYY-MM-DD' (or the compact 'YYYYMMDD' a scanner produces) -> date; None if invalid."""
    text = value.strip()
    m = _ISO.match(text) or _COMPACT.match(text)
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def age_on(birth: date, today: date) -> int:
    """Completed years on `today`. A 29 February birthday counts from 1 March in common years."""
    before_birthday = (today.month, today.day) < (birth.month, birth.day)
    return today.year - birth.year - int(before_birthday)
