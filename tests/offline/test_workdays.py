"""Working days: the 2026 National Day holiday, a make-up workday, overrides, and the flagged 2027 gap."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offline.store import Store
from offline.workdays import (
    CalendarGap,
    CalendarUpdateError,
    WorkCalendar,
    calendar_update_rows,
    library_years,
    write_overrides,
)


def test_national_day_2026_is_skipped() -> None:
    cal = WorkCalendar()
    assert cal.is_workday(date(2026, 9, 30))
    assert not any(cal.is_workday(date(2026, 10, d)) for d in range(1, 8))  # 1-7 October
    assert cal.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert cal.workdays_between(date(2026, 9, 30), date(2026, 10, 9)) == 2
    assert cal.uncertain_years == frozenset()


def test_make_up_workday_on_a_saturday_counts() -> None:
    cal = WorkCalendar()
    saturday = date(2026, 10, 10)
    assert saturday.weekday() == 5 and cal.is_workday(saturday)  # 调休
    assert cal.add_workdays(date(2026, 9, 30), 3) == saturday
    assert not cal.is_workday(date(2026, 10, 17))  # an ordinary Saturday


def test_R_APP_5_batch_limit_over_the_holiday() -> None:
    # Hubei batch production: 29 working days from an application on 2026-09-25.
    cal = WorkCalendar()
    due = cal.add_workdays(date(2026, 9, 25), 29)
    assert cal.workdays_between(date(2026, 9, 25), due) == 29
    # 28-30 Sep (3), 8-10 Oct incl. the make-up Saturday (6), four full weeks to 6 Nov (26), 9-11 Nov.
    assert due == date(2026, 11, 11)


def test_add_and_between_are_inverse_and_signed() -> None:
    cal = WorkCalendar()
    start = date(2026, 1, 5)
    for n in (0, 1, 7, 40, -3):
        end = cal.add_workdays(start, n)
        assert cal.workdays_between(start, end) == n
    assert cal.next_workday(date(2026, 10, 3)) == date(2026, 10, 8)


def test_2027_falls_back_to_weekdays_and_is_flagged() -> None:
    cal = WorkCalendar()
    assert 2026 in library_years() and 2027 not in library_years()
    assert not cal.covered(2027) and cal.covered(2026)
    assert cal.is_workday(date(2027, 1, 1))  # a Friday; the real 元旦 is unknown to the fallback
    assert not cal.is_workday(date(2027, 1, 2))
    assert cal.uncertain_years == {2027}
    [gap] = cal.warnings
    assert gap == CalendarGap(2027) and "2027 年节假日安排未更新" in gap.message
    assert [g.year for g in cal.gaps(date(2026, 12, 1), date(2028, 1, 10))] == [2027, 2028]


def test_overrides_from_store_cover_a_year(store: Store) -> None:
    rows = calendar_update_rows(
        """
        # 2027 年部分节假日安排（示例）
        2027-01-01 休 元旦
        2027-02-06..2027-02-12 休 春节
        2027-02-14 班 春节调休
        """
    )
    with store.write() as conn:
        assert write_overrides(conn, rows, source="downlink:test") == 9
    cal = WorkCalendar.from_store(store)
    assert cal.covered(2027)
    assert not cal.is_workday(date(2027, 1, 1)) and not cal.is_workday(date(2027, 2, 8))
    assert cal.is_workday(date(2027, 2, 14))  # Sunday make-up day
    assert cal.add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 14)
    assert cal.uncertain_years == frozenset()  # covered: no flag
    assert WorkCalendar({date(2026, 10, 8): False}).add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 9)


def test_calendar_update_errors_name_the_line() -> None:
    with pytest.raises(CalendarUpdateError) as bad_kind:
        calendar_update_rows("2027-01-01 休 元旦\n2027-01-02 睡觉")
    assert bad_kind.value.line_no == 2 and "第 2 行" in str(bad_kind.value)
    for text in ("2027-02-30 休", "2027-02-10..2027-02-01 休", "tomorrow 休", "2027-01-01"):
        with pytest.raises(CalendarUpdateError):
            calendar_update_rows(text)
    assert calendar_update_rows("2027-1-1 休\n\n# only a comment\n") == [(date(2027, 1, 1), False, "")]


@given(st.text(max_size=200))
def test_calendar_update_parser_only_raises_its_own_error(text: str) -> None:
    try:
        rows = calendar_update_rows(text)
    except CalendarUpdateError as exc:
        assert exc.message_zh
    else:
        assert all(isinstance(d, date) and isinstance(w, bool) for d, w, _ in rows)
