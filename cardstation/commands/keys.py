"""`cardstation keys`: enrol this station, show its keys, rotate its signing key, refresh server keys."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

HELP = "本站密钥：注册、查看、更换站点密钥、更新服务器公钥"


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("keys", help=HELP, description=HELP)
    sub = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    e = sub.add_parser("enrol", help="用注册码把本站注册到卡管系统并固定服务器公钥")
    e.add_argument("--url", required=True, help="卡管系统网关地址，例如 https://km.example")
    e.add_argument("--token", required=True, help="县局发放的一次性注册码")
    e.add_argument("--station-id", help="站号（默认取本库设置）")
    e.set_defaults(func=_enrol)
    s = sub.add_parser("show", help="查看本站密钥与已固定的服务器公钥")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_show)
    r = sub.add_parser("rotate", help="更换本站签名密钥（旧密钥在网关处退役）")
    r.set_defaults(func=_rotate)
    f = sub.add_parser("refresh", help="从网关获取经签名的服务器公钥集合")
    f.set_defaults(func=_refresh)


def _store(args: argparse.Namespace) -> Any:
    from offline.store import Store

    return Store.open(args.db)


def _enrol(args: argparse.Namespace) -> int:
    from sync import messages
    from sync.enrol import EnrolError, enrol

    store = _store(args)
    try:
        key = enrol(store, args.url, args.token, station_id=args.station_id)
    except EnrolError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(
        messages.ENROLLED.format(
            station_id=store.setting("station_id"), key_id=key.key_id, not_after=key.not_after
        )
    )
    print(_suite_line(store))
    print(_roster_line(store))
    return 0


def _suite_line(store: Any) -> str:
    from sync import keys, messages

    suite = keys.pinned_suite(store)
    return messages.SUITE_LINE.format(suite=suite, name=messages.SUITE_NAMES.get(suite, ""))


def _roster_line(store: Any) -> str:
    from sync import roster

    if roster.pending(store):
        return "本片区持卡人名册尚未下载完（网络中断）；下次同步时自动续传。"
    applied = json.loads(store.setting(roster.S_APPLIED, "") or "{}")
    return f"已下载本片区持卡人名册：{applied.get('rows', 0)} 条。"


def _show(args: argparse.Namespace) -> int:
    from sync import keys

    store = _store(args)
    info = {
        "station_id": store.setting(keys.S_STATION_ID),
        "sync_url": store.setting(keys.S_URL),
        "station_key_id": store.setting(keys.S_STATION_KEY_ID),
        "station_key_file": str(keys.key_path(store)),
        "crypto_suite": keys.pinned_suite(store),
        "server_keys": [
            {"key_id": k.key_id, "not_after": k.not_after} for k in keys.pinned_server_keys(store)
        ],
    }
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        print(f"站号：{info['station_id'] or '（未设置）'}\n网关：{info['sync_url'] or '（未设置）'}")
        print(f"站点密钥：{info['station_key_id'] or '（未注册）'}（{info['station_key_file']}）")
        print(_suite_line(store))
        for k in info["server_keys"]:
            print(f"服务器公钥 {k['key_id']}，有效期至 {k['not_after']}")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    from sync import messages
    from sync.client import LinkError
    from sync.enrol import EnrolError, rotate_station_key
    from sync.keys import NotEnrolled

    try:
        kid = rotate_station_key(_store(args))
    except (EnrolError, NotEnrolled) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except LinkError as exc:
        print(messages.reason(exc.code), file=sys.stderr)
        return 1
    print(messages.KEY_ROTATED.format(key_id=kid))
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from sync import messages
    from sync.client import LinkError
    from sync.enrol import refresh_server_keys
    from sync.keys import KeySetError

    try:
        got = refresh_server_keys(_store(args))
    except (LinkError, KeySetError) as exc:
        print(messages.reason("keys_refresh_failed") + f"（{exc}）", file=sys.stderr)
        return 1
    for k in got:
        print(f"服务器公钥 {k.key_id}，有效期至 {k.not_after}")
    return 0
