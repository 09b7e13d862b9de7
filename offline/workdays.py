"""Working days: production limits, contact deadlines and delivery windows are counted in them.

R-APP-5 (5 / 29 / 40 working days), R-ISS-2 (contact within 2-3 working days), R-ISS-7 (deliver
within 30) and R-TRF-2 (5) all count working days, which exclude weekends and the public holidays
of the year *and* include the make-up working days (调休) on weekends. China publishes each
year's arrangement only late in the previous year, so no code can know it in advance:

- the maintained `chinese_calendar` library ships the arrangement per year (2004-2026 in the
  installed release) and raises for years it does not know;
- the card management system can send a calendar update (downlink), and the county can type one;
  those land in the store's `calendar_days` table and override the library day by day;
- for a year known to neither, the station falls back to "Monday to Friday" so that it keeps
  working offline, but the result is *flagged*: `uncertain_years` and `gaps()` give
  `CalendarGap`s the UI shows ("2027 年节假日安排未更新…"), because a deadline computed over an
  unknown Spring Festival can be a week early.

A year counts as covered by overrides when they hold its 1 January: every State Council notice
starts with 元旦, so a published year always has it, while a single local correction does not.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING

from offline.errors import CardstationError

if TYPE_CHECKING:
    from offline.store import Store

#: Bound on day-by-day walks (a 10-year window is far beyond any limit in the regulations).
MAX_WALK_DAYS = 3700


@dataclass(frozen=True)
class CalendarGap:
    """A year whose holiday arrangement is unknown: working days there are weekday estimates."""

    year: int

    @property
    def message(self) -> str:
        return (
            f"{self.year} 年节假日安排未更新，工作日暂按周一至周五估算（未计法定节假日和调休），"
            "相关期限可能不准。请联网同步日历，或由县级管理员导入当年节假日安排。"
        )

    def __str__(self) -> str:
        return self.message


class CalendarUpdateError(CardstationError, ValueError):
    """A calendar update text that cannot be applied; names the line, in Chinese."""

    def __init__(self, line_no: int, message_zh: str) -> None:
        super().__init__(f"第 {line_no} 行：{message_zh}")
        self.line_no = line_no
        self.message_zh = message_zh


@cache
def library_years() -> frozenset[int]:
    """Years the installed `chinese_calendar` release knows (it ships data per year)."""
    import chinese_calendar

    days = list(chinese_calendar.holidays) + list(chinese_calendar.workdays)
    return frozenset(d.year for d in days)


class WorkCalendar:
    """Working-day arithmetic over library data, store overrides and a flagged weekday fallback."""

    def __init__(
        self, overrides: Mapping[date, bool] | None = None, *, complete_years: Iterable[int] = ()
    ) -> None:
        self._overrides: dict[date, bool] = dict(overrides or {})
        self._complete = frozenset(complete_years) | {
            d.year for d in self._overrides if (d.month, d.day) == (1, 1)
        }
        self._uncertain: set[int] = set()

    @classmethod
    def from_store(cls, store: Store) -> WorkCalendar:
        """The library plus the store's `calendar_days` overrides (downlink or county updates)."""
        rows = store.query("SELECT day, is_workday FROM calendar_days")
        overrides: dict[date, bool] = {}
        for row in rows:
            try:
                overrides[date.fromisoformat(str(row["day"]))] = bool(row["is_workday"])
            except ValueError:
                continue  # a malformed row must not stop the station; it simply does not override
        return cls(overrides)

    # ----------------------------------------------------------------- knowledge

    def covered(self, year: int) -> bool:
        """True if the library or the overrides know this year's holiday arrangement."""
        return year in library_years() or year in self._complete

    @property
    def uncertain_years(self) -> frozenset[int]:
        """Years for which an answer so far fell back to weekdays only."""
        return frozenset(self._uncertain)

    @property
    def warnings(self) -> list[CalendarGap]:
        """A CalendarGap per uncertain year used so far, oldest first (for the status line)."""
        return [CalendarGap(y) for y in sorted(self._uncertain)]

    def gaps(self, start: date, end: date) -> list[CalendarGap]:
        """The years in [start, end] (either order) that are not covered."""
        lo, hi = sorted((start.year, end.year))
        return [CalendarGap(y) for y in range(lo, hi + 1) if not self.covered(y)]

    # ----------------------------------------------------------------- arithmetic

    def is_workday(self, d: date) -> bool:
        """Override, else library, else Monday-Friday (and the year is flagged uncertain)."""
        found = self._overrides.get(d)
        if found is not None:
            return found
        if d.year in library_years():
            import chinese_calendar

            try:
                return bool(chinese_calendar.is_workday(d))
            except NotImplementedError:  # pragma: no cover - library_years() says it knows
                pass
        if d.year not in self._complete:
            self._uncertain.add(d.year)
        return d.weekday() < 5

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after `start` (before it when n < 0); `start` itself when n == 0."""
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        d = start
        for _ in range(MAX_WALK_DAYS * max(1, remaining)):
            if remaining == 0:
                return d
            d += timedelta(days=step)
            if self.is_workday(d):
                remaining -= 1
        raise ValueError("no working day found")  # pragma: no cover - only an all-holiday override

    def workdays_between(self, a: date, b: date) -> int:
        """Working days d with a < d <= b (negative when b < a): add_workdays(a, result) == b on workdays."""
        if b < a:
            return -self.workdays_between(b, a)
        if (b - a).days > MAX_WALK_DAYS * 10:
            raise ValueError("range too long")
        count = 0
        d = a
        while d < b:
            d += timedelta(days=1)
            count += self.is_workday(d)
        return count

    def next_workday(self, d: date) -> date:
        """`d` if it is a working day, else the next one (for "today or the next working day")."""
        return d if self.is_workday(d) else self.add_workdays(d, 1)


# ----------------------------------------------------------------- calendar updates

_RANGE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})(?:(?:\.\.|~|至)(\d{4}-\d{1,2}-\d{1,2}))?$")
_OFF = {"休", "假", "休息", "放假", "holiday", "off", "0"}
_ON = {"班", "上班", "工作日", "workday", "work", "1"}


def calendar_update_rows(text: str) -> list[tuple[date, bool, str]]:
    """Parse a calendar update: one day or range per line, then 休/班, then an optional name.

    Example (the State Council notice, typed or sent by the card management system)::

        # 2027 年部分节假日安排
        2027-01-01 休 元旦
        2027-02-06..2027-02-12 休 春节
        2027-02-14 班 春节调休

    '#' starts a comment; blank lines are skipped. Raises CalendarUpdateError naming the line.
    """
    rows: dict[date, tuple[bool, str]] = {}
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(maxsplit=2)
        if len(parts) < 2:
            raise CalendarUpdateError(line_no, "应为“日期 休/班 名称”")
        span = _RANGE.match(parts[0])
        if span is None:
            raise CalendarUpdateError(
                line_no, f"“{parts[0]}”不是日期或日期范围（例如 2027-02-06..2027-02-12）"
            )
        try:
            first = date.fromisoformat(_pad(span.group(1)))
            last = date.fromisoformat(_pad(span.group(2))) if span.group(2) else first
        except ValueError:
            raise CalendarUpdateError(line_no, f"“{parts[0]}”含无效日期") from None
        if last < first or (last - first).days > 31:
            raise CalendarUpdateError(line_no, "日期范围应从早到晚且不超过 31 天")
        kind = parts[1].lower()
        if kind in _OFF:
            workday = False
        elif kind in _ON:
            workday = True
        else:
            raise CalendarUpdateError(line_no, f"“{parts[1]}”应为“休”或“班”")
        name = parts[2].strip() if len(parts) > 2 else ""
        d = first
        while d <= last:
            rows[d] = (workday, name)
            d += timedelta(days=1)
    return [(d, w, n) for d, (w, n) in sorted(rows.items())]


def _pad(iso: str) -> str:
    y, mo, d = iso.split("-")
    return f"{y}-{int(mo):02d}-{int(d):02d}"


def write_overrides(conn: sqlite3.Connection, rows: Iterable[tuple[date, bool, str]], *, source: str) -> int:
    """Store parsed rows in `calendar_days` inside the caller's write transaction; returns the count.

    The downlink's calendar update and the county's import both end here, so the table has one writer.
    """
    count = 0
    for d, workday, name in rows:
        conn.execute(
            "INSERT INTO calendar_days(day, is_workday, name, source) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(day) DO UPDATE SET is_workday = excluded.is_workday, name = excluded.name, "
            "source = excluded.source",
            (d.isoformat(), int(workday), name, source),
        )
        count += 1
    return count


def estimated(store: Store, start: date, end: date) -> bool:
    """True when a deadline from `start` to `end` crosses a year without its official arrangement.

    Such a deadline is shown and printed as 预计 (estimated): it was counted on weekdays only.
    """
    return bool(WorkCalendar.from_store(store).gaps(start, end))


ESTIMATED_NOTE = "期限按周一至周五估算（当年节假日安排尚未导入），为预计日期，以实际通知为准"


def import_calendar(store: Store, text: str) -> tuple[int, list[int]]:
    """County import of a year's arrangement (same format as the downlink's): (days, years covered).

    Parsed first (CalendarUpdateError names the line); written in one transaction.
    """
    rows = calendar_update_rows(text)
    if not rows:
        raise CalendarUpdateError(1, "文件中没有任何日期")
    with store.write() as conn:
        count = write_overrides(conn, rows, source="import")
    return count, sorted({d.year for d, _w, _n in rows})
