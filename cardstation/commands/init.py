"""`cardstation init`: set up an empty store as a service station with its first administrator.

The password never appears on the command line (where `ps` would show it): it is typed
twice at a prompt, or taken from CARDSTATION_ADMIN_PASSWORD when no terminal is attached.

The store `init` makes is encrypted (SQLCipher; the key file is created if missing, see
`offline.storekey`). On an existing cleartext store `init` encrypts it in place — backup
first, verified, then swapped — and wraps the signing key file; an already set-up station
stays as it is otherwise.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

HELP = "初始化服务站（省份、17 位服务点编号、终端号、首个系统管理员）"
MSG_DONE = (
    "服务站已初始化：{province} 服务点 {sp} 终端 {term}（站号 {station_id}）。系统管理员：{user}（{name}）。"
)
MSG_NEED_NAME = "请用 --admin-name 填写系统管理员的真实姓名（R-ID-6）。"
PROMPT_NAME = "系统管理员真实姓名："
PROMPT_PASSWORD = "系统管理员 {user} 的密码（至少 8 位）："
MSG_ENCRYPTED = "已把明文数据库 {path} 加密保存（先做了备份，核对一致后已删除明文备份）。密钥文件：{key}，请妥善备份在别处。"
MSG_ALREADY = "服务站 {station_id} 已初始化，数据库已加密。"


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("init", help=HELP, description=HELP)
    p.add_argument(
        "--province", required=True, choices=["hubei", "hunan"], help="省份：hubei 湖北 / hunan 湖南"
    )
    p.add_argument(
        "--service-point", required=True, help="17 位服务点编号：地区代码 9 + 机构代码 5 + 流水号 3"
    )
    p.add_argument("--terminal", default="01", help="终端号，两位数字（默认 01）")
    p.add_argument("--admin", required=True, help="系统管理员用户名")
    p.add_argument("--admin-name", help="系统管理员真实姓名（不填则在终端中询问）")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from cardstation.wiring import guarded

    return guarded(_init)(args)


def _encrypt_existing(path: Any) -> bool:
    """An existing cleartext store: encrypt it in place, wrap its signing key; True if it was
    already a set-up station (then there is nothing more to do)."""
    from offline import storekey
    from offline.station import station_info
    from offline.store import Store, encrypt_in_place
    from sync.keys import rewrap_station_key

    if not storekey.is_plain_sqlite(path):
        return False
    encrypt_in_place(path)
    print(MSG_ENCRYPTED.format(path=path, key=storekey.key_path()))
    store = Store.open(path)
    try:
        rewrap_station_key(store)
        info = station_info(store)
    finally:
        store.close()
    if info is not None:
        print(MSG_ALREADY.format(station_id=info.station_id))
    return info is not None


def _init(args: argparse.Namespace) -> int:
    from cardstation.wiring import MissingInput, now, read_secret, resolve_db_path
    from offline.station import init_station
    from offline.store import Store

    if _encrypt_existing(resolve_db_path(args.db)):
        return 0

    real_name = args.admin_name
    if not real_name:
        if not sys.stdin.isatty():
            raise MissingInput(MSG_NEED_NAME)
        real_name = input(PROMPT_NAME)
    password = read_secret(
        "CARDSTATION_ADMIN_PASSWORD", PROMPT_PASSWORD.format(user=args.admin), confirm=True
    )
    store = Store.open(resolve_db_path(args.db), encrypt=True)
    try:
        info = init_station(
            store,
            province=args.province,
            service_point=args.service_point,
            terminal=args.terminal,
            admin_username=args.admin,
            admin_real_name=real_name,
            admin_password=password,
            now=now(),
        )
    finally:
        store.close()
    print(
        MSG_DONE.format(
            province=info.province_zh,
            sp=info.service_point,
            term=info.terminal,
            station_id=info.station_id,
            user=args.admin.strip().lower(),
            name=real_name.strip(),
        )
    )
    return 0
