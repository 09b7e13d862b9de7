"""The `cardstation` command: a thin argparse front over the packages.

Each sub-command lives in `cardstation/commands/<name>.py` and exposes
`add_parser(subparsers)`. Modules import their heavy dependencies (Textual, httpx,
pyscard, cryptography) inside the handler, never at import time, so that
`cardstation --help` and the TUI's cold start stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Order is the order shown in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "run",
    "demo",
    "init",
    "operator",
    "apply",
    "audit",
    "card",
    "keys",
    "sync",
    "gateway",
    "delivery",
    "report",
    "calendar",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the full parser; a module that is not there yet is simply absent."""
    parser = argparse.ArgumentParser(
        prog="cardstation",
        description="社会保障卡服务站终端 (social-security-card service station)",
    )
    parser.add_argument("--db", help="path of the station store (default: $CARDSTATION_DB or the data dir)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"cardstation.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"cardstation.commands.{name}":
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
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
    result = handler(args)
    return int(result or 0)


def sub_names(parser: argparse.ArgumentParser) -> list[str]:
    """Names of the registered sub-commands (used for the default command)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
