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
    p.add_argument(
        "--gateway-database",
        metavar="URL",
        help="本地卡管网关的数据库：PostgreSQL 地址 postgresql://用户:口令@主机:端口/库名"
        "（默认演示目录里的 SQLite 文件 gateway.db）",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from cardstation.extras import require_gateway_extra
    from cardstation.wiring import guarded

    if not require_gateway_extra():  # the demo runs the local reference gateway
        return 2

    return guarded(_demo)(args)


MSG_RUNNING = "演示已在运行（目录 {root}）。请先退出正在运行的演示（Ctrl+Q），或用 --dir 指定另一个目录。"
MSG_NOT_POSTGRES = (
    "--gateway-database 须是 PostgreSQL 地址（postgresql://用户:口令@主机:端口/库名），收到：{got}"
)
MSG_OTHER_GATEWAY = (
    "演示目录 {root} 里的服务站是在另一个网关数据库（{was}）注册的，现在指定的是 {now}。"
    "请加 --fresh 重新生成演示数据，或改用原来的网关数据库。"
)
#: which gateway store the demo station was enrolled with (a station enrolled with one gateway
#: does not sync with another's keys)
GATEWAY_STORE_FILE = "gateway-store.txt"


def _gateway_store(args: argparse.Namespace, root: Path) -> tuple[Path | str, str] | str:
    """(store target, its name without password) for the demo gateway, or a Chinese error."""
    from sync.gateway.pgdb import is_postgres_url, redact

    url = (args.gateway_database or "").strip()
    if not url:
        return root / "gateway.db", "gateway.db"
    if not is_postgres_url(url):
        return MSG_NOT_POSTGRES.format(got=redact(url))
    return url, redact(url)


def _same_gateway(root: Path, name: str) -> str:
    """'' when the demo station (if any) was enrolled with this gateway store, else a Chinese error."""
    record = root / GATEWAY_STORE_FILE
    was = record.read_text(encoding="utf-8").strip() if record.exists() else "gateway.db"
    if (root / "station.db").exists() and was != name:
        return MSG_OTHER_GATEWAY.format(root=root, was=was, now=name)
    record.write_text(name + "\n", encoding="utf-8")
    return ""


def _lock(root: Path) -> int | None:
    """An exclusive lock on the demo folder for this process's life; None if another demo has it."""
    import fcntl
    import os

    fd = os.open(root / "demo.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _demo(args: argparse.Namespace) -> int:
    from datetime import datetime

    from cardstation import demo_setup as ds
    from cardstation.commands.run import apply_terminal_env, build_services, load_terminal_config, run_app
    from cardstation.lifeline import exit_on_signals, kill_group, mark_children
    from offline.store import Store
    from tui.context import DemoAccount

    config = load_terminal_config(args)
    apply_terminal_env(config)
    root = Path(args.dir) if args.dir else ds.default_demo_dir()
    root.mkdir(parents=True, exist_ok=True)
    if _lock(root) is None:
        print(f"错误：{MSG_RUNNING.format(root=root)}", file=sys.stderr)
        return 1
    exit_on_signals()  # SIGTERM/SIGHUP: leave through `finally`, which stops the children
    mark_children()  # SIGKILL: the children get SIGTERM from the kernel (PR_SET_PDEATHSIG)
    if args.fresh:
        ds.remove_demo_dir(root)
    store_target = _gateway_store(args, root)
    if isinstance(store_target, str):
        print(f"错误：{store_target}", file=sys.stderr)
        return 2
    target, name = store_target
    problem = _same_gateway(root, name)
    if problem:
        print(f"错误：{problem}", file=sys.stderr)
        return 1
    db = root / "station.db"
    gateway = ds.Gateway(target, folder=root)
    emulator = None
    try:
        print(f"正在启动本地卡管网关（数据库 {name}）……", file=sys.stderr, flush=True)
        if gateway.postgres:  # reachable, schema in place: a wrong URL is said here, in Chinese
            gateway.open().close()
        gateway.start()
        report = ds.DemoReport()
        if not db.exists():
            print("正在生成演示数据（首次约需半分钟）……", file=sys.stderr, flush=True)
            store = Store.open(db, encrypt=True)  # like a real station: SQLCipher, key file
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
        for proc in (emulator, gateway.proc):
            kill_group(proc.pid if proc is not None else None)
        ds.stop_process(emulator)
        gateway.stop()
