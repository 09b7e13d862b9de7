"""The `cardstation` command: a thin argparse front over the packages.

Each sub-command lives in `cardstation/commands/<name>.py` and exposes
`add_parser(subparsers)`. Modules import their heavy dependencies (Textual, httpx,
pyscard, cryptography) inside the handler, never at import time, so that
`cardstation --help` and the TUI's cold start stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

# Order is the order shown in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "run",
    "demo",
    "init",
    "operator",
    "apply",
    "query",
    "audit",
    "card",
    "keys",
    "sync",
    "gateway",
    "delivery",
    "report",
    "doctor",
    "backup",
    "restore",
    "outbox",
    "calendar",
)


#: Commands that work on an existing station store; only `init` (and the demo) create one.
STORE_COMMANDS = frozenset({"operator", "apply", "audit", "keys", "sync", "delivery", "report"})
MSG_NO_STORE = (
    "数据库 {path} 不存在，未新建任何文件。请核对 --db 路径（或环境变量 CARDSTATION_DB）；"
    "新建服务站请先运行 cardstation init。"
)


class _Parser(argparse.ArgumentParser):
    """argparse with its refusal in Chinese (its own detail, which names the valid choices, kept)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"错误：命令参数不对：{message}。运行 {self.prog} --help 查看用法。\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the full parser; a module that is not there yet is simply absent."""
    parser = _Parser(
        prog="cardstation",
        description="社会保障卡服务站终端 (social-security-card service station)",
    )
    parser.add_argument("--db", help="path of the station store (default: $CARDSTATION_DB or the data dir)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"cardstation.commands.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script: the one place an unexpected error is turned into a
    Chinese message (`cardstation.failures`), never a traceback.

    Everything the station writes (receipts, reports, exports, logs, stores, keys) is for its
    own account only: the umask makes that the default for every file any command creates.
    """
    os.umask(0o077)
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "func", None)
    if handler is None:
        if args.command is None and "run" in sub_names(parser):
            args = parser.parse_args([*(argv or sys.argv[1:]), "run"])
            handler = args.func
        else:
            parser.print_help()
            return 2
    db_path = _db_path(args)
    try:
        if db_path is not None and not db_path.exists():
            print(f"错误：{MSG_NO_STORE.format(path=db_path)}", file=sys.stderr)
            return 1
        result = handler(args)
    except (Exception, KeyboardInterrupt) as exc:
        from cardstation.failures import report

        message, code = report(exc, db_path, f"cli:{args.command}")
        print(f"错误：{message}", file=sys.stderr)
        return code
    return int(result or 0)


def _db_path(args: argparse.Namespace) -> Path | None:
    """The store a store command will open (None for commands that need none or create it)."""
    if args.command not in STORE_COMMANDS or getattr(args, "template", None) is not None:
        return None
    from cardstation.wiring import resolve_db_path

    return resolve_db_path(args.db)


def sub_names(parser: argparse.ArgumentParser) -> list[str]:
    """Names of the registered sub-commands (used for the default command)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
