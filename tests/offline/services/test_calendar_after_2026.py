"""The working-day calendar after 2026 (R-APP-5, R-ISS-2, R-TRF-2 count working days).

`chinese_calendar` stops at 2026: a 2027 deadline counts weekdays only. Such a deadline is
marked 预计 on screen and receipt; the home screen warns from December on; the county loads the
arrangement with `cardstation calendar import FILE` (docs/calendar.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from offline.business import BusinessResult, ServiceContext
from offline.services.alerts import calendar_alerts
from offline.workdays import WorkCalendar, estimated, import_calendar, library_years

CST = timezone(timedelta(hours=8))
NOTICE_2027 = """# 2027 年部分节假日安排（样例）
2027-01-01 休 元旦
2027-02-05..2027-02-11 休 春节
2027-02-14 班 春节调休
"""


def test_R_APP_5_deadline_into_an_unknown_year_is_estimated(ctx: ServiceContext) -> None:
    assert 2027 not in library_years()
    assert estimated(ctx.store, date(2026, 12, 20), date(2027, 1, 20))
    assert not estimated(ctx.store, date(2026, 3, 2), date(2026, 4, 20))
    count, years = import_calendar(ctx.store, NOTICE_2027)
    assert count == 9 and years == [2027]
    assert not estimated(ctx.store, date(2026, 12, 20), date(2027, 1, 20))
    assert not WorkCalendar.from_store(ctx.store).is_workday(date(2027, 2, 8))


def test_R_ISS_2_home_warns_from_december_until_next_year_is_loaded(ctx: ServiceContext) -> None:
    assert calendar_alerts(ctx.store, date(2026, 11, 30)) == []
    dec = calendar_alerts(ctx.store, date(2026, 12, 1))
    assert [a.kind for a in dec] == ["calendar_missing"] and "2027 年" in dec[0].message_zh
    import_calendar(ctx.store, NOTICE_2027)
    assert calendar_alerts(ctx.store, date(2026, 12, 1)) == []


def test_R_APP_5_estimated_deadline_on_the_business_and_the_receipt(
    ctx: ServiceContext, make_person: Callable[..., Any]
) -> None:
    from offline.printing.text import render_receipt_text
    from offline.services.applications import ApplicationInput, apply_card

    late = dataclasses.replace(ctx, now=lambda: datetime(2026, 12, 20, 10, 0, tzinfo=CST))
    result: BusinessResult = apply_card(
        late, ApplicationInput(make_person(), "local", "batch", "中国农业银行")
    )
    assert result.details["deadline_estimated"] is True and "（预计）" in result.summary

    class Station:
        province, service_point = "hunan", "43012100100100001"

    text = render_receipt_text(result, Station(), store=ctx.store)
    assert "预计" in text


def test_calendar_import_command_loads_the_file(tmp_path: Path) -> None:
    from cardstation.cli import main
    from offline.station import init_station
    from offline.store import Store

    db = tmp_path / "station.db"
    store = Store.open(db)
    init_station(
        store,
        province="hunan",
        service_point="43012100100100001",
        admin_username="admin",
        admin_real_name="管理员",
        admin_password="Admin-pass-12",
        now=datetime(2026, 12, 1, tzinfo=CST),
    )
    store.close()
    bad = tmp_path / "bad.txt"
    bad.write_text("2027-02-30 休 春节\n", encoding="utf-8")
    assert main(["--db", str(db), "calendar", "import", str(bad)]) == 1
    good = tmp_path / "2027.txt"
    good.write_text(NOTICE_2027, encoding="utf-8")
    assert main(["--db", str(db), "calendar", "import", str(good)]) == 0
    store = Store.open(db)
    try:
        assert WorkCalendar.from_store(store).covered(2027)
    finally:
        store.close()
