"""`cardstation card`: the card emulator for the demo, and reading a card through pcscd.

    cardstation card emulate --kind {temp-blank,formal,formal-v1,formal-v3,locked}
                             [--vpcd HOST:PORT] [--holder FILE.json] [--state FILE.json]
    cardstation card read [--json] [--reader NAME] [--timeout SECONDS]
    cardstation card readers

`emulate` connects an emulated card to pcscd's virtual reader (vpcd) and runs until
SIGINT/SIGTERM, reconnecting when pcscd restarts; with --state the card's content
survives restarts. `read` exits 1 with a Chinese message when pcscd, the reader or the
card is missing. pyscard and cryptography are imported inside the handlers only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HELP = "社会保障卡：读卡、模拟卡（模拟读卡器）"
KINDS = ("temp-blank", "formal", "formal-v1", "formal-v3", "locked")
KIND_ZH = {
    "temp-blank": "空白临时卡（库存）",
    "formal": "正式卡（2.0 规范）",
    "formal-v1": "正式卡（1.0 规范）",
    "formal-v3": "正式卡（3.0 规范，SM4）",
    "locked": "密码已锁定的正式卡",
}
MSG_EMULATING = (
    "模拟读卡器：{kind}已插入，卡号 {number}（测试密钥）。连接 vpcd {host}:{port}，按 Ctrl+C 退出。"
)
MSG_STOPPED = "模拟卡已拔出，退出。"
MSG_BAD_VPCD = "--vpcd 须为 主机:端口，例如 127.0.0.1:35963"
MSG_BAD_HOLDER = "持卡人文件 {path} 无法读取：{error}"
MSG_BAD_SLOT = "插卡槽文件 {path} 无法读取：{error}（上一张卡保持不变）"
MSG_NO_READERS = "未检测到读卡器。"
FLAG_EMULATED = "【模拟读卡器】"
FLAG_TEST_KEYS = "【测试密钥】"


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("card", help=HELP, description=HELP)
    sub = p.add_subparsers(dest="card_command", metavar="ACTION", required=True)

    emu = sub.add_parser("emulate", help="启动模拟卡并接入模拟读卡器（pcscd vpcd）")
    emu.add_argument("--kind", choices=KINDS, default="formal", help="模拟卡类型（默认 formal）")
    emu.add_argument("--vpcd", metavar="HOST:PORT", help="vpcd 地址（默认取 /etc/reader.conf.d/vpcd）")
    emu.add_argument("--holder", metavar="FILE.json", help="持卡人信息 JSON（ssn, name, sex, ...）")
    emu.add_argument("--state", metavar="FILE.json", help="卡片状态文件：重启模拟器后卡内数据仍在")
    emu.add_argument(
        "--slot",
        metavar="FILE.json",
        help='插卡槽文件（演示“模拟插卡”写入）：{"state": 卡片状态文件} 换卡，{"state": ""} 拔卡',
    )
    emu.set_defaults(func=run_emulate)

    read = sub.add_parser("read", help="通过读卡器读取卡内信息")
    read.add_argument("--json", action="store_true", help="以 JSON 输出")
    read.add_argument("--reader", metavar="NAME", help="读卡器名称（默认：第一个有卡的读卡器）")
    read.add_argument("--timeout", type=float, default=3.0, help="等待插卡的秒数（默认 3）")
    read.set_defaults(func=run_read)

    readers = sub.add_parser("readers", help="列出读卡器")
    readers.set_defaults(func=run_readers)


def _parse_vpcd(text: str | None) -> tuple[str, int] | None:
    from devices.emulator.vpcd import DEFAULT_HOST, vpcd_port_from_config

    if text is None:
        return DEFAULT_HOST, vpcd_port_from_config()
    host, _, port = text.rpartition(":")
    try:
        return host or DEFAULT_HOST, int(port, 0)
    except ValueError:
        return None


def run_emulate(args: argparse.Namespace) -> int:
    from cardstation.lifeline import die_with_parent

    die_with_parent()  # the demo's emulator never outlives the demo
    import logging
    import signal
    import threading

    from devices.emulator import EmulatedCard, make_kind
    from devices.emulator.vpcd import VpcdLink
    from offline.protocols import ChipHolder

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    address = _parse_vpcd(args.vpcd)
    if address is None:
        print(MSG_BAD_VPCD, file=sys.stderr)
        return 2
    holder = None
    if args.holder:
        try:
            holder = ChipHolder(**json.loads(Path(args.holder).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            print(MSG_BAD_HOLDER.format(path=args.holder, error=exc), file=sys.stderr)
            return 2
    default = make_kind(args.kind, holder=holder)
    card = EmulatedCard.open(Path(args.state), default) if args.state else EmulatedCard(default)
    link = VpcdLink(card, host=address[0], port=address[1])
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    from devices.layout import BY_KEY
    from devices.records import decode_item

    number = decode_item(BY_KEY["card_number"], card.state.ef05.get(0x07, b""))
    print(MSG_EMULATING.format(kind=KIND_ZH[args.kind], number=number, host=address[0], port=address[1]))
    sys.stdout.flush()
    slot = Path(args.slot) if getattr(args, "slot", None) else None
    seen: float | None = None
    if slot is not None:  # the slot decides what is in the reader from the start (maybe nothing)
        link.remove()
        seen = _follow_slot(slot, None, link)
    link.start()
    while not stop.wait(0.3):
        if slot is not None:
            seen = _follow_slot(slot, seen, link)
    link.stop()
    print(MSG_STOPPED)
    return 0


def _follow_slot(slot: Path, seen: float | None, link: Any) -> float | None:
    """The demo's 模拟插卡 wrote the slot file: put that card in the virtual reader, or take it out."""
    from devices.emulator import EmulatedCard

    try:
        mtime = slot.stat().st_mtime
    except OSError:
        return seen
    if mtime == seen:
        return seen
    try:
        state = str(json.loads(slot.read_text(encoding="utf-8")).get("state", ""))
        if state:
            link.insert(EmulatedCard.open(Path(state)))
        else:
            link.remove()
    except (OSError, ValueError, AttributeError) as exc:
        print(MSG_BAD_SLOT.format(path=slot, error=exc), file=sys.stderr, flush=True)
    return mtime


