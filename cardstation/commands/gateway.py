"""`cardstation gateway`: the reference card-management gateway (serve, register, revoke, rotate)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HELP = "参考卡管网关：服务、注册/停用服务站、更换服务器密钥"


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("gateway", help=HELP, description=HELP)
    sub = p.add_subparsers(dest="gateway_command", metavar="ACTION", required=True)
    s = sub.add_parser("serve", help="启动网关（uvicorn）")
    s.add_argument(
        "--db",
        "--database",
        dest="gw_db",
        required=True,
        help="网关数据库：SQLite 文件路径，或 PostgreSQL 地址 postgresql://用户:口令@主机:端口/库名",
    )
    s.add_argument(
        "--kek",
        help="使用 PostgreSQL 时：服务器私钥的加密密钥文件（默认 ~/.config/cardstation/gateway-pg.kek）",
    )
    s.add_argument("--workers", type=int, default=1, help="工作进程数（多于 1 个时须用 PostgreSQL 数据库）")
    s.add_argument("--fd", type=int, help=argparse.SUPPRESS)  # a worker: serve this inherited socket
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8780)
    s.add_argument("--demo", action="store_true", help="演示模式：受理后立即制卡、寄送")
    s.add_argument("--production-days", type=float, default=5.0, help="模拟制卡天数")
    s.add_argument(
        "--rotation-overlap", type=float, default=600.0, help="站点换密钥后旧密钥仍可用的秒数（默认 600）"
    )
    s.add_argument("--header-timeout", type=float, default=20.0, help="请求头须在 N 秒内收完（防慢速连接）")
    s.add_argument("--min-body-rate", type=float, default=500.0, help="请求体最低速率（字节/秒），低于则断开")
    s.set_defaults(func=_needs_extra(_serve))
    r = sub.add_parser("register-station", help="为服务站发放一次性注册码（或直接登记其公钥文件）")
    r.add_argument("--db", "--database", dest="gw_db", required=True)
    r.add_argument("--station-id", required=True)
    r.add_argument("--public-key", help="站点 Ed25519 公钥文件（PEM）；给出则直接登记，不发注册码")
    r.add_argument("--area", default="", help="服务片区：行政区划代码前缀，逗号分隔，例如 430121,430122")
    r.set_defaults(func=_needs_extra(_register))
    v = sub.add_parser("revoke-station", help="停用服务站（其数据包一律拒收）")
    v.add_argument("--db", "--database", dest="gw_db", required=True)
    v.add_argument("--station-id", required=True)
    v.add_argument("--reason", default="")
    v.set_defaults(func=_needs_extra(_revoke))
    k = sub.add_parser("rotate-key", help="新增服务器加密密钥（旧密钥在到期前仍可解封）")
    k.add_argument("--db", "--database", dest="gw_db", required=True)
    k.add_argument("--retire-old-after-days", type=float, help="把旧密钥的有效期缩短到 N 天后")
    k.add_argument(
        "--suite", type=int, choices=(1, 2), default=1, help="加密套件：1 国际算法（默认），2 国密 SM2"
    )
    k.set_defaults(func=_needs_extra(_rotate))
    u = sub.add_parser("push-update", help="向服务站下发一条更新（演示/测试）")
    u.add_argument("--db", "--database", dest="gw_db", required=True)
    u.add_argument("--station-id", required=True, help="站号；* = 所有站")
    u.add_argument("--kind", required=True)
    u.add_argument("--payload", required=True, help="JSON")
    u.add_argument("--update-id")
    u.set_defaults(func=_needs_extra(_push))
    m = sub.add_parser(
        "migrate", help="把网关数据库结构升级到本程序的版本（serve 启动时也会自动升级）并显示版本"
    )
    m.add_argument(
        "--db",
        "--database",
        dest="gw_db",
        required=True,
        help="网关数据库：SQLite 文件路径，或 PostgreSQL 地址 postgresql://用户:口令@主机:端口/库名",
    )
    m.set_defaults(func=_needs_extra(_migrate))
    t = sub.add_parser("stats", help="收件统计（按结果与拒收原因）")
    t.add_argument("--db", "--database", dest="gw_db", required=True)
    t.set_defaults(func=_needs_extra(_stats))
    from cardstation.commands.gateway_bundles import add_actions
    from cardstation.commands.gateway_flows import add_parsers
    from cardstation.commands.gateway_roster import add_roster_parser

    add_actions(sub, _needs_extra)
    add_roster_parser(sub, _needs_extra)
    add_parsers(sub, _needs_extra)


EXIT_MISSING_EXTRA = 2


def _needs_extra(handler: Any) -> Any:
    """Every gateway action needs the `gateway` extra (starlette, uvicorn): check it first."""

    def run(args: argparse.Namespace) -> int:
        from cardstation.extras import require_gateway_extra

        if not require_gateway_extra():
            return EXIT_MISSING_EXTRA
        return int(handler(args))

    return run


def _gateway(args: argparse.Namespace, **kw: Any) -> Any:
    from sync.gateway.app import create_app

    kek = getattr(args, "kek", None)
    return create_app(args.gw_db, kek_path=Path(kek) if kek else None, **kw)


def _serve(args: argparse.Namespace) -> int:
    from cardstation.lifeline import die_with_parent

    die_with_parent()  # the demo's gateway (and a worker, its supervisor) never outlives its parent
    if args.workers != 1:
        from cardstation.commands.gateway_workers import supervise
        from sync.gateway.pgdb import is_postgres_url

        if not 1 <= args.workers <= 64:
            print(f"错误：工作进程数须在 1 到 64 之间（收到 {args.workers}）。", file=sys.stderr)
            return 2
        if not is_postgres_url(args.gw_db):
            print(
                "错误：多个工作进程（--workers）须共用 PostgreSQL 数据库："
                "请用 --database postgresql://…，或去掉 --workers 使用 SQLite 文件。",
                file=sys.stderr,
            )
            return 2
        from sync.gateway.pgdb import open_gateway_db

        # Migrate once before any worker starts: a store too new for this code is one clear
        # message here, not N workers failing and being restarted.
        open_gateway_db(args.gw_db, kek_path=Path(args.kek) if args.kek else None).close()
        return supervise(args)
    from datetime import timedelta

    import uvicorn

    from sync.gateway.serve import BODY_GRACE_S, protocol_class

    gw = _gateway(
        args,
        production_days=0.0 if args.demo else args.production_days,
        rotation_overlap=timedelta(seconds=args.rotation_overlap),
    )
    from sync.gateway.pgdb import redact

    where = f"工作进程 {os.getpid()}" if args.fd is not None else f"http://{args.host}:{args.port}"
    print(f"卡管网关：{where}（数据库 {redact(args.gw_db)}）", file=sys.stderr, flush=True)
    bind: dict[str, Any] = {"fd": args.fd} if args.fd is not None else {"host": args.host, "port": args.port}
    uvicorn.run(
        gw.app,
        **bind,
        log_level="warning",
        access_log=False,
        http=protocol_class(args.header_timeout, min(BODY_GRACE_S, args.header_timeout), args.min_body_rate),
        timeout_keep_alive=5,
    )
    return 0


def _register(args: argparse.Namespace) -> int:
    from sync.gateway import catalogue

    try:
        area = catalogue.normalise_area(args.area)
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    gw = _gateway(args)
    now = datetime.now(UTC)
    if area:
        from sync.gateway import snapshot

        catalogue.set_area(gw.db, args.station_id, area)
        # Built now, so the station's enrolment downloads at once instead of waiting for a build.
        meta = snapshot.build(gw.db, gw.keyring.downlink(), args.station_id, now)
        print(
            f"服务站 {args.station_id} 的服务片区：{'、'.join(area)}（名册 {meta['rows']} 条，"
            f"{meta['size']} 字节）",
            file=sys.stderr,
        )
    if args.public_key:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519

        try:
            key = serialization.load_pem_public_key(Path(args.public_key).read_bytes())
        except ValueError:
            key = None
        if not isinstance(key, ed25519.Ed25519PublicKey):
            print("公钥文件不是 Ed25519 公钥。", file=sys.stderr)
            return 1
        bundle = gw.keyring.register(args.station_id, key.public_bytes_raw(), now)
        print(json.dumps(bundle, ensure_ascii=False, indent=2))
        return 0
    token = gw.keyring.issue_token(args.station_id, now)
    print(token)
    print(f"服务站 {args.station_id} 的一次性注册码（7 天内有效）。在该站运行：", file=sys.stderr)
    print(f"  cardstation keys enrol --url <网关地址> --token={token}", file=sys.stderr)
    return 0


def _revoke(args: argparse.Namespace) -> int:
    ok = _gateway(args).keyring.revoke_station(args.station_id, args.reason, datetime.now(UTC))
    print(f"服务站 {args.station_id} 已停用。" if ok else f"没有服务站 {args.station_id}。")
    return 0 if ok else 1


def _rotate(args: argparse.Namespace) -> int:
    kid = _gateway(args).keyring.rotate_hpke_key(
        datetime.now(UTC), retire_old_after_days=args.retire_old_after_days, suite=args.suite
    )
    print(f"新服务器密钥 {kid}（加密套件 {args.suite}）已生成；该套件的各站下次同步时自动更新。")
    return 0


def _push(args: argparse.Namespace) -> int:
    import uuid

    from sync.gateway.production import add_update

    try:
        payload = json.loads(args.payload)
    except ValueError:
        print('--payload 不是有效的 JSON（例如 \'{"card_number": "S0001"}\'）。', file=sys.stderr)
        return 1
    gw = _gateway(args)
    with gw.db.write() as conn:
        add_update(
            conn,
            args.station_id,
            args.update_id or uuid.uuid4().hex,
            args.kind,
            payload,
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
    print("已加入下发队列。")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    """Apply pending schema migrations (as `serve` does at start) and say where the store stands."""
    from sync.gateway.pgdb import open_gateway_db, redact

    db = open_gateway_db(args.gw_db)
    try:
        before, after = db.schema
    finally:
        db.close()
    where = redact(str(args.gw_db))
    if before == after:
        print(f"网关数据库 {where} 的结构已是最新：版本 {after}。")
    elif before == 0:
        print(f"网关数据库 {where} 已建立：结构版本 {after}。")
    else:
        print(f"网关数据库 {where} 的结构已从版本 {before} 升级到版本 {after}。")
    return 0


def _stats(args: argparse.Namespace) -> int:
    print(json.dumps(_gateway(args).db.event_totals(), ensure_ascii=False, indent=2))
    return 0
