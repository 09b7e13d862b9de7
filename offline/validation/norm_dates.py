"""Dates as people write them -> ISO 'YYYY-MM-DD'; '长期' for an open end (R-ID-1 validity).

Accepted: 2020-01-01, 2020-1-1, 20200101, 2020.01.01 (as printed on the ID card), 2020/1/1 (Excel's
default display in China), 2020年1月1日, full-width digits, a trailing time "00:00:00" (what
a spreadsheet export adds to a date cell), and a five-digit Excel serial number (43831 =
2020-01-01) from a cell that lost its date format. Refused, with the expected form named:
two-digit years, day-first orders (1/2/2020 is 1 February or 2 January?), impossible dates.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from offline.validation import messages as m
from offline.validation.norm_text import Normalised, fold_width

OPEN_END_WORDS = frozenset({"长期", "长期有效", "永久", "永久有效", "无限期", "长久"})
_YMD = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_SERIAL = re.compile(r"^\d{5}(\.0+)?$")
#: Excel's day 0 (its 1900 leap-year bug makes serials from 61 on count from 1899-12-30).
EXCEL_EPOCH = date(1899, 12, 30)


def excel_serial_date(serial: float) -> date | None:
    """An Excel serial day number (1900 date system) -> date; None outside 1900-9999."""
    if not 61 <= serial < 2958466:
        return None
    return EXCEL_EPOCH + timedelta(days=int(serial))


def normalise_date(value: str, *, open_end: bool = False) -> Normalised:
    """One date; with `open_end`, '长期' (and its variants) -> '' (no end date, as stored)."""
    s = fold_width(value).strip()
    if not s:
        return Normalised("")
    if s in OPEN_END_WORDS:
        if open_end:
            return Normalised("", "长期")
        return Normalised(value, problem=m.DATE_NO_OPEN_END.format(value=s), fix=m.FIX_DATE_FORMS)
    s = _TIME.sub("", s).strip()
    parts = _YMD.match(s) or _COMPACT.match(s)
    if parts is not None:
        try:
            d = date(int(parts.group(1)), int(parts.group(2)), int(parts.group(3)))
        except ValueError:
            return Normalised(value, problem=m.DATE_IMPOSSIBLE.format(value=s), fix=m.FIX_DATE_FORMS)
        iso = d.isoformat()
        return Normalised(iso, iso if iso != value else "")
    if _SERIAL.match(s):
        d2 = excel_serial_date(float(s))
        if d2 is not None:
            return Normalised(d2.isoformat(), d2.isoformat())
    return Normalised(value, problem=m.BAD_DATE.format(value=s), fix=m.FIX_DATE_FORMS)
