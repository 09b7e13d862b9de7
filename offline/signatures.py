"""Signature-pad images (签名板): read the newest one from the pad's folder, check it, keep it.

Why a folder: most USB signature pads sold to service halls come with vendor software that saves
each signature as a PNG or JPEG in a folder it is configured with; no common driver API exists.
So the terminal is told that folder (`signature_dir` in the terminal config, like the printer)
and takes the newest image written *after the form was opened* — an older file is someone
else's signature. The image is checked (a real PNG/JPEG that decodes, within size limits) and
kept with the business (table `signatures`, and a `signature` blob envelope like the photo), so
the printed form shows it in the signature box (HB 11, 13, 39; R-APP-8).

Nothing here imports Textual: the form calls `newest_signature` in a worker and hands the bytes
to the service, which checks them again (`signature_problems`) before anything is written.
"""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from offline.errors import Problem
from offline.files import FileRefused, read_capped
from offline.protocols import CardstationError

#: A pad's signature is a small image: tens of KB; anything near a megabyte is not one.
SIGNATURE_CAP = 1024 * 1024
#: A signature smaller than this many pixels on a side cannot be read on the printed form.
MIN_SIDE = 40
MAX_SIDE = 4000
SUFFIXES = (".png", ".jpg", ".jpeg")
MIMES = {"PNG": "image/png", "JPEG": "image/jpeg"}
LABEL = "电子签名"


class SignatureError(CardstationError):
    """No usable signature image; `message_zh` says what to do at the pad."""


@dataclass(frozen=True)
class Signature:
    """A checked signature image and where it came from."""

    image: bytes
    mime: str
    file_name: str

    @property
    def text(self) -> str:
        """What the operator is shown once it is read."""
        return f"已读取签名：{self.file_name}（{len(self.image) / 1024:.0f} KB）"


def image_mime(image: bytes) -> str | None:
    """'image/png' or 'image/jpeg' when `image` decodes as one within the size limits, else None."""
    from PIL import Image, UnidentifiedImageError  # lazily: keeps importing offline/ cheap

    try:
        with Image.open(io.BytesIO(image)) as img:
            fmt = str(img.format or "")
            width, height = img.size
            img.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    if fmt not in MIMES or not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        return None
    return MIMES[fmt]


def signature_problems(image: bytes | None) -> list[Problem]:
    """R-APP-8: a signature handed to a service is a real PNG/JPEG of a sensible size."""
    if image is None:
        return []
    if len(image) > SIGNATURE_CAP or image_mime(image) is None:
        return [
            Problem(
                "signature",
                "R-APP-8",
                "电子签名图片无效（须为签名板保存的 PNG 或 JPEG 图片，不超过 1 MB）",
                "请申请人在签名板上重新签名后，再按“读取签名”。",
                LABEL,
            )
        ]
    return []


def newest_signature(folder: Path, since: float) -> Signature:
    """The newest PNG/JPEG in `folder` written after `since` (a POSIX time), checked.

    Raises SignatureError with a Chinese message: folder missing, nothing new yet, or the newest
    file is not a usable image (too big, not an image, unreadable).
    """
    try:
        entries = [e for e in os.scandir(folder) if e.name.lower().endswith(SUFFIXES)]
    except FileNotFoundError:
        raise SignatureError(
            f"签名板文件夹 {folder} 不存在。请检查签名板软件的保存位置，并在终端配置 signature_dir 中填写该文件夹。"
        ) from None
    except OSError as exc:
        raise SignatureError(f"无法读取签名板文件夹 {folder}（{exc.strerror}），请检查文件夹权限。") from None
    fresh: list[tuple[float, str]] = []
    for entry in entries:
        try:
            if entry.is_file() and entry.stat().st_mtime > since:
                fresh.append((entry.stat().st_mtime, entry.name))
        except OSError:
            continue  # removed while looking: not the newest anyway
    if not fresh:
        raise SignatureError(
            "签名板文件夹中没有本表打开后保存的签名。请申请人在签名板上签名并点“确认”，再按“读取签名”。"
        )
    _mtime, name = max(fresh)
    try:
        image = read_capped(folder / name, cap=SIGNATURE_CAP, what="签名图片")
    except FileRefused as exc:
        raise SignatureError(exc.message_zh) from None
    mime = image_mime(image)
    if mime is None:
        raise SignatureError(
            f"签名文件“{name}”不是可用的 PNG 或 JPEG 图片（或尺寸不在 {MIN_SIDE}-{MAX_SIDE} 像素之间）。"
            "请检查签名板软件的保存格式，让申请人重新签名。"
        )
    return Signature(image, mime, name)


def store_signature(
    conn: sqlite3.Connection,
    *,
    business_id: int,
    person_id: int | None,
    image: bytes,
    file_name: str,
    at: str,
) -> None:
    """Keep the checked signature with its business (inside the business's transaction)."""
    mime = image_mime(image) or "image/png"
    conn.execute(
        "INSERT INTO signatures(business_id, person_id, image, mime, sha256, file_name, taken_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (business_id, person_id, image, mime, hashlib.sha256(image).hexdigest(), file_name, at),
    )
