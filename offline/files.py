"""Reading a file someone named (a photo, a scan, a batch list) without trusting the name.

A path in a spreadsheet cell or a form field can name anything: `/dev/zero` (reads until memory
runs out), a FIFO (blocks forever), a 2 GB sparse file, a symlink out of the folder, or a file
that grows while it is read. So:

- a path from a batch file must resolve (symlinks followed) to somewhere under that file's folder;
  a path the operator picked in a form may be anywhere;
- it is opened with O_NONBLOCK (a FIFO or a device cannot block the open), then `fstat` on the
  open descriptor (no race with a rename) must say *regular file* and a size within the cap;
- it is read in chunks up to the cap plus one byte, so a file that grows is still refused.

Every refusal is a `FileRefused` with a Chinese message saying what to do; nothing here blocks
or allocates more than the cap.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MB = 1024 * 1024
#: Photos straight from a camera or a studio are a few MB; anything larger is not a portrait.
PHOTO_CAP = 10 * MB
#: A scanned page (JPEG/PDF) of an identity document.
SCAN_CAP = 10 * MB
#: A batch list: 10,000 rows of a few hundred bytes each fit in a few MB.
BATCH_CAP = 50 * MB
_CHUNK = 256 * 1024


class FileRefused(Exception):
    """The named file cannot be used; `message_zh` says why and what to do."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def resolve_under(name: str, root: Path | None) -> Path:
    """`name` as a path: relative to `root` when given, and then required to stay under it."""
    if "\x00" in name:
        raise FileRefused(f"文件名“{name!r}”含有不可见字符，请重新填写文件名。")
    path = Path(name).expanduser()
    if root is None:
        return path
    base = root.resolve()
    full = (base / path).resolve()
    if not full.is_relative_to(base):
        raise FileRefused(
            f"文件“{name}”不在名单所在的文件夹（{base}）内。请把照片等文件放到名单所在的文件夹（或其子文件夹）里，"
            "并填写相对于该文件夹的文件名。"
        )
    return full


def read_capped(
    name: str | Path, *, root: Path | None = None, cap: int = PHOTO_CAP, what: str = "文件"
) -> bytes:
    """The bytes of a regular file of at most `cap` bytes (see the module docstring)."""
    path = resolve_under(str(name), root)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileRefused(f"找不到{what}“{name}”，请核对文件名和所在文件夹。") from None
    except PermissionError:
        raise FileRefused(f"没有权限读取{what}“{name}”，请把文件复制到本机文件夹后再试。") from None
    except OSError as exc:
        raise FileRefused(f"{what}“{name}”无法打开（{exc.strerror}），请核对文件。") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(f"“{name}”不是普通文件（可能是设备、管道或文件夹），请选择{what}本身。")
        if st.st_size > cap:
            raise FileRefused(
                f"{what}“{name}”有 {st.st_size / MB:.1f} MB，超过上限 {cap // MB} MB，请确认选对了文件。"
            )
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(_CHUNK, cap + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > cap:
                raise FileRefused(
                    f"{what}“{name}”读取时超过上限 {cap // MB} MB（文件仍在变大？），请稍后重试。"
                )
        return b"".join(chunks)
    except OSError as exc:
        raise FileRefused(f"{what}“{name}”读取失败（{exc.strerror}），请核对文件。") from None
    finally:
        os.close(fd)


def path_problem(name: str, *, root: Path | None = None, cap: int = PHOTO_CAP, what: str = "文件") -> str:
    """What `read_capped` would refuse, by `stat` only (cheap enough for a form's field check); '' = fine."""
    try:
        path = resolve_under(name, root)
        st = path.stat()
    except FileRefused as exc:
        return exc.message_zh
    except OSError:
        return f"找不到{what}“{name}”，请核对文件名和所在文件夹。"
    if not stat.S_ISREG(st.st_mode):
        return f"“{name}”不是普通文件（可能是设备、管道或文件夹），请选择{what}本身。"
    if st.st_size > cap:
        return f"{what}“{name}”有 {st.st_size / MB:.1f} MB，超过上限 {cap // MB} MB，请确认选对了文件。"
    return ""
