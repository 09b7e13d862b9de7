"""`cardstation gateway` actions of the card centre: replies, bank-side losses, revocations, parameters.

Each produces one downlink kind the station handles (sync/gateway/flows.py says which), so a
county can carry a business through to its end from the reference gateway.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def add_parsers(sub: Any, needs_extra: Any) -> None:
    d = sub.add_parser("decide-bank-change", help="服务中心答复发卡银行变更申请（复函，HN 24）")
    d.add_argument("--db", "--database", dest="gw_db", required=True)
    d.add_argument("--receipt-no", required=True, help="服务站的受理编号")
    choice = d.add_mutually_exclusive_group(required=True)
    choice.add_argument("--approve", action="store_true", help="同意变更")
    choice.add_argument("--reject", action="store_true", help="不同意变更")
    d.add_argument("--reason", default="", help="答复说明")
    d.set_defaults(func=needs_extra(_decide))
    b = sub.add_parser("bank-loss", help="登记在银行办理的挂失（HN 20(3)），下发到持卡人网点")
    b.add_argument("--db", "--database", dest="gw_db", required=True)
    b.add_argument("--card-number", required=True)
    b.add_argument("--kind", choices=("temp", "formal"), required=True, help="temp=临时挂失，formal=正式挂失")
    b.add_argument("--station-id", default="", help="空=按制卡记录找网点")
    b.add_argument("--verbal", action="store_true", help="电话口头挂失（临时挂失，7 天后自动解除，HN 21）")
    b.set_defaults(func=needs_extra(_bank_loss))
    lift = sub.add_parser("bank-loss-lift", help="登记在银行办理的解挂（HN 22(3)）")
    lift.add_argument("--db", "--database", dest="gw_db", required=True)
    lift.add_argument("--card-number", required=True)
    lift.add_argument("--station-id", default="")
    lift.set_defaults(func=needs_extra(_bank_lift))
    o = sub.add_parser("revoke-operator", help="停用某服务站的操作员账户（R-SEC-2）")
    o.add_argument("--db", "--database", dest="gw_db", required=True)
    o.add_argument("--station-id", required=True)
    o.add_argument("--username", required=True)
    o.add_argument("--reason", default="")
    o.set_defaults(func=needs_extra(_revoke_operator))
    p = sub.add_parser("publish-profile", help="下发省业务参数文件（TOML，先校验）")
    p.add_argument("--db", "--database", dest="gw_db", required=True)
    p.add_argument("file")
    p.add_argument("--station-id", default="*")
    p.set_defaults(func=needs_extra(_profile))
    c = sub.add_parser("publish-calendar", help="下发节假日安排（格式见 docs/calendar.md）")
    c.add_argument("--db", "--database", dest="gw_db", required=True)
    c.add_argument("file")
    c.add_argument("--station-id", default="*")
    c.set_defaults(func=needs_extra(_calendar))


def _gateway(args: argparse.Namespace) -> Any:
    from sync.gateway.app import create_app

    return create_app(args.gw_db)


def _run(fn: Any) -> int:
    from sync.gateway.flows import FlowError

    try:
        fn()
    except FlowError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"无法读取文件：{exc.strerror or exc}。请核对文件路径。", file=sys.stderr)
        return 1
    print("已加入下发队列，服务站下次同步时收到。")
    return 0


def _now() -> datetime:
    return datetime.now(UTC)


def _decide(args: argparse.Namespace) -> int:
    from sync.gateway.flows import decide_bank_change

    gw = _gateway(args)
    return _run(
        lambda: decide_bank_change(
            gw.db, args.receipt_no, approved=bool(args.approve), reason=args.reason, now=_now()
        )
    )


def _bank_loss(args: argparse.Namespace) -> int:
    from sync.gateway.flows import report_bank_loss

    gw = _gateway(args)
    return _run(
        lambda: report_bank_loss(
            gw.db,
            args.card_number,
            kind=args.kind,
            now=_now(),
            station_id=args.station_id,
            verbal=args.verbal,
        )
    )


def _bank_lift(args: argparse.Namespace) -> int:
    from sync.gateway.flows import lift_bank_loss

    gw = _gateway(args)
    return _run(lambda: lift_bank_loss(gw.db, args.card_number, now=_now(), station_id=args.station_id))


def _revoke_operator(args: argparse.Namespace) -> int:
    from sync.gateway.flows import revoke_operator

    gw = _gateway(args)
    return _run(
        lambda: revoke_operator(gw.db, args.station_id, args.username, reason=args.reason, now=_now())
    )


def _profile(args: argparse.Namespace) -> int:
    from sync.gateway.flows import publish_profile

    gw = _gateway(args)
    return _run(
        lambda: publish_profile(
            gw.db, Path(args.file).read_text(encoding="utf-8"), now=_now(), station_id=args.station_id
        )
    )


def _calendar(args: argparse.Namespace) -> int:
    from offline.workdays import CalendarUpdateError, calendar_update_rows
    from sync.gateway.flows import FlowError, publish_calendar

    gw = _gateway(args)

    def go() -> None:
        try:
            rows = calendar_update_rows(Path(args.file).read_text(encoding="utf-8"))
        except CalendarUpdateError as exc:
            raise FlowError(f"日历文件有误：{exc}") from exc
        days = [(d.isoformat(), w, n) for d, w, n in rows]
        publish_calendar(gw.db, days, now=_now(), station_id=args.station_id)

    return _run(go)
