"""The device checks of `cardstation doctor`: the reader (pcscd, reader, card answer) and the printer.

Kept apart from `cardstation/doctor.py` because they reach pyscard and CUPS (`lpstat`); the
imports stay inside the functions so `cardstation doctor --help` loads neither.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from cardstation.doctor import ERROR, OK, WARN, Check, Context


def check_reader(ctx: Context) -> Check:
    """pcscd answers, a reader is attached, and a card in it answers SELECT SSSE."""
    from devices.errors import NoPcscdError
    from offline.protocols import CardError

    title = "读卡器"
    try:
        from devices.reader import list_readers

        readers = list_readers()
    except NoPcscdError:
        return Check(
            "reader", title, ERROR, "读卡服务 pcscd 未运行。", "运行 sudo systemctl start pcscd，然后重试。"
        )
    except CardError as exc:
        return Check("reader", title, ERROR, f"无法访问读卡服务：{exc}", "检查 pcscd 和 pyscard 是否安装。")
    if not readers:
        return Check(
            "reader",
            title,
            ERROR,
            "pcscd 在运行，但没有检测到读卡器。",
            "检查读卡器的 USB 线，换一个 USB 口后重试。",
        )
    return _card_answers(readers, ctx.card_timeout)


def _card_answers(readers: list[str], timeout: float) -> Check:
    from smartcard import scard

    from devices.apdu import Apdu
    from devices.layout import SSSE_NAME
    from devices.reader import PcscTransport, _context, reader_status
    from offline.protocols import CardError

    hcontext = _context()
    try:
        states = reader_status(hcontext, readers)
    finally:
        scard.SCardReleaseContext(hcontext)
    names = "、".join(readers)
    with_card = [s for s in states if s.present]
    if not with_card:
        return Check("reader", "读卡器", OK, f"读卡器 {names} 就绪（未插卡，未检查卡片应答）。")
    reader = with_card[0].reader
    if with_card[0].mute:
        return Check(
            "reader",
            "读卡器",
            ERROR,
            f"{reader} 上的卡没有应答（哑卡）。",
            "取出卡片擦拭芯片后重新插入；仍不行请换一张卡试读卡器。",
        )
    try:
        with PcscTransport.connect(reader, timeout=timeout) as t:
            raw = t.transmit(Apdu(0x00, 0xA4, 0x04, 0x00, SSSE_NAME, le=0x00).to_bytes())
    except CardError as exc:
        return Check(
            "reader",
            "读卡器",
            ERROR,
            f"{reader} 上的卡无法通信：{exc}",
            "重新插卡；仍不行请换一张卡试读卡器。",
        )
    sw = raw[-2:].hex().upper() if len(raw) >= 2 else "??"
    if sw == "9000" or sw.startswith("61"):
        return Check("reader", "读卡器", OK, f"{reader} 上的社保卡应答正常（SW {sw}）。")
    return Check(
        "reader",
        "读卡器",
        WARN,
        f"{reader} 上的卡有应答，但不是社保卡应用（SW {sw}）。",
        "插入一张社保卡再检查。",
    )


def check_printer(ctx: Context) -> Check:
    """The configured printer (or CUPS's default) exists and accepts jobs."""
    title = "打印机"
    exe = shutil.which(ctx.lpstat)
    if exe is None:
        return Check(
            "printer",
            title,
            WARN,
            "没有安装 CUPS 打印服务（找不到 lpstat），回执只能存为 PDF。",
            "安装 cups：sudo apt-get install cups，然后添加打印机。",
        )
    name = ctx.printer
    if not name:
        done = _run([exe, "-d"])
        if done is None or done.returncode != 0 or ":" not in done.stdout:
            return Check(
                "printer",
                title,
                WARN,
                "没有设置打印机，也没有系统默认打印机。",
                '在配置文件中设置 printer = "打印机名"，或运行 lpoptions -d 打印机名。',
            )
        name = done.stdout.rsplit(":", 1)[1].strip()
    done = _run([exe, "-p", name])
    if done is None or done.returncode != 0:
        detail = (done.stderr or done.stdout).strip() if done is not None else "lpstat 无应答"
        return Check(
            "printer",
            title,
            ERROR,
            f"打印机 {name} 不可用：{detail}",
            "运行 sudo systemctl start cups；用 lpstat -p 查看打印机名并在配置文件中改正。",
        )
    text = done.stdout
    if "disabled" in text or "停用" in text:
        return Check(
            "printer",
            title,
            WARN,
            f"打印机 {name} 已停用：{text.strip()}",
            f"运行 cupsenable {name}，检查纸张和连接。",
        )
    return Check("printer", title, OK, f"打印机 {name} 就绪。")


def _run(argv: list[str]) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=10, check=False, env={**os.environ, "LC_ALL": "C"}
        )
    except (OSError, subprocess.SubprocessError):
        return None
