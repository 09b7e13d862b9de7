"""`cardstation backup [--to DIR] [--keep N]`: a verified copy of the running store (also the daily timer's job).

`--mirror DIR` configures the second folder (a second disk or USB stick) that every later backup
also fills; `--no-mirror` removes it. Exit 0 when the copy is made and verified; 1 when it is
made but the second folder could not be written (the local copy is good); refusals print why.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

HELP = "备份本站数据库（运行中也可备份；校验后保留最近 N 份）"
MSG_DONE = "已备份到 {path}（{businesses} 笔业务，审计链 {entries} 条完整，用时 {seconds:.1f} 秒）。"
MSG_PRUNED = "已删除较早的备份 {n} 份（保留最近 {keep} 份）。"
MSG_MIRROR = "已复制到第二备份目录：{path}"
MSG_MIRROR_SET = "第二备份目录已设为 {path}：以后每次备份（含每日定时备份）都复制一份到那里。"
MSG_MIRROR_OFF = "已取消第二备份目录。"
MSG_MIRROR_MISSING = "目录 {path} 不存在：请先插好U盘或挂载第二块硬盘，再设置。"


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("backup", help=HELP, description=HELP)
    p.add_argument("--to", metavar="DIR", help="备份目录（默认：数据库旁的 backups/ 或已设置的目录）")
    p.add_argument("--keep", type=int, metavar="N", help="保留最近 N 份（默认 14，或已设置的值）")
    p.add_argument("--mirror", metavar="DIR", help="设置第二备份目录（第二块硬盘或U盘），然后备份")
    p.add_argument("--no-mirror", action="store_true", help="取消第二备份目录")
    p.add_argument("--json", action="store_true", help="以 JSON 输出结果")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from cardstation.wiring import guarded

    return guarded(_backup)(args)


def _backup(args: argparse.Namespace) -> int:
    from cardstation.wiring import now, open_station, resolve_db_path
    from offline import backup
    from offline.errors import StoreError

    store, _info = open_station(resolve_db_path(args.db))
    try:
        if args.mirror or args.no_mirror:
            with store.write() as conn:
                if args.no_mirror:
                    conn.execute("DELETE FROM settings WHERE key = ?", (backup.S_MIRROR,))
                else:
                    mirror = Path(args.mirror).expanduser().resolve()
                    if not mirror.is_dir():
                        raise StoreError("no_dir", MSG_MIRROR_MISSING.format(path=mirror))
                    store.set_setting(conn, backup.S_MIRROR, str(mirror))
            print(
                MSG_MIRROR_OFF
                if args.no_mirror
                else MSG_MIRROR_SET.format(path=store.setting(backup.S_MIRROR))
            )
        if args.keep is not None:
            if args.keep < 1:
                raise StoreError("bad_keep", "--keep 至少为 1。")
            with store.write() as conn:
                store.set_setting(conn, backup.S_KEEP, str(args.keep))
        to = Path(args.to).expanduser() if args.to else None
        result = backup.backup_store(store, to, now=now(), keep=args.keep)
    finally:
        store.close()
    if args.json:
        print(
            json.dumps(
                {
                    "path": str(result.path),
                    "businesses": result.check.businesses,
                    "audit_entries": result.check.audit_entries,
                    "seconds": round(result.seconds, 2),
                    "removed": [str(p) for p in result.removed],
                    "mirror": str(result.mirror) if result.mirror else None,
                    "mirror_error": result.mirror_error,
                },
                ensure_ascii=False,
            )
        )
    else:
        print(
            MSG_DONE.format(
                path=result.path,
                businesses=result.check.businesses,
                entries=result.check.audit_entries,
                seconds=result.seconds,
            )
        )
        if result.removed:
            print(MSG_PRUNED.format(n=len(result.removed), keep=args.keep or "设定的"))
        if result.mirror:
            print(MSG_MIRROR.format(path=result.mirror))
        if result.mirror_error:
            print(f"注意：{result.mirror_error}")
    return 1 if result.mirror_error else 0
