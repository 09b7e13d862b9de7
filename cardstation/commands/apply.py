"""`cardstation apply`: batch application from a list (R-APP-9), CSV or .xlsx, and its templates.

    cardstation apply --template [FILE]          (FILE.xlsx: Excel template with dropdowns; else CSV)
    cardstation apply --file FILE --as USER [--json] [--photos DIR] [--channel batch] [--mode batch] [--unit NAME]
    (--xlsx FILE and --csv FILE are the same as --file; the type is detected from the content)

The password comes from a prompt, or `CARDSTATION_PASSWORD` when stdin is not a terminal.
Each row is checked and committed on its own, and its result is printed (and flushed) as soon as
it is committed: one JSON line per row with --json, else one table line per row, with a progress
bar on the terminal. A stop signal (Ctrl+C, SIGTERM, SIGHUP) waits for the row in hand to be
committed and printed, so a killed import has printed every row it committed; rerunning the same
list skips those rows and says so. Exit 0 once the file was processed, even when rows were
rejected; 2 when the file itself cannot be used (the message names the missing/unknown columns).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HELP = "批量申领：导入名单（Excel .xlsx 或 CSV）逐人受理；或生成空白模板"
MSG_NEED_USER = "导入名单须用 --as 指定办理人（操作员用户名）。"
MSG_NEED_ACTION = "请指定 --file 名单文件（.xlsx 或 .csv）或 --template。"
MSG_NO_PHOTO_DIR = "找不到照片文件夹 {path}。"
MSG_TEMPLATE = "已生成模板 {path}（UTF-8 带 BOM，可用 Excel 打开填写）。"
MSG_TEMPLATE_XLSX = "已生成 Excel 模板 {path}（含下拉选项和“填写说明”表）。"
MSG_SUMMARY = "共 {total} 行：受理 {ok} 行，退回 {bad} 行。"
MSG_SKIPPED = "跳过 {n} 行：上次导入已受理（本次未重复受理，受理编号见上）。"
HEAD = ("行号", "姓名", "结果", "受理编号 / 原因")
STATUS_ZH = {"accepted": "已受理", "rejected": "退回", "skipped": "已跳过"}
WIDTHS = (4, 12, 6)
MSG_INTERRUPTED = "已中断：上面显示的 {done} 行已处理完毕，其余未受理。重新导入同一名单时，已受理的行会跳过。"
EXIT_INTERRUPTED = 130
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("apply", help=HELP, description=HELP)
    what = p.add_mutually_exclusive_group()
    what.add_argument("--file", metavar="FILE", help="要导入的名单（.xlsx，或 UTF-8/GBK 的 CSV；按内容识别）")
    what.add_argument("--xlsx", dest="file", metavar="FILE", help="同 --file")
    what.add_argument("--csv", dest="file", metavar="FILE", help="同 --file")
    what.add_argument(
        "--template",
        nargs="?",
        const="-",
        metavar="FILE",
        help="生成空白模板：文件名以 .xlsx 结尾时生成带下拉选项的 Excel 模板，否则为 CSV；不给文件名时输出 CSV 表头",
    )
    p.add_argument("--as", dest="user", metavar="USER", help="办理人（操作员用户名）")
    p.add_argument("--json", action="store_true", help="每行输出一个 JSON 结果")
    p.add_argument(
        "--photos",
        metavar="DIR",
        help="照片文件夹（照片按证件号码命名）；默认为名单所在文件夹及其“照片”子文件夹",
    )
    p.add_argument(
        "--channel",
        default="batch",
        choices=("batch", "proxy_unit", "proxy_person", "local"),
        help="申领渠道（默认 batch）",
    )
    p.add_argument("--mode", default="batch", choices=("batch", "fast"), help="制卡方式（默认 batch）")
    p.add_argument("--unit", default="", metavar="NAME", help="代办单位名称（单位代办时必填）")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from cardstation.wiring import guarded

    return guarded(_apply)(args)


def _apply(args: argparse.Namespace) -> int:
    from cardstation.wiring import EXIT_INPUT
    from offline.services.batch import BatchFileError, read_batch

    if args.template is not None:
        return _template(args)
    if not args.file:
        print(f"错误：{MSG_NEED_ACTION}", file=sys.stderr)
        return EXIT_INPUT
    if not args.user:
        print(f"错误：{MSG_NEED_USER}", file=sys.stderr)
        return EXIT_INPUT
    from offline.files import BATCH_CAP, path_problem

    path = Path(args.file)
    problem = path_problem(str(path), cap=BATCH_CAP, what="名单文件")
    if problem:  # missing, a device or FIFO, a folder, too big: said before anything is opened
        print(f"错误：{problem}", file=sys.stderr)
        return EXIT_INPUT
    photo_dir = Path(args.photos).expanduser() if args.photos else None
    if photo_dir is not None and not photo_dir.is_dir():
        print(f"错误：{MSG_NO_PHOTO_DIR.format(path=photo_dir)}", file=sys.stderr)
        return EXIT_INPUT
    try:
        rows = read_batch(
            path, channel=args.channel, mode=args.mode, unit_name=args.unit, photo_dir=photo_dir
        )
    except BatchFileError as exc:
        if args.json:
            print(
                json.dumps(
                    {"error": exc.message_zh, "missing": list(exc.missing), "unknown": list(exc.unknown)},
                    ensure_ascii=False,
                )
            )
        print(f"错误：{exc.message_zh}", file=sys.stderr)
        return EXIT_INPUT
    return _process(args, rows)


def _template(args: argparse.Namespace) -> int:
    from offline.services.batch import write_template, write_xlsx_template

    if args.template == "-":
        sys.stdout.write(write_template(None))
    elif args.template.lower().endswith(".xlsx"):
        write_xlsx_template(args.template, _banks(args))
        print(MSG_TEMPLATE_XLSX.format(path=args.template))
    else:
        write_template(args.template)
        print(MSG_TEMPLATE.format(path=args.template))
    return 0


def _banks(args: argparse.Namespace) -> list[str]:
    """The station's cooperating banks; without a station, those of every province profile."""
    from cardstation.wiring import open_station, resolve_db_path, station_profile
    from offline.errors import CardstationError
    from offline.profiles import PROVINCES, load_profile

    try:
        store, station = open_station(resolve_db_path(args.db))
    except (CardstationError, OSError):
        banks: list[str] = []
        for province in PROVINCES:
            banks += [b for b in load_profile(province).banks if b not in banks]
        return banks
    try:
        return list(station_profile(store, station).banks)
    finally:
        store.close()


