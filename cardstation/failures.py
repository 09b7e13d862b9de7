"""The one top-level handler: every error that reaches the CLI or the TUI becomes a Chinese
message that says what to do, and its detail goes to an owner-only log without personal data.

Why one place: a traceback on the operator's screen says nothing they can act on, and may show
an ID number or a name from an exception message. Each entry point (`cardstation.cli.main`,
`tui.app`) calls `explain` and `log_failure`; nothing else prints errors it did not expect.

The log (`$CARDSTATION_LOG_DIR`, else the platform log directory, `cardstation.log`, mode 0600
in a 0700 folder) keeps the exception type, a message with digits and Chinese text masked, and
the stack as file:line:function — enough to find the bug, nothing about the person served.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import traceback
from datetime import datetime
from pathlib import Path

EXIT_REFUSED, EXIT_INPUT, EXIT_INTERRUPTED = 1, 2, 130

MSG_CORRUPT = (
    "数据库文件 {path} 已损坏、被截断，或不是本程序的数据库（也可能加密密钥不对）。未做任何修改。"
    "请用备份恢复，或联系技术支持；不要删除该文件。"
)
MSG_READ_ONLY = (
    "无法写入 {path}：文件或所在文件夹是只读的，或本账户没有写权限。请检查权限（应由服务账户所有）后重试。"
)
MSG_CANNOT_OPEN = "无法打开数据库 {path}：文件夹不存在或没有权限。请核对 --db 路径和文件夹权限。"
MSG_DISK_FULL = "磁盘空间不足，本次操作未保存。请清理磁盘空间后重试。"
MSG_NO_PERMISSION = "没有权限访问 {path}。请以服务账户运行，或请系统管理员检查权限。"
MSG_NOT_FOUND = "找不到文件 {path}。请核对路径后重试。"
MSG_IO = "读写文件时出错（{what}）。请检查磁盘和文件夹权限后重试。"
MSG_NETWORK = (
    "无法连接卡管系统（网络中断、地址错误或对方未运行）。请检查网络和网关地址后重试；本机数据不受影响。"
)
MSG_INTERRUPTED = "已中断。未完成的操作没有保存。"
MSG_INTERNAL = "程序内部错误（{kind}），本次操作未完成。详细情况已记录在 {log}，请把该文件交给技术支持。"
MSG_INTERNAL_NO_LOG = "程序内部错误（{kind}），本次操作未完成。请联系技术支持。"

_DIGITS = re.compile(r"\d{4,}[\dXx]*")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def log_dir() -> Path:
    env = os.environ.get("CARDSTATION_LOG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_log_dir("cardstation"))


def scrub(text: str) -> str:
    """Mask what may identify a person: long digit runs (ID, phone, card numbers) and Chinese text."""
    return _CJK.sub("…", _DIGITS.sub("#", text))[:300]


def log_failure(exc: BaseException, where: str) -> Path | None:
    """Append the failure to the owner-only log; None if even that is impossible (full disk...)."""
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [
        f"{datetime.now().astimezone().isoformat(timespec='seconds')} {where} {type(exc).__module__}."
        f"{type(exc).__qualname__}: {scrub(str(exc))}",
        *(f"    {Path(f.filename).name}:{f.lineno}:{f.name}" for f in frames[-12:]),
    ]
    try:
        folder = log_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / "cardstation.log"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, ("\n".join(lines) + "\n").encode())
        finally:
            os.close(fd)
        return path
    except OSError:
        return None


def explain(exc: BaseException, db_path: Path | None = None) -> tuple[str, int, bool]:
    """(Chinese message, exit code, unexpected?) for an error that reached the top."""
    path = str(db_path) if db_path is not None else "数据库"
    if isinstance(exc, KeyboardInterrupt):
        return MSG_INTERRUPTED, EXIT_INTERRUPTED, False
    message_zh = getattr(exc, "message_zh", None)
    if isinstance(message_zh, str) and message_zh:
        return message_zh, EXIT_REFUSED, False
    from offline.errors import CardstationError

    if isinstance(exc, CardstationError):
        code = EXIT_INPUT if type(exc).__name__ == "MissingInput" else EXIT_REFUSED
        return str(exc), code, False
    if type(exc).__name__ in ("EnrolError", "KeySetError") and _has_chinese(str(exc)):
        return str(exc), EXIT_REFUSED, False
    if type(exc).__name__ == "LinkError":
        from sync import messages

        return f"{messages.reason(getattr(exc, 'code', 'network'))} {MSG_NETWORK}", EXIT_REFUSED, False
    if type(exc).__module__.startswith(("httpx", "httpcore")):
        return MSG_NETWORK, EXIT_REFUSED, False
    from offline.store import database_errors

    if isinstance(exc, database_errors()):
        return _sqlite(exc, path), EXIT_REFUSED, False
    if isinstance(exc, OSError):
        return _os(exc), EXIT_REFUSED, False
    return "", EXIT_REFUSED, True


def _has_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def _sqlite(exc: Exception, path: str) -> str:
    text = str(exc).lower()
    code = getattr(exc, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL or "disk is full" in text:
        return MSG_DISK_FULL
    if "readonly" in text or "read-only" in text:
        return MSG_READ_ONLY.format(path=path)
    if "unable to open" in text:
        return MSG_CANNOT_OPEN.format(path=path)
    if "not a database" in text or "malformed" in text or "disk image" in text or "encrypted" in text:
        return MSG_CORRUPT.format(path=path)
    return MSG_CORRUPT.format(path=path)


def _os(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return MSG_DISK_FULL
    if exc.errno == errno.EROFS:
        return MSG_READ_ONLY.format(path=where)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return MSG_NO_PERMISSION.format(path=where)
    if exc.errno == errno.ENOENT:
        return MSG_NOT_FOUND.format(path=where)
    return MSG_IO.format(what=exc.strerror or type(exc).__name__)


def report(exc: BaseException, db_path: Path | None, where: str) -> tuple[str, int]:
    """Explain the error and log its detail (except plain refusals): (message, exit code)."""
    message, code, unexpected = explain(exc, db_path)
    refusal = code == EXIT_INTERRUPTED or getattr(exc, "message_zh", None) or _is_refusal(exc)
    log = None if refusal else log_failure(exc, where)
    if unexpected:
        kind = type(exc).__name__
        message = MSG_INTERNAL.format(kind=kind, log=log) if log else MSG_INTERNAL_NO_LOG.format(kind=kind)
    return message, code


def _is_refusal(exc: BaseException) -> bool:
    from offline.errors import CardstationError
    from offline.store import database_errors

    return isinstance(exc, CardstationError) and not isinstance(exc.__cause__, (*database_errors(), OSError))
