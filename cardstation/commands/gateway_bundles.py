"""`cardstation gateway import-bundle FILE` and `gateway export-updates --station ID`: the county
office's side of the sneakernet (no web server needed, only the gateway's database).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MSG_IMPORTED = "数据包 {bundle}（服务站 {station}）：新收 {acked} 个，已收过 {dup} 个，冲突 {conflict} 个，拒收 {rejected} 个。"
MSG_REJECTED_CODES = "拒收原因：{codes}"
MSG_EXPORTED = "已为服务站 {station} 导出回执包 {path}：回执 {acks} 条，下发更新 {updates} 条。请带回该站运行 cardstation sync --import-updates 文件。"


def add_actions(sub: Any, needs_extra: Any) -> None:
    """Register the two actions on `cardstation gateway` (called by commands/gateway.py)."""
    i = sub.add_parser("import-bundle", help="导入服务站用U盘带来的数据包（.csb）")
    i.add_argument("file", metavar="FILE")
    i.add_argument(
        "--db",
        "--database",
        dest="gw_db",
        required=True,
        help="网关数据库：SQLite 文件路径或 postgresql:// 地址",
    )
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=needs_extra(_import))
    x = sub.add_parser("export-updates", help="为服务站导出回执和下发更新（带回该站导入）")
    x.add_argument(
        "--db",
        "--database",
        dest="gw_db",
        required=True,
        help="网关数据库：SQLite 文件路径或 postgresql:// 地址",
    )
    x.add_argument("--station", required=True, metavar="ID", help="站号")
    x.add_argument("--to", default=".", metavar="DIR", help="输出目录（默认当前目录）")
    x.set_defaults(func=needs_extra(_export))


def _gateway(args: argparse.Namespace) -> Any:
    from sync.gateway.app import create_app

    return create_app(args.gw_db)


def _import(args: argparse.Namespace) -> int:
    from sync.bundle import BundleError
    from sync.gateway.bundles import import_outbox_bundle

    gw = _gateway(args)
    try:
        result = import_outbox_bundle(gw.db, gw.keyring, gw.intake_config, Path(args.file), datetime.now(UTC))
    except BundleError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    c = result.counts
    if args.json:
        print(
            json.dumps(
                {"station_id": result.station_id, "counts": c, "codes": result.codes}, ensure_ascii=False
            )
        )
    else:
        print(
            MSG_IMPORTED.format(
                bundle=result.bundle_id,
                station=result.station_id,
                acked=c.get("acked", 0),
                dup=c.get("duplicate", 0),
                conflict=c.get("conflict", 0),
                rejected=c.get("rejected", 0),
            )
        )
        if result.codes:
            print(MSG_REJECTED_CODES.format(codes="，".join(f"{k} {v}" for k, v in result.codes.items())))
    return 1 if c.get("rejected") or c.get("conflict") else 0


def _export(args: argparse.Namespace) -> int:
    from sync.bundle import BundleError
    from sync.gateway.bundles import export_updates, write_updates

    gw = _gateway(args)
    now = datetime.now(UTC)
    try:
        doc = export_updates(gw.db, gw.keyring, args.station.strip(), now)
        path = write_updates(doc, Path(args.to).expanduser(), now)
    except BundleError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"错误：无法写入 {args.to}：{exc.strerror or exc}。", file=sys.stderr)
        return 1
    print(
        MSG_EXPORTED.format(
            station=doc["station_id"], path=path, acks=len(doc["acks"]), updates=len(doc["updates"])
        )
    )
    return 0
