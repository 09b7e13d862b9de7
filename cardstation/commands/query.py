"""`cardstation query`: item 11 (制卡进度及卡状态查询) on the command line, for county staff and scripts.

    cardstation query (--ssn SSN | --card NUMBER | --receipt NO) [--json] [--as USER]

Read-only; the same service as the query screen (`offline.services.queries.card_progress`, R-INFO-3),
so the permission check ('query') and the answer are the screen's. The operator is `--as USER`, else
`$CARDSTATION_USER`; the password comes from a prompt or `CARDSTATION_PASSWORD`. `--json` prints
{"person": {ssn, name}, "cards": [{number, status, status_label, bank, ...}], "applications": [...],
"lines": [...]}. Exit codes: 0 found, 1 not found / refused, 2 missing input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

HELP = "查询制卡进度及卡状态（按社会保障号码、卡号或受理编号；只读）"
MSG_NEED_USER = "请用 --as 指定查询人（操作员用户名），或设置环境变量 CARDSTATION_USER。"


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("query", help=HELP, description=HELP)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--ssn", help="社会保障号码（18 位）")
    what.add_argument("--card", help="社会保障卡卡号（9 位）")
    what.add_argument("--receipt", help="受理编号")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--as", dest="user", metavar="USER", help="查询人（操作员用户名；默认 $CARDSTATION_USER）")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from cardstation.wiring import guarded

    return guarded(_query)(args)


def to_json(report: Any) -> dict[str, Any]:
    """The machine-readable answer: person, each card with its Chinese status label, applications."""
    return {
        "person": {"ssn": report.ssn, "name": report.person_name},
        "cards": [
            {
                "number": c.card_number,
                "status": c.status,
                "status_label": c.status_label,
                "bank": c.bank,
                "issue_date": c.issue_date,
                "expiry_date": c.expiry_date,
            }
            for c in report.cards
        ],
        "applications": [
            {
                "receipt_no": a.receipt_no,
                "kind": a.kind_label,
                "status": a.status,
                "status_label": a.status_label,
                "bank": a.bank,
                "deadline": a.deadline,
            }
            for a in report.applications
        ],
        "lines": list(report.lines),
    }


def _query(args: argparse.Namespace) -> int:
    from cardstation.wiring import EXIT_INPUT, login, make_context, open_station, resolve_db_path
    from offline.errors import DomainError
    from offline.services.queries import card_progress

    user = args.user or os.environ.get("CARDSTATION_USER", "")
    if not user:
        print(f"错误：{MSG_NEED_USER}", file=sys.stderr)
        return EXIT_INPUT
    store, station = open_station(resolve_db_path(args.db))
    try:
        operator = login(store, station, user)
        ctx = make_context(store, station, operator, sealer=_NoSealer())
        try:
            report = card_progress(ctx, ssn=args.ssn, card_number=args.card, receipt_no=args.receipt)
        except DomainError as exc:
            if args.json:
                print(json.dumps({"error": str(exc)}, ensure_ascii=False))
            print(f"未查到：{exc}", file=sys.stderr)
            return 1
    finally:
        store.close()
    if args.json:
        print(json.dumps(to_json(report), ensure_ascii=False))
    else:
        print("\n".join(report.lines))
    return 0


class _NoSealer:
    """The query writes nothing, so it seals nothing (and needs no enrolment)."""

    def seal(self, header: Any, payload: bytes, *, compress: bool = True) -> bytes:
        raise RuntimeError("query is read-only")
