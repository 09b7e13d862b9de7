"""`cardstation restore FILE [--station-id ID]`: put a backup copy back in place of the store.

Refuses a copy of another station or a damaged copy; the store it replaces is first backed up
(`…-before-restore.db` in the backup folder), so a wrong restore can itself be undone.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

HELP = "从备份恢复本站数据库（拒绝别站的备份；先备份被替换的数据库）"
MSG_DONE = "已从 {src} 恢复（{businesses} 笔业务，审计链 {entries} 条完整）。"
MSG_SAFETY = "恢复前的数据库已另存为 {path}（如恢复错了，可再用它恢复回去）。"
MSG_AFTER = (
    "备份之后办理的业务不在恢复后的数据库中，请核对纸质回执补录；其中已上传的，卡管系统仍然保存。"
    "请运行 cardstation sync --once：备份中已上传过的业务会被网关按编号识别，不会重复入账。"
)


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("restore", help=HELP, description=HELP)
    p.add_argument("file", metavar="FILE", help="备份文件（cardstation backup 生成的 station-….db）")
    p.add_argument("--station-id", help="本机站号（本机尚无数据库时必填，用来核对备份属于本站）")
    p.add_argument("--backup-dir", metavar="DIR", help="被替换的数据库另存到哪里（默认数据库旁的 backups/）")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from cardstation.wiring import guarded

    return guarded(_restore)(args)


def _restore(args: argparse.Namespace) -> int:
    from cardstation.wiring import now, resolve_db_path
    from offline.backup import restore_backup

    station = args.station_id.strip() if args.station_id else None
    result = restore_backup(
        Path(args.file).expanduser(),
        resolve_db_path(args.db),
        now=now(),
        station_id=station,
        backup_dir=Path(args.backup_dir).expanduser() if args.backup_dir else None,
    )
    print(
        MSG_DONE.format(
            src=result.restored_from, businesses=result.check.businesses, entries=result.check.audit_entries
        )
    )
    if result.safety_copy:
        print(MSG_SAFETY.format(path=result.safety_copy))
    print(MSG_AFTER)
    return 0
