"""`cardstation gateway roster`: load a province card-holder extract, record status changes.

    cardstation gateway roster import --db GW FILE [--json]
    cardstation gateway roster set-status --db GW (--card NUMBER --status 卡状态 | --ssn SSN --person-status 死亡)

`set-status` is how the province's side records what happened elsewhere (a loss reported at the
bank, a death); the change reaches the stations of the holder's area on their next sync.
Exit codes: 0 done (bad rows are listed, the others imported), 1 refused, 2 unusable file.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HELP = "持卡人名册：导入省级名册文件、登记卡状态变化"
STATUS_CHOICES = "正常、临时挂失、正式挂失、密码锁定、已注销、制卡中、待领取"


def add_roster_parser(sub: Any, needs_extra: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("roster", help=HELP, description=HELP)
    rs = p.add_subparsers(dest="roster_command", metavar="ACTION", required=True)
    i = rs.add_parser("import", help="导入持卡人名册 CSV（UTF-8 或 GBK；重复导入即更新）")
    i.add_argument(
        "--db",
        "--database",
        dest="gw_db",
        required=True,
        help="网关数据库：SQLite 文件路径或 postgresql:// 地址",
    )
    i.add_argument("file", metavar="FILE", help="名册 CSV 文件")
    i.add_argument("--json", action="store_true", help="以 JSON 输出结果")
    i.set_defaults(func=needs_extra(_import))
    s = rs.add_parser("set-status", help="登记在别处发生的卡状态或人员状态变化（如银行挂失、死亡）")
    s.add_argument("--db", "--database", dest="gw_db", required=True)
    s.add_argument("--card", default="", help="社会保障卡卡号")
    s.add_argument("--status", default="", help=f"新的卡状态：{STATUS_CHOICES}")
    s.add_argument("--ssn", default="", help="社会保障号码（登记人员状态时）")
    s.add_argument("--person-status", default="", help="人员状态：正常、死亡、出国（境）定居")
    s.set_defaults(func=needs_extra(_set_status))


def _db(args: argparse.Namespace) -> Any:
    from sync.gateway.pgdb import open_gateway_db

    return open_gateway_db(args.gw_db)


def _import(args: argparse.Namespace) -> int:
    from sync.gateway.roster import RosterFileError, import_roster

    try:
        report = import_roster(_db(args), Path(args.file))
    except RosterFileError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    if args.json:
        doc = {
            "imported": report.imported,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "bad": report.bad,
            "encoding": report.encoding,
            "problems": [{"line": line, "reason": reason} for line, reason in report.problems],
        }
        print(json.dumps(doc, ensure_ascii=False))
        return 0
    for line, reason in report.problems[:200]:
        print(f"第 {line} 行：{reason}")
    if len(report.problems) > 200:
        print(f"……另有 {report.bad - 200} 行有误（用 --json 查看全部）")
    print(report.line_zh())
    return 0


def _set_status(args: argparse.Namespace) -> int:
    from sync.gateway import catalogue

    at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        if args.card and args.status:
            done = catalogue.set_card_status(_db(args), args.card, args.status, at)
            label = catalogue.CARD_STATUS_LABELS[done["status"]]
            print(f"卡号 {done['card_number']} 已登记为“{label}”；已向 {done['stations']} 个服务站下发。")
        elif args.ssn and args.person_status:
            done = catalogue.set_person_status(_db(args), args.ssn, args.person_status, at)
            label = catalogue.PERSON_STATUS_LABELS[done["person_status"]]
            print(f"社会保障号码 {done['ssn']} 已登记为“{label}”；已向 {done['stations']} 个服务站下发。")
        else:
            print(
                "错误：请给出 --card 卡号 与 --status 卡状态，或 --ssn 社会保障号码 与 --person-status 人员状态。",
                file=sys.stderr,
            )
            return 2
    except catalogue.CatalogueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    return 0
