"""`cardstation operator …`: manage operator accounts from the shell (R-SEC-2).

Every action needs an administrator's login: `--as USER` plus the password at a prompt, or
CARDSTATION_PASSWORD when no terminal is attached. New passwords come from a prompt typed
twice, or CARDSTATION_NEW_PASSWORD. Each change is audited by `offline.operators`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

HELP = "操作员账户管理（需系统管理员登录）"
ROLE_HELP = "角色：operator 窗口经办员 / supervisor 业务主管 / auditor 县局稽核（只读）/ admin 系统管理员"
PROMPT_NEW = "{user} 的新密码（至少 8 位）："
MSG_ADDED = "已新建操作员 {user}（{name}，{role}）。"
MSG_DISABLED = "已停用操作员 {user}。"
MSG_ENABLED = "已启用操作员 {user}。"
MSG_RESET = "已重置 {user} 的密码。"
MSG_UNLOCKED = "已解锁操作员 {user}。"
STATE_ACTIVE, STATE_DISABLED, STATE_LOCKED = "启用", "停用", "锁定至 {until}"
HEADER = "用户名\t真实姓名\t角色\t状态"


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("operator", help=HELP, description=HELP)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--as", dest="as_user", required=True, metavar="USER", help="执行此操作的系统管理员用户名"
    )
    sub = p.add_subparsers(dest="operator_command", metavar="ACTION", required=True)

    add = sub.add_parser(
        "add", parents=[common], help="新建操作员", description="新建操作员（密码在终端中输入两次）"
    )
    add.add_argument("username", help="新操作员的用户名")
    add.add_argument("--name", required=True, help="真实姓名（R-ID-6）")
    add.add_argument(
        "--role", required=True, choices=["operator", "supervisor", "auditor", "admin"], help=ROLE_HELP
    )
    add.set_defaults(func=_guard(_add))

    ls = sub.add_parser("list", parents=[common], help="列出操作员", description="列出操作员")
    ls.add_argument("--active", action="store_true", help="只列出启用的账户")
    ls.add_argument("--json", action="store_true", help="以 JSON 输出")
    ls.set_defaults(func=_guard(_list))

    for name, help_text, func in (
        ("disable", "停用操作员（其在线会话随即结束）", _disable),
        ("enable", "重新启用操作员", _enable),
        ("reset-password", "重置操作员密码（新密码在终端中输入两次）", _reset),
        ("unlock", "解除登录失败锁定", _unlock),
    ):
        sp = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        sp.add_argument("username", help="操作员用户名")
        if name == "disable":
            sp.add_argument("--reason", default="", help="停用原因（记入审计）")
        sp.set_defaults(func=_guard(func))


def _guard(handler: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        from cardstation.wiring import guarded

        result: int = guarded(handler)(args)
        return result

    return run


@contextmanager
def _session(args: argparse.Namespace) -> Iterator[tuple[Any, Any]]:
    """Open the station and log the administrator in; yields (store, operator), closes the store."""
    from cardstation.wiring import login, open_station, resolve_db_path

    store, station = open_station(resolve_db_path(args.db))
    try:
        yield store, login(store, station, args.as_user)
    finally:
        store.close()


def _new_password(username: str) -> str:
    from cardstation.wiring import read_secret

    return read_secret("CARDSTATION_NEW_PASSWORD", PROMPT_NEW.format(user=username), confirm=True)


def _add(args: argparse.Namespace) -> int:
    from cardstation.wiring import now
    from offline.operators import create_operator
    from offline.permissions import ROLE_NAMES, require

    with _session(args) as (store, admin):
        require(admin, "operators.manage")  # before asking for the new password
        op = create_operator(
            store,
            username=args.username,
            real_name=args.name,
            role=args.role,
            password=_new_password(args.username),
            by=admin,
            now=now(),
        )
        print(MSG_ADDED.format(user=op.username, name=op.real_name, role=ROLE_NAMES[op.role]))
    return 0


def _list(args: argparse.Namespace) -> int:
    from cardstation.wiring import now
    from offline.auth import locked_until
    from offline.operators import list_operators
    from offline.permissions import require

    with _session(args) as (store, admin):
        require(admin, "operators.manage")
        rows = list_operators(store, include_inactive=not args.active)
    if args.json:
        keys = ("username", "real_name", "role", "active", "locked_until", "created_at")
        print(json.dumps([{k: getattr(r, k) for k in keys} for r in rows], ensure_ascii=False, indent=1))
        return 0
    print(HEADER)
    t = now()
    for r in rows:
        until = locked_until(r.locked_until, t)
        state = (
            STATE_LOCKED.format(until=until.strftime("%H:%M"))
            if until
            else (STATE_ACTIVE if r.active else STATE_DISABLED)
        )
        print(f"{r.username}\t{r.real_name}\t{r.role_zh}\t{state}")
    return 0


def _disable(args: argparse.Namespace) -> int:
    from cardstation.wiring import now
    from offline.operators import deactivate_operator

    with _session(args) as (store, admin):
        deactivate_operator(store, args.username, by=admin, now=now(), reason=args.reason)
        print(MSG_DISABLED.format(user=args.username))
    return 0


def _enable(args: argparse.Namespace) -> int:
    from cardstation.wiring import now
    from offline.operators import reactivate_operator

    with _session(args) as (store, admin):
        reactivate_operator(store, args.username, by=admin, now=now())
        print(MSG_ENABLED.format(user=args.username))
    return 0


def _reset(args: argparse.Namespace) -> int:
    from cardstation.wiring import now
    from offline.operators import reset_password
    from offline.permissions import require

    with _session(args) as (store, admin):
        require(admin, "operators.manage")
        reset_password(store, args.username, _new_password(args.username), by=admin, now=now())
        print(MSG_RESET.format(user=args.username))
    return 0


def _unlock(args: argparse.Namespace) -> int:
    from cardstation.wiring import now
    from offline.operators import unlock_operator

    with _session(args) as (store, admin):
        unlock_operator(store, args.username, by=admin, now=now())
        print(MSG_UNLOCKED.format(user=args.username))
    return 0
