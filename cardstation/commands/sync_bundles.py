"""`cardstation sync --upload-bundle FILE` / `--import-updates FILE`: the station's side of the
sneakernet (see sync/bundle.py). Registered on `cardstation sync` by commands/sync.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

MSG_UPLOADED = "已代为上传数据包 {path}：新收 {acked} 个，网关已收过 {dup} 个，冲突 {conflict} 个，拒收 {rejected} 个。回执由网关保存，原服务站下次同步或导入回执包时确认。"
MSG_IMPORTED = "已导入回执包 {path}：确认上传 {acked} 个，之前已确认 {already} 个，不属于本站队列 {unknown} 个；下发更新应用 {applied} 条（共 {seen} 条）。"


def add_modes(mode: Any) -> None:
    mode.add_argument("--upload-bundle", metavar="FILE", help="代其他服务站上传其U盘数据包（.csb）")
    mode.add_argument(
        "--import-updates", metavar="FILE", help="导入县局导出的回执包（确认上传、应用下发更新）"
    )


def dispatch(args: argparse.Namespace) -> int | None:
    """Run a sneakernet mode when one was given; None otherwise (the caller goes on)."""
    from cardstation.wiring import guarded

    if getattr(args, "upload_bundle", None):
        return guarded(_upload)(args)
    if getattr(args, "import_updates", None):
        return guarded(_import)(args)
    return None


def _errors() -> tuple[type[Exception], ...]:
    from sync.bundle import BundleError
    from sync.client import LinkError
    from sync.keys import NotEnrolled

    return (BundleError, LinkError, NotEnrolled)


def _refuse(exc: Exception) -> int:
    from sync import messages
    from sync.client import LinkError

    if isinstance(exc, LinkError):
        text = messages.reason(exc.code)
        print(
            f"错误：上传中断（{text}）。已上传的部分网关已保存，稍后重新运行本命令即可，不会重复入账。",
            file=sys.stderr,
        )
    else:
        print(f"错误：{exc}", file=sys.stderr)
    return 1


def _upload(args: argparse.Namespace) -> int:
    from cardstation.wiring import open_station, resolve_db_path
    from sync.bundle import upload_bundle

    store, _info = open_station(resolve_db_path(args.db))
    try:
        counts = upload_bundle(store, Path(args.upload_bundle).expanduser(), url=args.url)
    except _errors() as exc:
        return _refuse(exc)
    finally:
        store.close()
    if args.json:
        print(json.dumps(counts))
    else:
        print(
            MSG_UPLOADED.format(
                path=args.upload_bundle,
                acked=counts["acked"],
                dup=counts["duplicate"],
                conflict=counts["conflict"],
                rejected=counts["rejected"],
            )
        )
    return 1 if counts["rejected"] or counts["conflict"] else 0


def _import(args: argparse.Namespace) -> int:
    from cardstation.wiring import open_station, resolve_db_path
    from sync.bundle import import_updates

    store, _info = open_station(resolve_db_path(args.db))
    try:
        report = import_updates(store, Path(args.import_updates).expanduser())
    except _errors() as exc:
        return _refuse(exc)
    finally:
        store.close()
    if args.json:
        print(json.dumps(report.__dict__, ensure_ascii=False))
    else:
        print(
            MSG_IMPORTED.format(
                path=args.import_updates,
                acked=report.acked,
                already=report.already,
                unknown=report.unknown,
                applied=report.updates_applied,
                seen=report.updates_seen,
            )
        )
        for line in report.outcomes[:20]:
            print("  " + line)
    return 0
