"""`cardstation doctor [--json]`: check the station (reader, printer, keys, clock, disk, calendar,
store, backup, file modes) and say what to do. Exit 0 healthy, 1 warnings, 2 errors.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

HELP = "体检本站：读卡器、打印机、密钥、时钟、磁盘、日历、数据库、备份、文件权限"
MSG_SUMMARY = {
    "ok": "体检结果：一切正常。",
    "warning": "体检结果：有 {n} 项需要留意。",
    "error": "体检结果：有 {n} 项错误，请按提示处理。",
}


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("doctor", help=HELP, description=HELP)
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--config", help="终端配置文件（读取其中的打印机、网关地址）")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from cardstation.wiring import guarded

    return guarded(_doctor)(args)


def _doctor(args: argparse.Namespace) -> int:
    from cardstation import doctor
    from cardstation.commands.run import load_terminal_config
    from cardstation.wiring import now, open_station, resolve_db_path, station_profile

    config = load_terminal_config(args)
    path = resolve_db_path(args.db)
    store_mode = doctor.file_mode(path)
    store, info = open_station(path)
    try:
        ctx = doctor.Context(
            store=store,
            profile=station_profile(store, info),
            now=now(),
            printer=config.printer,
            sync_url=config.sync_url or None,
            store_mode=store_mode,
        )
        checks = doctor.run_checks(ctx)
    finally:
        store.close()
    level = doctor.overall(checks)
    if args.json:
        print(json.dumps(doctor.to_json(checks), ensure_ascii=False, indent=2))
    else:
        print(f"服务站 {info.station_id}（{store.path}）")
        for c in checks:
            print(c.line())
        print(MSG_SUMMARY[level].format(n=sum(1 for c in checks if c.level == level)))
    return doctor.EXIT[level]
