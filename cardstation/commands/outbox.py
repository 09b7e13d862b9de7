"""`cardstation outbox export --to DIR`: carry the unsent queue out on a USB stick (sneakernet).

The bundle holds the pending envelopes exactly as queued — sealed to the card management system
and signed by this station — so a lost stick reveals nothing. Nothing in the outbox changes: the
envelopes stay pending until their acknowledgements come back (`cardstation sync --import-updates`
or the next online sync), which is what makes the hand-carried route exactly-once.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

HELP = "待上传数据包：导出到U盘（无网络时人工带到联网处上传）"
MSG_DONE = "已导出 {n} 个待上传数据包（序号 {first}–{last}，{kb:.0f} KB）到 {path}。"
MSG_EMPTY = "没有待上传的数据包；已生成空的导出文件 {path}（可不必携带）。"
MSG_NEXT = (
    "数据包已加密、已签名，U盘丢失也不会泄露内容。请带到联网电脑上传："
    "cardstation gateway import-bundle 文件（县局网关）或 cardstation sync --upload-bundle 文件（其他已注册服务站）；"
    "然后把县局导出的回执文件带回本站，运行 cardstation sync --import-updates 文件。"
    "在收到回执之前，这些业务仍保留在本站待上传队列中。"
)


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("outbox", help=HELP, description=HELP)
    sub = p.add_subparsers(dest="outbox_command", metavar="ACTION", required=True)
    e = sub.add_parser("export", help="把待上传数据包导出为一个签名文件（.csb）")
    e.add_argument("--to", required=True, metavar="DIR", help="目标目录（U盘挂载点，例如 /media/usb）")
    e.add_argument("--json", action="store_true", help="以 JSON 输出结果")
    e.set_defaults(func=_run_export)


def _run_export(args: argparse.Namespace) -> int:
    from cardstation.wiring import guarded

    return guarded(_export)(args)


def _export(args: argparse.Namespace) -> int:
    from cardstation.wiring import now, open_station, resolve_db_path
    from offline.errors import StoreError
    from sync.bundle import export_outbox
    from sync.keys import NotEnrolled

    store, _info = open_station(resolve_db_path(args.db))
    folder = Path(args.to).expanduser()
    try:
        report = export_outbox(store, folder, now=now())
    except NotEnrolled as exc:
        raise StoreError("not_enrolled", str(exc)) from exc
    except OSError as exc:
        raise StoreError(
            "write_failed", f"无法写入 {folder}：{exc.strerror or exc}。请检查U盘是否插好、是否写保护。"
        ) from exc
    finally:
        store.close()
    if args.json:
        print(json.dumps({"path": str(report.path), "envelopes": report.envelopes, "bytes": report.bytes}))
        return 0
    if report.envelopes:
        print(
            MSG_DONE.format(
                n=report.envelopes,
                first=report.first_seq,
                last=report.last_seq,
                kb=report.bytes / 1024,
                path=report.path,
            )
        )
        print(MSG_NEXT)
    else:
        print(MSG_EMPTY.format(path=report.path))
    return 0
