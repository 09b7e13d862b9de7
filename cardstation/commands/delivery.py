"""`cardstation delivery`: door-to-door delivery runs from the command line (R-ISS-7, R-SEC-5).

    cardstation delivery prepare --as USER --name NAME (--village 村名 | --person ID ...) [--json]
    cardstation delivery list    --as USER [--open] [--json]
    cardstation delivery show RUN --as USER [--json]
    cardstation delivery close RUN --as USER [--json]

Preparing and closing write (the closing queues one envelope); `list` and `show` only read, and
are open to every role that may view persons (the county auditor included, over SSH). The
password comes from a prompt, or `CARDSTATION_PASSWORD` when stdin is not a terminal. Working a
run at the door needs the reader and is done in the TUI (上门发放 screen).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

HELP = "上门发放清单：准备、查看、结束（移动服务队离线送卡）"
HELP_PREPARE = "按村（户籍或居住地址）或指定人员，从在库卡生成上门发放清单并缓存照片、地址、电话"
HELP_LIST = "列出上门发放清单"
HELP_SHOW = "显示一张清单上的卡、地址、照片与结果，标出超过送达期限的卡"
HELP_CLOSE = "结束清单：统计各结果并生成结束记录（待上传）"
MSG_NEED_SCOPE = "请用 --village 指定村名，或用 --person 指定人员编号。"
MSG_PREPARED = "已生成清单 #{id}“{name}”：共 {total} 张卡。"
MSG_CLOSED = "清单 #{id}“{name}”已结束：共 {total} 张，送达 {delivered} 张。受理编号 {receipt}。"
MSG_UNDELIVERED = "未送达、仍在库的卡：{cards}"
MSG_NO_RUN = "找不到清单 #{id}。"
MSG_NO_RUNS = "没有上门发放清单。"
HEAD_RUNS = ("编号", "清单名称", "村", "状态", "卡数", "已送达", "超期", "准备时间")
HEAD_ITEMS = ("序号", "姓名", "卡号", "地址", "电话", "照片", "期限", "结果")


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("delivery", help=HELP, description=HELP)
    sub = p.add_subparsers(dest="delivery_command", metavar="ACTION", required=True)
    prep = sub.add_parser("prepare", help=HELP_PREPARE, description=HELP_PREPARE)
    prep.add_argument("--name", required=True, help="清单名称，如“青山村 3 月 12 日”")
    prep.add_argument("--village", default="", help="村名（在户籍地址或居住地址中匹配）")
    prep.add_argument(
        "--person", type=int, action="append", default=[], metavar="ID", help="人员编号，可重复"
    )
    lst = sub.add_parser("list", help=HELP_LIST, description=HELP_LIST)
    lst.add_argument("--open", action="store_true", help="只列出进行中的清单")
    show = sub.add_parser("show", help=HELP_SHOW, description=HELP_SHOW)
    show.add_argument("run", type=int, metavar="RUN", help="清单编号")
    close = sub.add_parser("close", help=HELP_CLOSE, description=HELP_CLOSE)
    close.add_argument("run", type=int, metavar="RUN", help="清单编号")
    for q in (prep, lst, show, close):
        q.add_argument("--as", dest="user", required=True, metavar="USER", help="办理人（操作员用户名）")
        q.add_argument("--json", action="store_true", help="以 JSON 输出")
    prep.set_defaults(func=_guard(_prepare))
    lst.set_defaults(func=_guard(_list))
    show.set_defaults(func=_guard(_show))
    close.set_defaults(func=_guard(_close))


def _guard(fn: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        from cardstation.wiring import guarded

        return int(guarded(fn)(args))

    return run


def _session(args: argparse.Namespace, *, sealed: bool) -> tuple[Any, Any]:
    """(store, ServiceContext) for the logged-in user; the caller closes the store."""
    from cardstation.wiring import login, make_context, open_station, resolve_db_path

    store, station = open_station(resolve_db_path(args.db))
    try:
        operator = login(store, station, args.user)
        sealer: Any = None
        if sealed:
            from cardstation.sealing import station_sealer

            sealer = station_sealer(store)
        return store, make_context(store, station, operator, sealer=sealer)
    except BaseException:
        store.close()
        raise


def _prepare(args: argparse.Namespace) -> int:
    from cardstation.wiring import EXIT_INPUT
    from offline.delivery import prepare_run

    if not args.village and not args.person:
        print(f"错误：{MSG_NEED_SCOPE}", file=sys.stderr)
        return EXIT_INPUT
    store, ctx = _session(args, sealed=False)
    try:
        info = prepare_run(ctx, village=args.village or None, person_ids=args.person or None, name=args.name)
    finally:
        store.close()
    if args.json:
        print(json.dumps(asdict(info), ensure_ascii=False))
    else:
        print(MSG_PREPARED.format(id=info.id, name=info.name, total=info.total))
    return 0


def _list(args: argparse.Namespace) -> int:
    from offline.services.reads import delivery_runs

    store, ctx = _session(args, sealed=False)
    try:
        runs = delivery_runs(ctx, state="open" if args.open else None)  # R-SEC-2 in the service
    finally:
        store.close()
    if args.json:
        print(json.dumps([asdict(r) for r in runs], ensure_ascii=False))
        return 0
    if not runs:
        print(MSG_NO_RUNS)
        return 0
    rows = [
        (
            str(r.id),
            r.name,
            r.village or "—",
            r.state_zh,
            str(r.total),
            str(r.counts.get("delivered", 0)),
            str(r.overdue),
            r.prepared_at[:16].replace("T", " "),
        )
        for r in runs
    ]
    print(table(HEAD_RUNS, rows))
    return 0


def _show(args: argparse.Namespace) -> int:
    from offline.errors import StoreError
    from offline.services.reads import delivery_run

    store, ctx = _session(args, sealed=False)
    try:
        today = ctx.now().date()
        info, items = delivery_run(ctx, args.run)  # R-SEC-2 in the service
        if info is None:
            raise StoreError("no_run", MSG_NO_RUN.format(id=args.run))
    finally:
        store.close()
    if args.json:
        out = asdict(info) | {"items": [asdict(i) | {"overdue": i.overdue(today)} for i in items]}
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(f"#{info.id} {info.name}（{info.state_zh}）")
    rows = [
        (
            str(n),
            i.name,
            i.card_number,
            i.address,
            i.phone,
            "有" if i.has_photo else "无",
            ("！" if i.overdue(today) else "") + (i.deadline or "—"),
            i.outcome_zh,
        )
        for n, i in enumerate(items, start=1)
    ]
    print(table(HEAD_ITEMS, rows))
    return 0


def _close(args: argparse.Namespace) -> int:
    from offline.delivery import close_run

    store, ctx = _session(args, sealed=True)
    try:
        summary = close_run(ctx, args.run)
    finally:
        store.close()
    if args.json:
        print(
            json.dumps(
                {
                    "run_id": summary.run_id,
                    "name": summary.name,
                    "total": summary.total,
                    "counts": summary.counts,
                    "undelivered": list(summary.undelivered),
                    "receipt_no": summary.result.receipt_no,
                },
                ensure_ascii=False,
            )
        )
        return 0
    print(
        MSG_CLOSED.format(
            id=summary.run_id,
            name=summary.name,
            total=summary.total,
            delivered=summary.delivered,
            receipt=summary.result.receipt_no,
        )
    )
    if summary.undelivered:
        print(MSG_UNDELIVERED.format(cards="、".join(summary.undelivered)))
    return 0


def table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """Columns aligned by terminal cells (CJK = 2), for a county session over SSH."""
    from offline.reports import cells, pad

    widths = [max(cells(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return "\n".join(
        "  ".join(pad(r[i], widths[i]) for i in range(len(head))).rstrip() for r in [head, *rows]
    )
