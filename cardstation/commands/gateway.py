"""`cardstation gateway`: the reference card-management gateway (serve, register, revoke, rotate)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HELP = "参考卡管网关：服务、注册/停用服务站、更换服务器密钥"


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("gateway", help=HELP, description=HELP)
    sub = p.add_subparsers(dest="gateway_command", metavar="ACTION", required=True)
    s = sub.add_parser("serve", help="启动网关（uvicorn）")
    s.add_argument("--db", dest="gw_db", required=True, help="网关数据库文件")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8780)
    s.add_argument("--demo", action="store_true", help="演示模式：受理后立即制卡、寄送")
    s.add_argument("--production-days", type=float, default=5.0, help="模拟制卡天数")
    s.set_defaults(func=_serve)
    r = sub.add_parser("register-station", help="为服务站发放一次性注册码（或直接登记其公钥文件）")
    r.add_argument("--db", dest="gw_db", required=True)
    r.add_argument("--station-id", required=True)
    r.add_argument("--public-key", help="站点 Ed25519 公钥文件（PEM）；给出则直接登记，不发注册码")
    r.set_defaults(func=_register)
    v = sub.add_parser("revoke-station", help="停用服务站（其数据包一律拒收）")
    v.add_argument("--db", dest="gw_db", required=True)
    v.add_argument("--station-id", required=True)
    v.add_argument("--reason", default="")
    v.set_defaults(func=_revoke)
    k = sub.add_parser("rotate-key", help="新增服务器加密密钥（旧密钥在到期前仍可解封）")
    k.add_argument("--db", dest="gw_db", required=True)
    k.add_argument("--retire-old-after-days", type=float, help="把旧密钥的有效期缩短到 N 天后")
    k.set_defaults(func=_rotate)
    u = sub.add_parser("push-update", help="向服务站下发一条更新（演示/测试）")
    u.add_argument("--db", dest="gw_db", required=True)
    u.add_argument("--station-id", required=True, help="站号；* = 所有站")
    u.add_argument("--kind", required=True)
    u.add_argument("--payload", required=True, help="JSON")
    u.add_argument("--update-id")
    u.set_defaults(func=_push)
    t = sub.add_parser("stats", help="收件统计（按结果与拒收原因）")
    t.add_argument("--db", dest="gw_db", required=True)
    t.set_defaults(func=_stats)
    from cardstation.commands.gateway_flows import add_parsers

    add_parsers(sub)


def _gateway(args: argparse.Namespace, **kw: Any) -> Any:
    from sync.gateway.app import create_app

    return create_app(Path(args.gw_db), **kw)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    gw = _gateway(args, production_days=0.0 if args.demo else args.production_days)
    print(f"卡管网关：http://{args.host}:{args.port}（数据库 {args.gw_db}）", file=sys.stderr, flush=True)
    uvicorn.run(gw.app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


def _register(args: argparse.Namespace) -> int:
    gw = _gateway(args)
    now = datetime.now(UTC)
    if args.public_key:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519

        key = serialization.load_pem_public_key(Path(args.public_key).read_bytes())
        if not isinstance(key, ed25519.Ed25519PublicKey):
            print("公钥文件不是 Ed25519 公钥。", file=sys.stderr)
            return 1
        bundle = gw.keyring.register(args.station_id, key.public_bytes_raw(), now)
        print(json.dumps(bundle, ensure_ascii=False, indent=2))
        return 0
    token = gw.keyring.issue_token(args.station_id, now)
    print(token)
    print(f"服务站 {args.station_id} 的一次性注册码（7 天内有效）。在该站运行：", file=sys.stderr)
    print(f"  cardstation keys enrol --url <网关地址> --token {token}", file=sys.stderr)
    return 0


def _revoke(args: argparse.Namespace) -> int:
    ok = _gateway(args).keyring.revoke_station(args.station_id, args.reason, datetime.now(UTC))
    print(f"服务站 {args.station_id} 已停用。" if ok else f"没有服务站 {args.station_id}。")
    return 0 if ok else 1


def _rotate(args: argparse.Namespace) -> int:
    kid = _gateway(args).keyring.rotate_hpke_key(
        datetime.now(UTC), retire_old_after_days=args.retire_old_after_days
    )
    print(f"新服务器密钥 {kid} 已生成；各站下次同步时自动更新。")
    return 0


def _push(args: argparse.Namespace) -> int:
    import uuid

    from sync.gateway.production import add_update

    gw = _gateway(args)
    payload = json.loads(args.payload)
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


def _stats(args: argparse.Namespace) -> int:
    gw = _gateway(args)
    rows = gw.db.query("SELECT code, COUNT(*) AS n FROM events GROUP BY code ORDER BY code")
    print(json.dumps({r["code"]: r["n"] for r in rows}, ensure_ascii=False, indent=2))
    return 0
