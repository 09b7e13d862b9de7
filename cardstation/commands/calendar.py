"""`cardstation calendar`: load a year's holiday arrangement, see which years are known.

`chinese_calendar` ships each year's State Council arrangement only in its releases (today up to
2026); a later year counts weekdays only and its deadlines are marked 预计. The county loads the
arrangement from the notice with `calendar import FILE` (format: docs/calendar.md), the same
rows the card management system can send on the downlink (`calendar_update`).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

HELP = "工作日历：导入当年节假日安排（国务院办公厅通知），查看已知年份"


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("calendar", help=HELP, description=HELP)
    sub = p.add_subparsers(dest="calendar_command", metavar="ACTION", required=True)
    i = sub.add_parser("import", help="导入节假日安排文件（格式见 docs/calendar.md）")
    i.add_argument("file", help="文本文件：每行“日期或日期范围 休/班 名称”")
    i.set_defaults(func=lambda a: _guarded(_import, a))
    s = sub.add_parser("status", help="今年和明年的节假日安排是否已知")
    s.set_defaults(func=lambda a: _guarded(_status, a))


def _guarded(fn: Any, args: argparse.Namespace) -> int:
    """Every failure (no store, locked store ...) as a Chinese message, never a traceback."""
    from cardstation.wiring import guarded

    result: int = guarded(fn)(args)
    return result


def _import(args: argparse.Namespace) -> int:
    from offline.workdays import CalendarUpdateError, import_calendar

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        print(f"无法读取文件 {args.file}：{exc.strerror or exc}。请核对路径。", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(f"文件 {args.file} 不是 UTF-8 文本。请另存为 UTF-8 后再导入。", file=sys.stderr)
        return 1
    store = _open(args)
    try:
        count, years = import_calendar(store, text)
    except CalendarUpdateError as exc:
        print(f"未导入（未写入任何数据）：{exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"已导入 {count} 天（{'、'.join(str(y) for y in years)} 年）的节假日安排。")
    return 0


def _status(args: argparse.Namespace) -> int:
    from offline.workdays import WorkCalendar

    store = _open(args)
    try:
        cal = WorkCalendar.from_store(store)
    finally:
        store.close()
    this = date.today().year
    for year in (this, this + 1):
        print(f"{year} 年：{'已知' if cal.covered(year) else '未导入（期限按周一至周五估算，标“预计”）'}")
    return 0


def _open(args: argparse.Namespace) -> Any:
    from cardstation.wiring import open_station, resolve_db_path

    store, _info = open_station(resolve_db_path(args.db))
    return store
