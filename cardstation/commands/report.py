"""`cardstation report daily`: the day's businesses and fees by operator and service item.

    cardstation report daily --as USER [--date YYYY-MM-DD] [--json] [--pdf FILE]

Read-only (permission 'report.daily': operators, supervisors, the county auditor). Text output
aligns Chinese columns for a terminal or a county SSH session; `--pdf` also writes an A4 PDF
with the CJK font embedded (for the printer, `lp FILE`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

HELP = "业务报表"
HELP_DAILY = "日报表：当日业务笔数与收费，按经办人和业务事项汇总"
MSG_BAD_DATE = "日期“{value}”无效，应为 YYYY-MM-DD。"
MSG_PDF = "已生成 PDF：{path}"


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("report", help=HELP, description=HELP)
    sub = p.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    d = sub.add_parser("daily", help=HELP_DAILY, description=HELP_DAILY)
    d.add_argument("--date", default="", metavar="YYYY-MM-DD", help="报表日期（默认今天）")
    d.add_argument("--json", action="store_true", help="以 JSON 输出")
    d.add_argument("--pdf", default="", metavar="FILE", help="同时生成 PDF 文件")
    d.add_argument("--as", dest="user", required=True, metavar="USER", help="查看人（操作员用户名）")
    d.set_defaults(func=_run_daily)


def _run_daily(args: argparse.Namespace) -> int:
    from cardstation.wiring import guarded

    return guarded(_daily)(args)


def _daily(args: argparse.Namespace) -> int:
    from datetime import date

    from cardstation.wiring import EXIT_INPUT, login, now, open_station, resolve_db_path
    from offline.reports import daily_report, render_pdf, render_text

    t = now()
    try:
        day = date.fromisoformat(args.date) if args.date else t.date()
    except ValueError:
        print(f"错误：{MSG_BAD_DATE.format(value=args.date)}", file=sys.stderr)
        return EXIT_INPUT
    store, station = open_station(resolve_db_path(args.db))
    try:
        operator = login(store, station, args.user)
        report = daily_report(store, day, operator=operator, now=t.isoformat(timespec="minutes"))
    finally:
        store.close()
    if args.pdf:
        from offline.private_files import write_private

        write_private(args.pdf, render_pdf(report))
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        sys.stdout.write(render_text(report))
        if args.pdf:
            print(MSG_PDF.format(path=args.pdf))
    return 0
