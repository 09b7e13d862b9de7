"""The daily report (日报表): businesses and fees by operator and service item, for supervision.

Why (R-SEC-2, R-SEC-3, HB 48-49): the supervisor and the county office check each day who did
what and what was taken in fees (R-APP-10, R-REP-5). The report is computed from the business
records alone, so it is the same on the station, in the CLI and over the county's SSH session,
and needs no link. Text output aligns Chinese columns by terminal cells (east-asian width) so
it reads right in a terminal and on a line printer; the PDF embeds the CJK font found by
`offline.printing.pdf` so it prints the same anywhere.

Permission: 'report.daily' (operators, supervisors, the read-only county auditor; not the
IT admin, who does not see business data).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from offline.business import Operator
from offline.items import ITEMS_BY_CODE, SERVICE_ITEMS
from offline.permissions import require
from offline.store import Store

TITLE = "社会保障卡服务站业务日报表"
HEAD = ("经办人", "业务事项", "笔数", "收费（元）")
TOTAL_OPERATOR = "小计"
TOTAL_ALL = "合计"
BY_ITEM_TITLE = "按业务事项汇总"
NO_BUSINESS = "当日无业务。"
LINE_META = "日期：{day}    服务点：{service_point}    制表时间：{made_at}"
LINE_TOTAL = "当日共办理业务 {count} 笔，收费 {fee} 元；经办人 {operators} 名。"


def cells(text: str) -> int:
    """Terminal cells: wide (W) and fullwidth (F) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int, *, right: bool = False) -> str:
    gap = " " * max(0, width - cells(text))
    return gap + text if right else text + gap


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def item_name(code: str) -> str:
    item = ITEMS_BY_CODE.get(code)
    return item.name_zh if item else code


@dataclass(frozen=True)
class ReportLine:
    operator_id: int
    operator: str  # real name (R-ID-6)
    username: str
    item: str
    item_zh: str
    count: int
    fee_fen: int


@dataclass(frozen=True)
class DailyReport:
    day: str
    service_point: str
    made_at: str
    lines: tuple[ReportLine, ...]
    by_item: tuple[tuple[str, str, int, int], ...]  # (code, name, count, fee)
    by_operator: tuple[tuple[str, int, int], ...] = field(default=())  # (real name, count, fee)

    @property
    def count(self) -> int:
        return sum(line.count for line in self.lines)

    @property
    def fee_fen(self) -> int:
        return sum(line.fee_fen for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "service_point": self.service_point,
            "made_at": self.made_at,
            "count": self.count,
            "fee_fen": self.fee_fen,
            "lines": [
                {
                    "operator": line.operator,
                    "username": line.username,
                    "item": line.item,
                    "item_zh": line.item_zh,
                    "count": line.count,
                    "fee_fen": line.fee_fen,
                }
                for line in self.lines
            ],
            "by_item": [{"item": c, "item_zh": n, "count": k, "fee_fen": f} for c, n, k, f in self.by_item],
            "by_operator": [{"operator": o, "count": k, "fee_fen": f} for o, k, f in self.by_operator],
        }

    def rows(self) -> list[tuple[str, str, str, str]]:
        """Table rows: each operator's items, then the operator's subtotal; the grand total last."""
        out: list[tuple[str, str, str, str]] = []
        current: int | None = None
        sub_count = sub_fee = 0
        for line in self.lines:
            if current is not None and line.operator_id != current:
                out.append(("", TOTAL_OPERATOR, str(sub_count), yuan(sub_fee)))
                sub_count = sub_fee = 0
            name = line.operator if line.operator_id != current else ""
            current = line.operator_id
            out.append((name, line.item_zh, str(line.count), yuan(line.fee_fen)))
            sub_count += line.count
            sub_fee += line.fee_fen
        if current is not None:
            out.append(("", TOTAL_OPERATOR, str(sub_count), yuan(sub_fee)))
        out.append((TOTAL_ALL, "", str(self.count), yuan(self.fee_fen)))
        return out


