"""Status bar text and the coarse ages that keep it from repainting."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tui.widgets.reader_panel import ReaderState, reader_text
from tui.widgets.statusbar import StatusSnapshot, age_text, status_text

NOW = datetime(2025, 3, 12, 9, 30, tzinfo=timezone(timedelta(hours=8)))


def test_age_text_is_coarse() -> None:
    assert age_text(None, NOW) == ""
    assert age_text((NOW - timedelta(seconds=20)).isoformat(), NOW) == "刚刚"
    assert age_text((NOW - timedelta(minutes=5, seconds=30)).isoformat(), NOW) == "5分钟"
    assert age_text((NOW - timedelta(hours=3, minutes=59)).isoformat(), NOW) == "3小时"
    assert age_text((NOW - timedelta(days=2, hours=1)).isoformat(), NOW) == "2天"


def test_status_text_orders_and_flags() -> None:
    s = StatusSnapshot(
        operator="王小红",
        link="down",
        pending=3,
        oldest_age="2小时",
        quarantined=1,
        flags=("模拟读卡器", "测试密钥"),
        station="湖南省 43012100100100001",
    )
    text = status_text(s)
    assert text.startswith("王小红 │ 离线 │ 待传 3 最早 2小时 │ 隔离 1 │ 模拟读卡器 测试密钥")
    assert status_text(StatusSnapshot()).startswith("未登录 │ 链路未知 │ 待传 0")


def test_reader_text() -> None:
    assert reader_text(ReaderState("none")) == "读卡器：未连接读卡器"
    assert reader_text(
        ReaderState("present", card_number="L12345678", holder="欧阳娜娜", label="模拟读卡器")
    ) == ("读卡器（模拟读卡器）：已插卡 L12345678 欧阳娜娜")


def test_status_text_keeps_the_station_code_whole_at_80_columns() -> None:
    s = StatusSnapshot(
        operator="王小红",
        link="up",
        pending=15,
        oldest_age="12天",
        quarantined=3,
        flags=("模拟读卡器", "测试密钥", "演示"),
        station="湖南省 430121001001001",
    )
    from rich.cells import cell_len

    full = status_text(s)
    assert cell_len(full) > 80  # the case the bar used to cut
    fitted = status_text(s, 80)
    assert cell_len(fitted) <= 80
    assert fitted.endswith("430121001001001")
    assert fitted.startswith("王小红")
    assert "隔离 3" in fitted
    assert status_text(s, 200) == full
    assert "|" in status_text(s, 80, ascii_only=True) and "│" not in status_text(s, 80, ascii_only=True)
