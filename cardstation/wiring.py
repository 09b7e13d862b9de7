"""Composition-root helpers shared by the CLI commands and the TUI start-up (no Textual here).

They answer three questions every entry point asks: which store file, is it a set-up
station, and what service context does a logged-in operator work in.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from offline import clock
from offline.business import Operator, ServiceContext
from offline.errors import CardstationError, StoreError
from offline.profiles import Profile
from offline.protocols import CardSession, Sealer
from offline.station import StationInfo, load_station_profile, station_info
from offline.store import Store, default_db_path

MSG_NOT_INITIALISED = (
    "数据库 {path} 尚未初始化为服务站。请先运行 cardstation init --province hubei|hunan "
    "--service-point <17位服务点编号> --admin <管理员用户名> --admin-name <真实姓名>。"
)

MSG_PASSWORD_PROMPT = "{user} 的密码："
MSG_AGAIN = "请再输入一次："
MSG_MISMATCH = "两次输入的密码不一致，未做任何修改。"
MSG_NO_SECRET = "未提供密码：请在终端中运行以便输入，或设置环境变量 {env}。"


def resolve_db_path(args_db: str | None) -> Path:
    """`--db`, else `CARDSTATION_DB`, else the platform data dir."""
    if args_db:
        return Path(args_db).expanduser()
    return default_db_path()


def open_station(db_path: Path) -> tuple[Store, StationInfo]:
    """Open (and migrate) an initialised station store; a clear Chinese error otherwise.

    A missing file is not created: a mistyped --db must not leave empty stores around.
    """
    if not Path(db_path).exists():
        raise StoreError("not_initialised", MSG_NOT_INITIALISED.format(path=db_path))
    store = Store.open(db_path)
    info = station_info(store)
    if info is None:
        store.close()
        raise StoreError("not_initialised", MSG_NOT_INITIALISED.format(path=db_path))
    return store, info


def station_profile(store: Store, station: StationInfo) -> Profile:
    """The station's province profile, with the card management system's update when valid."""
    return load_station_profile(station, store)


def make_context(
    store: Store,
    station: StationInfo,
    operator: Operator,
    *,
    sealer: Sealer,
    card: CardSession | None = None,
    profile: Profile | None = None,
) -> ServiceContext:
    """A ServiceContext for `operator` at this station (profile loaded when not given)."""
    return ServiceContext(
        store=store,
        operator=operator,
        sealer=sealer,
        station_id=station.station_id,
        service_point=station.service_point,
        terminal=station.terminal,
        profile=profile if profile is not None else station_profile(store, station),
        card=card,
    )


# --------------------------------------------------------------------------- credentials


class MissingInput(CardstationError):
    """A secret the command needs was neither typed nor given in the environment."""


def read_secret(env_var: str, prompt: str, *, confirm: bool = False) -> str:
    """A password from a getpass prompt when stdin is a terminal (typed twice when `confirm`),
    else from `env_var` (scripts, tests). Never from the command line, where `ps` shows it.
    """
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass(prompt)
        if confirm and getpass.getpass(MSG_AGAIN) != first:
            raise MissingInput(MSG_MISMATCH)
        return first
    value = os.environ.get(env_var)
    if value is None:
        raise MissingInput(MSG_NO_SECRET.format(env=env_var))
    return value


#: Local wall-clock time with offset (what every service receives as `now`).
now = clock.now


def login(store: Store, station: StationInfo, username: str) -> Operator:
    """Authenticate a command-line user: password prompt, else `CARDSTATION_PASSWORD`."""
    from offline.auth import authenticate

    password = read_secret("CARDSTATION_PASSWORD", MSG_PASSWORD_PROMPT.format(user=username))
    return authenticate(store, username, password, now=now(), profile=station_profile(store, station))


def start_session(
    store: Store, station: StationInfo, username: str, password: str, *, profile: Profile | None = None
) -> Operator:
    """Log in and open a session (the TUI's login screen): the Operator carries its session id.

    Sessions whose process has died (a dropped SSH link) are ended first, so the session list
    never shows ghosts; idle expiry proper is the caller's periodic `expire_idle`.
    """
    from offline.auth import authenticate
    from offline.sessions import expire_idle, open_session, session_origin

    t = now()
    expire_idle(store, idle_minutes=0, now=t)
    op = authenticate(
        store,
        username,
        password,
        now=t,
        profile=profile if profile is not None else station_profile(store, station),
    )
    session_id = open_session(store, op, origin=session_origin(), pid=os.getpid(), now=t)
    return replace(op, session_id=session_id)


EXIT_OK, EXIT_REFUSED, EXIT_INPUT = 0, 1, 2


def guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run a command handler; print a refusal's Chinese message to stderr instead of a traceback.

    Exit codes: 0 done, 1 refused (validation, permission, login, store), 2 missing input.
    """

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except MissingInput as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return EXIT_INPUT
        except CardstationError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return EXIT_REFUSED

    return run