@contextmanager
def _uninterrupted() -> Iterator[None]:
    """Hold stop signals while a row is committed and printed; they act right after."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _process(args: argparse.Namespace, rows: Any) -> int:
    from cardstation.sealing import station_sealer
    from cardstation.wiring import login, make_context, open_station, resolve_db_path
    from offline.services.batch import run_batch

    store, station = open_station(resolve_db_path(args.db))
    counts = {"accepted": 0, "rejected": 0, "skipped": 0}
    done = 0
    total = len(rows)
    bar = _Progress(total) if sys.stderr.isatty() else None
    try:
        operator = login(store, station, args.user)
        ctx = make_context(store, station, operator, sealer=station_sealer(store))
        if not args.json:
            _out(_line(HEAD))
        outcomes = run_batch(ctx, rows)
        while True:  # Ctrl+C acts between rows (see _uninterrupted); it ends here, not in a traceback
            with _uninterrupted():
                outcome = next(outcomes, None)
                if outcome is None:
                    break
                counts[outcome.status] += 1
                done += 1
                if bar is not None:
                    bar.clear()
                _out(json.dumps(outcome.as_json(), ensure_ascii=False) if args.json else _row_text(outcome))
                if bar is not None:
                    bar.show(done)
    except KeyboardInterrupt:
        if bar is not None:
            bar.clear()
        print(MSG_INTERRUPTED.format(done=done), file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if bar is not None:
            bar.clear()
        store.close()
    if not args.json:
        ok, bad = counts["accepted"], counts["rejected"]
        print(MSG_SUMMARY.format(total=total, ok=ok, bad=bad))
        if counts["skipped"]:
            print(MSG_SKIPPED.format(n=counts["skipped"]))
    return 0


def _out(text: str) -> None:
    print(text, flush=True)


class _Progress:
    """A one-line bar on stderr (a terminal only), redrawn after each row."""

    def __init__(self, total: int) -> None:
        self.total = max(total, 1)

    def show(self, done: int) -> None:
        filled = 30 * done // self.total
        sys.stderr.write(f"\r[{'█' * filled}{'·' * (30 - filled)}] {done}/{self.total}")
        sys.stderr.flush()

    def clear(self) -> None:
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _line(cells: tuple[str, str, str, str]) -> str:
    return "  ".join(_pad(cells[i], WIDTHS[i]) for i in range(3)) + "  " + cells[3]


def _row_text(o: Any) -> str:
    """One row as it is committed (columns of fixed width: the table streams)."""
    text = _line(
        (str(o.row), o.name, STATUS_ZH[o.status], o.receipt if o.status == "accepted" else o.message)
    )
    notes = [n for n in o.notes if "照片已自动调整" in n or "照片按证件号码匹配" in n]
    if o.status == "accepted" and notes:
        text += "（" + "；".join(notes) + "）"
    return text
