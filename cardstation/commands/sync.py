"""`cardstation sync`: one run (`--once [--json]`), the daemon (`--daemon`), status, fix-and-resend."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

HELP = "与卡管系统同步：上传待发业务、接收下发更新"


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("sync", help=HELP, description=HELP)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--once", action="store_true", help="同步一次并打印报告")
    mode.add_argument("--daemon", action="store_true", help="常驻：连通时、定时、按需同步（SIGTERM 结束）")
    mode.add_argument("--status", action="store_true", help="显示链路与队列状态")
    mode.add_argument(
        "--resend", metavar="ENVELOPE_ID", help="修复并重发：重新封装隔离/冲突的数据包（all = 全部）"
    )
    from cardstation.commands.sync_bundles import add_modes

    add_modes(mode)
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--url", help="覆盖本站设置的网关地址")
    p.add_argument("--interval", type=float, default=300.0, help="守护进程定时同步间隔（秒）")
    p.add_argument("--probe-interval", type=float, default=15.0, help="断网时探测间隔（秒）")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from cardstation.commands.sync_bundles import dispatch
    from offline.store import Store

    handled = dispatch(args)
    if handled is not None:
        return handled

    store = Store.open(args.db)
    if args.status:
        return _status(store, args)
    if args.resend:
        return _resend(store, args)
    if args.daemon:
        return _daemon(store, args)
    return _once(store, args)


def _once(store: Any, args: argparse.Namespace) -> int:
    from sync.engine import SyncEngine

    report = SyncEngine(store, url=args.url).run_once()
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.text_zh())
    return 0 if report.ok else 1


def _status(store: Any, args: argparse.Namespace) -> int:
    from cardstation.doctor import profile_check
    from sync.status import sync_status

    st = sync_status(store)
    profile = profile_check(store)  # is the card management system's profile update in force?
    if args.json:
        print(json.dumps({**st.to_dict(), "profile": asdict(profile)}, ensure_ascii=False, indent=2))
    else:
        print(st.line_zh())
        if st.last_error:
            print(f"最近错误：{st.last_error.get('message', '')}（{st.last_error.get('at', '')}）")
        print(profile.line())
    return 0


def _resend(store: Any, args: argparse.Namespace) -> int:
    from sync import messages
    from sync.engine import resend_quarantined
    from sync.keys import NotEnrolled

    try:
        n = resend_quarantined(store, None if args.resend == "all" else [args.resend])
    except NotEnrolled as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(messages.RESENT.format(count=n))
    return 0 if n else 1


def _daemon(store: Any, args: argparse.Namespace) -> int:
    import logging

    from cardstation.logs import setup as setup_logging
    from sync import messages
    from sync.daemon import DaemonConfig, SyncDaemon, peak_rss_mb

    where = setup_logging(store.path.parent)
    log = logging.getLogger("cardstation.sync")

    def show(report: Any) -> None:
        if args.json:
            print(json.dumps(report.to_dict(), ensure_ascii=False), flush=True)
        elif report.sent or report.downlink_applied or report.errors:
            print(report.text_zh(), flush=True)

    d = SyncDaemon(
        store,
        url=args.url,
        config=DaemonConfig(interval_s=args.interval, probe_interval_s=args.probe_interval),
        on_report=show,
    )
    d.install_signals()
    print(messages.DAEMON_STARTED.format(url=d.url), file=sys.stderr, flush=True)
    log.info("sync daemon started (url %s, store %s, log %s)", d.url, store.path, where)
    d.serve()
    log.info("sync daemon stopped")
    print(messages.DAEMON_STOPPED + f"（峰值内存 {peak_rss_mb():.0f} MB）", file=sys.stderr, flush=True)
    return 0
