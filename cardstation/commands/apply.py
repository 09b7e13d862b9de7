"""`cardstation apply`: batch application from a CSV (R-APP-9), and the empty CSV template.

    cardstation apply --template [FILE]
    cardstation apply --csv FILE --as USER [--json] [--channel batch] [--mode batch] [--unit NAME]

The password comes from a prompt, or `CARDSTATION_PASSWORD` when stdin is not a terminal.
Each row is checked and committed on its own; the command exits 0 once the file was processed,
even when rows were rejected (they are listed with their rules and fixes), and 2 when the file
itself cannot be used (unreadable, wrong header: the message names the missing/unknown columns).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HELP = "批量申领：导入 CSV 名单逐人受理；或生成空白模板"
MSG_NEED_USER = "导入名单须用 --as 指定办理人（操作员用户名）。"
MSG_NEED_ACTION = "请指定 --csv 文件 或 --template。"
MSG_NO_FILE = "找不到文件 {path}。"
MSG_TEMPLATE = "已生成模板 {path}（UTF-8 带 BOM，可用 Excel 打开填写）。"
MSG_SUMMARY = "共 {total} 行：受理 {ok} 行，退回 {bad} 行。"
HEAD = ("行号", "姓名", "结果", "受理编号 / 原因")
STATUS_ZH = {"accepted": "已受理", "rejected": "退回"}


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("apply", help=HELP, description=HELP)
    what = p.add_mutually_exclusive_group()
    what.add_argument("--csv", metavar="FILE", help="要导入的名单（CSV，UTF-8 或 GBK）")
    what.add_argument(
        "--template",
        nargs="?",
        const="-",
        metavar="FILE",
        help="生成只有表头的空白 CSV 模板；不给文件名时输出到屏幕",
    )
    p.add_argument("--as", dest="user", metavar="USER", help="办理人（操作员用户名）")
    p.add_argument("--json", action="store_true", help="每行输出一个 JSON 结果")
    p.add_argument(
        "--channel",
        default="batch",
        choices=("batch", "proxy_unit", "proxy_person", "local"),
        help="申领渠道（默认 batch）",
    )
    p.add_argument("--mode", default="batch", choices=("batch", "fast"), help="制卡方式（默认 batch）")
    p.add_argument("--unit", default="", metavar="NAME", help="代办单位名称（单位代办时必填）")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from cardstation.wiring import guarded

    return guarded(_apply)(args)


def _apply(args: argparse.Namespace) -> int:
    from cardstation.wiring import EXIT_INPUT
    from offline.services.batch import BatchFileError, read_batch_csv, write_template

    if args.template is not None:
        if args.template == "-":
            sys.stdout.write(write_template(None))
        else:
            write_template(args.template)
            print(MSG_TEMPLATE.format(path=args.template))
        return 0
    if not args.csv:
        print(f"错误：{MSG_NEED_ACTION}", file=sys.stderr)
        return EXIT_INPUT
    if not args.user:
        print(f"错误：{MSG_NEED_USER}", file=sys.stderr)
        return EXIT_INPUT
    path = Path(args.csv)
    if not path.is_file():
        print(f"错误：{MSG_NO_FILE.format(path=path)}", file=sys.stderr)
        return EXIT_INPUT
    try:
        rows = read_batch_csv(path, channel=args.channel, mode=args.mode, unit_name=args.unit)
    except BatchFileError as exc:
        if args.json:
            print(
                json.dumps(
                    {"error": exc.message_zh, "missing": list(exc.missing), "unknown": list(exc.unknown)},
                    ensure_ascii=False,
                )
            )
        print(f"错误：{exc.message_zh}", file=sys.stderr)
        return EXIT_INPUT
    return _process(args, rows)


def _process(args: argparse.Namespace, rows: list[Any]) -> int:
    from cardstation.sealing import station_sealer
    from cardstation.wiring import login, make_context, open_station, resolve_db_path
    from offline.services.batch import apply_batch

    store, station = open_station(resolve_db_path(args.db))
    try:
        operator = login(store, station, args.user)
        ctx = make_context(store, station, operator, sealer=station_sealer(store))
        outcomes = apply_batch(ctx, rows)
    finally:
        store.close()
    if args.json:
        for o in outcomes:
            print(json.dumps(o.as_json(), ensure_ascii=False))
        return 0
    print(_table(outcomes))
    ok = sum(o.status == "accepted" for o in outcomes)
    print(MSG_SUMMARY.format(total=len(outcomes), ok=ok, bad=len(outcomes) - ok))
    return 0


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _table(outcomes: list[Any]) -> str:
    """A plain table with wide characters aligned (what a county session over SSH reads)."""
    body = [(str(o.row), o.name, STATUS_ZH[o.status], o.receipt or o.message) for o in outcomes]
    widths = [max(_width(r[i]) for r in [HEAD, *body]) for i in range(3)]
    lines = []
    for r in [HEAD, *body]:
        lines.append("  ".join(_pad(r[i], widths[i]) for i in range(3)) + "  " + r[3])
    return "\n".join(lines)