def daily_report(
    store: Store, day: date | str, *, operator: Operator | None = None, now: str = ""
) -> DailyReport:
    """Businesses of `day` (local date of the record) by operator and item. Read-only.

    With `operator`, checks the 'report.daily' permission (R-SEC-2); the CLI and the TUI always
    pass the logged-in operator.
    """
    if operator is not None:
        require(operator, "report.daily")
    text = day.isoformat() if isinstance(day, date) else date.fromisoformat(day).isoformat()
    rows = store.query(
        "SELECT b.operator_id, o.real_name, o.username, b.item, COUNT(*) AS n, SUM(b.fee_fen) AS fee"
        " FROM businesses b JOIN operators o ON o.id = b.operator_id"
        " WHERE b.at >= ? AND b.at < ? GROUP BY b.operator_id, b.item",
        (text, text + "T99"),
    )
    order = {i.code: n for n, i in enumerate(SERVICE_ITEMS)}
    lines = sorted(
        (
            ReportLine(
                int(r["operator_id"]),
                str(r["real_name"]),
                str(r["username"]),
                str(r["item"]),
                item_name(str(r["item"])),
                int(r["n"]),
                int(r["fee"] or 0),
            )
            for r in rows
        ),
        key=lambda line: (line.operator, line.operator_id, order.get(line.item, 99), line.item),
    )
    items: dict[str, list[int]] = {}
    operators: dict[int, tuple[str, list[int]]] = {}
    for line in lines:
        items.setdefault(line.item, [0, 0])
        items[line.item][0] += line.count
        items[line.item][1] += line.fee_fen
        entry = operators.setdefault(line.operator_id, (line.operator, [0, 0]))
        entry[1][0] += line.count
        entry[1][1] += line.fee_fen
    by_item = tuple(
        (code, item_name(code), v[0], v[1])
        for code, v in sorted(items.items(), key=lambda kv: order.get(kv[0], 99))
    )
    by_operator = tuple((name, v[0], v[1]) for name, v in operators.values())
    sp = store.setting("service_point", "") or ""
    return DailyReport(text, sp, now, tuple(lines), by_item, by_operator)


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]], numeric: set[int]) -> list[str]:
    widths = [max(cells(r[i]) for r in [head, *rows]) for i in range(len(head))]
    out = []
    for r in [head, *rows]:
        out.append("  ".join(pad(r[i], widths[i], right=i in numeric) for i in range(len(head))).rstrip())
    rule = "-" * cells(out[0])
    return [out[0], rule, *out[1:]]


def render_text(report: DailyReport) -> str:
    """The report as aligned text (CJK counted as two cells): terminal, SSH session, line printer."""
    lines = [
        TITLE,
        LINE_META.format(
            day=report.day, service_point=report.service_point or "—", made_at=report.made_at or "—"
        ),
        "",
    ]
    if not report.lines:
        lines.append(NO_BUSINESS)
        return "\n".join(lines) + "\n"
    lines += _table(HEAD, report.rows(), {2, 3})
    lines += ["", BY_ITEM_TITLE]
    lines += _table(HEAD[1:], [(n, str(k), yuan(f)) for _c, n, k, f in report.by_item], {1, 2})
    lines += [
        "",
        LINE_TOTAL.format(count=report.count, fee=yuan(report.fee_fen), operators=len(report.by_operator)),
    ]
    return "\n".join(lines) + "\n"


def render_pdf(report: DailyReport, *, font: Path | None = None) -> bytes:
    """The report as an A4 PDF with the CJK font embedded (offline.printing.pdf finds the font)."""
    from fpdf import FPDF

    from offline.printing.pdf import find_cjk_font, find_latin_font

    cjk = font or find_cjk_font()
    latin = find_latin_font()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("zh", fname=str(cjk))
    if latin is not None:
        pdf.add_font("body", fname=str(latin))
        pdf.set_fallback_fonts(["zh"], exact_match=False)
    else:
        pdf.add_font("body", fname=str(cjk))
    pdf.add_page()
    pdf.set_font("body", size=15)
    pdf.cell(180, 10, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("body", size=10)
    meta = LINE_META.format(
        day=report.day, service_point=report.service_point or "—", made_at=report.made_at or "—"
    )
    pdf.cell(180, 7, meta, new_x="LMARGIN", new_y="NEXT")
    widths = (50, 70, 25, 35)

    def row(values: tuple[str, ...], ws: tuple[int, ...], *, fill: bool = False) -> None:
        for i, (value, w) in enumerate(zip(values, ws, strict=True)):
            pdf.cell(w, 7, value, border=1, fill=fill, align="R" if i >= len(ws) - 2 else "L")
        pdf.ln(7)

    pdf.set_fill_color(230, 230, 230)
    if not report.lines:
        pdf.cell(180, 7, NO_BUSINESS, new_x="LMARGIN", new_y="NEXT")
    else:
        row(HEAD, widths, fill=True)
        for r in report.rows():
            row(r, widths, fill=r[0] == TOTAL_ALL or r[1] == TOTAL_OPERATOR)
        pdf.ln(4)
        pdf.cell(180, 7, BY_ITEM_TITLE, new_x="LMARGIN", new_y="NEXT")
        row(HEAD[1:], widths[1:], fill=True)
        for _c, n, k, f in report.by_item:
            row((n, str(k), yuan(f)), widths[1:])
        pdf.ln(4)
        total = LINE_TOTAL.format(
            count=report.count, fee=yuan(report.fee_fen), operators=len(report.by_operator)
        )
        pdf.cell(180, 7, total, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
