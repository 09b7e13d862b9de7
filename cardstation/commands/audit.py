"""`cardstation audit verify`: walk the hash-chained audit trail (R-SEC-3).

Read-only: the store is opened without migrating, so a verification never changes the file
it checks. Exit 0 when the chain holds, 1 naming the first bad entry otherwise.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

HELP = "审计记录（哈希链）"
HELP_VERIFY = "校验审计链：记录被修改、删除或调换顺序时指出第一条有问题的记录"
MSG_OK = "审计链完整：共 {n} 条记录。"
MSG_BAD = "审计链被破坏：第 {seq} 条记录——{reason}（已检查 {n} 条）。"
MSG_NO_FILE = "数据库文件 {path} 不存在。"
MSG_NOT_STATION = "{path} 不是服务站数据库（空文件或其他程序的文件），没有可核验的审计链。请核对 --db 路径。"


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("audit", help=HELP, description=HELP)
    sub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    v = sub.add_parser("verify", help=HELP_VERIFY, description=HELP_VERIFY)
    v.add_argument("--json", action="store_true", help="以 JSON 输出结果")
    v.set_defaults(func=_run_verify)


def _run_verify(args: argparse.Namespace) -> int:
    from cardstation.wiring import guarded

    return guarded(_verify)(args)


def _verify(args: argparse.Namespace) -> int:
    from cardstation.wiring import resolve_db_path
    from offline import audit
    from offline.errors import StoreError
    from offline.store import Store

    path: Path = resolve_db_path(args.db)
    if not path.exists():
        raise StoreError("no_file", MSG_NO_FILE.format(path=path))
    store = Store.open(path, migrate=False)
    try:
        tables = {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if store.user_version() == 0 or "audit" not in tables:
            raise StoreError("not_a_station", MSG_NOT_STATION.format(path=path))
        report = audit.verify(store.connection())
    finally:
        store.close()
    if args.json:
        print(
            json.dumps(
                {
                    "ok": report.ok,
                    "entries": report.entries,
                    "first_bad_seq": report.first_bad_seq,
                    "reason": report.reason,
                },
                ensure_ascii=False,
            )
        )
    elif report.ok:
        print(MSG_OK.format(n=report.entries))
    else:
        print(MSG_BAD.format(seq=report.first_bad_seq, reason=report.reason, n=report.entries))
    return 0 if report.ok else 1