def _card_lines(card: Any) -> list[str]:
    from devices.messages import LABELS

    lines = []
    if card.emulated:
        lines.append(FLAG_EMULATED)
    if card.test_keys:
        lines.append(FLAG_TEST_KEYS)
    for key in (
        "card_number",
        "card_id_code",
        "category",
        "version",
        "issuer_org",
        "issue_date",
        "expiry_date",
    ):
        lines.append(f"{LABELS[key]}：{getattr(card, key) or '（空）'}")
    if card.holder is None:
        lines.append(f"{LABELS['name']}：（未写入，空白卡）")
    else:
        for key in ("name", "ssn", "sex", "ethnicity", "birthplace", "birth_date"):
            lines.append(f"{LABELS[key]}：{getattr(card.holder, key) or '（空）'}")
    lines.append(f"{LABELS['home_region']}：{card.home_region or '（空）'}")
    return lines


def run_read(args: argparse.Namespace) -> int:
    import dataclasses

    from devices.session import open_pcsc_session
    from offline.protocols import CardError

    try:
        session = open_pcsc_session(args.reader, timeout=args.timeout)
        card = session.read_card()
    except CardError as exc:
        print(exc.message_zh, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(dataclasses.asdict(card), ensure_ascii=False, indent=2))
    else:
        print("\n".join(_card_lines(card)))
    return 0


def run_readers(args: argparse.Namespace) -> int:
    from devices.reader import is_virtual_reader, list_readers
    from offline.protocols import CardError

    try:
        names = list_readers()
    except CardError as exc:
        print(exc.message_zh, file=sys.stderr)
        return 1
    if not names:
        print(MSG_NO_READERS, file=sys.stderr)
        return 1
    for name in names:
        print(f"{name}{'  ' + FLAG_EMULATED if is_virtual_reader(name) else ''}")
    return 0
