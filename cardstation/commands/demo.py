"""`cardstation demo [--dir DIR] [--fresh]`: one command that shows everything.

Creates (or with --fresh recreates) the demo directory, the demo store (Hunan station, demo
operators, ~200 invented persons through the real services), starts the local reference
gateway and enrols the station with it, starts the emulated reader (behind pcscd when pcscd
runs, else in-process — the screen says "模拟读卡器" either way), and runs the TUI at the login
screen with the demo credentials shown. Subprocesses are stopped on exit, whatever happens.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

HELP = "演示：建立演示数据、启动本地卡管网关和模拟读卡器，然后打开终端界面"


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("demo", help=HELP, description=HELP)
    p.add_argument("--dir", help="演示数据目录（默认 ./demo-data）")
    p.add_argument("--fresh", action="store_true", help="删除旧的演示数据后重新生成")
    p.add_argument("--persons", type=int, default=200, help="虚构人员数量（默认 200）")
    p.add_argument("--ascii", action="store_true", help="用纯 ASCII 字符画边框")
    p.add_argument("--no-color", action="store_true", help="不使用颜色")
    p.add_argument("--config", help="配置文件路径")
    p.add_argument("--no-tui", action="store_true", help="只准备数据和服务，不打开界面（测试用）")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from cardstation.extras import require_gateway_extra
    from cardstation.wiring import guarded

    if not require_gateway_extra():  # the demo runs the local reference gateway
        return 2

    return guarded(_demo)(args)


def _demo(args: argparse.Namespace) -> int:
    from datetime import datetime

    from cardstation import demo_setup as ds
    from cardstation.commands.run import apply_terminal_env, build_services, load_terminal_config, run_app
    from offline.store import Store
    from tui.context import DemoAccount

    config = load_terminal_config(args)
    apply_terminal_env(config)
    root = Path(args.dir) if args.dir else ds.default_demo_dir()
    root.mkdir(parents=True, exist_ok=True)
    if args.fresh:
        ds.remove_demo_dir(root)
    db = root / "station.db"
    gateway = ds.Gateway(root / "gateway.db")
    emulator = None
    try:
        print("正在启动本地卡管网关……", file=sys.stderr, flush=True)
        gateway.start()
        report = ds.DemoReport()
        if not db.exists():
            print("正在生成演示数据（首次约需半分钟）……", file=sys.stderr, flush=True)
            store = Store.open(db)
            info = ds.create_station(store, datetime.now().astimezone())
            report.ok(ds.enrol_station(store, gateway, info.station_id))
            ds.seed(store, info, sync_url=gateway.url, persons=args.persons, report=report)
            store.close()
        for line in report.lines:
            print("  " + line, file=sys.stderr)
        card_state = root / "card.json"
        if ds.pcscd_running():
            emulator = ds.start_vpcd_emulator(card_state)
        accounts = tuple(DemoAccount(u, p, n, r) for u, p, n, r in ds.DEMO_OPERATORS)
        config = config.with_overrides(sync_url=config.sync_url or gateway.url)
        if emulator is not None:
            services = build_services(
                db, config, demo=True, demo_accounts=accounts, reader_label="模拟读卡器 测试密钥"
            )
        else:
            services = build_services(
                db,
                config,
                card_provider=ds.in_process_card_provider(card_state),
                reader_label="模拟读卡器（进程内） 测试密钥",
                demo=True,
                demo_accounts=accounts,
                use_pcsc=False,
            )
        if args.no_tui:
            print(f"演示就绪：{db}，网关 {gateway.url}", flush=True)
            return 0
        return run_app(services, config)
    finally:
        ds.stop_process(emulator)
        gateway.stop()
