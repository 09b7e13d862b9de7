"""The daily report (R-SEC-2, R-SEC-3, HB 48-49): by operator and item, fees, aligned text, PDF."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from offline.business import commit_business
from offline.errors import PermissionDenied
from offline.reports import cells, daily_report, render_pdf, render_text
from tests.field.conftest import NOW, Field


def _seed(field: Field) -> None:
    """Operator: 2 applications, 2 sign-ins (real services). Supervisor: 2 paid replacements."""
    field.in_stock(1)
    field.in_stock(2)
    ctx = field.ctx("supervisor")
    for n in range(2):
        with field.store.write() as conn:
            commit_business(ctx, conn, item="replace", summary="补领", details={"n": n}, fee_fen=2000)
    yesterday = field.ctx(now=NOW - timedelta(days=1))
    with field.store.write() as conn:
        commit_business(yesterday, conn, item="replace", summary="昨天", details={}, fee_fen=2000)


def test_R_SEC_3_daily_report_by_operator_and_item(field: Field) -> None:
    _seed(field)
    report = daily_report(
        field.store, NOW.date(), operator=field.operators["supervisor"], now="2025-03-03T18:00"
    )
    lines = {(line.operator, line.item_zh): (line.count, line.fee_fen) for line in report.lines}
    assert lines == {
        ("王小红", "申领"): (2, 0),
        ("王小红", "库存卡/睡眠卡管理"): (2, 0),
        ("赵主管", "补领/换领"): (2, 4000),
    }
    assert report.count == 6 and report.fee_fen == 4000  # yesterday's business is not in it
    assert report.by_item[0][1] == "申领" and report.service_point == field.info.service_point
    assert report.by_operator == (("王小红", 4, 0), ("赵主管", 2, 4000))
    data = report.to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False))["fee_fen"] == 4000


def test_R_SEC_3_text_report_aligns_chinese_columns(field: Field) -> None:
    _seed(field)
    text = render_text(daily_report(field.store, NOW.date()))
    lines = text.splitlines()
    head = lines.index(next(line for line in lines if line.startswith("经办人")))
    end = lines.index("", head)
    table = [line for line in lines[head:end] if not line.startswith("-")]
    assert len({cells(line) for line in table}) == 1, table  # every row as wide as the header
    assert any(line.startswith("合计") and line.endswith("40.00") for line in table)
    assert "当日共办理业务 6 笔，收费 40.00 元；经办人 2 名。" in text
    # Cut each row at the header's cell offsets: the count column holds a number in every row.
    start = cells(table[0][: table[0].index("笔数")])
    end = cells(table[0][: table[0].index("笔数") + 2])
    assert [_cell_slice(line, start, end).strip() for line in table[1:]] == ["2", "2", "4", "2", "2", "6"]


def _cell_slice(line: str, start: int, end: int) -> str:
    """The characters of `line` between terminal cells `start` and `end`."""
    out, pos = [], 0
    for ch in line:
        if start <= pos < end:
            out.append(ch)
        pos += cells(ch)
    return "".join(out)


def test_R_SEC_3_empty_day_says_so(field: Field) -> None:
    assert "当日无业务" in render_text(daily_report(field.store, "2024-01-01"))


def test_R_SEC_2_report_permission(field: Field) -> None:
    with pytest.raises(PermissionDenied):
        daily_report(field.store, NOW.date(), operator=field.operators["admin"])
    assert daily_report(field.store, NOW.date(), operator=field.operators["auditor"]).count == 0


def test_R_SEC_3_pdf_report_embeds_the_cjk_font(field: Field) -> None:
    from tests.offline.printing.pdftext import embedded_font_names, extract_text

    _seed(field)
    pdf = render_pdf(daily_report(field.store, NOW.date()))
    assert pdf.startswith(b"%PDF")
    text = extract_text(pdf)
    assert "业务日报表" in text and "赵主管" in text and "40.00" in text
    assert embedded_font_names(pdf)
