"""Signature-pad images (HB 11, 13, 39; R-APP-8): the newest image written after the form
opened, checked as a real PNG/JPEG within limits; every refusal a Chinese message."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

from offline.signatures import (
    SIGNATURE_CAP,
    SignatureError,
    image_mime,
    newest_signature,
    signature_problems,
)


def signature_png(width: int = 300, height: int = 100) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(img).line([(10, 80), (80, 20), (150, 70), (290, 30)], fill="black", width=4)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def write(folder: Path, name: str, data: bytes, mtime: float) -> Path:
    path = folder / name
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def test_R_APP_8_newest_signature_after_the_form_opened_is_taken(tmp_path: Path) -> None:
    opened = time.time() - 60
    write(tmp_path, "earlier-applicant.png", signature_png(200, 80), opened - 30)  # before: not ours
    write(tmp_path, "sig-1.png", signature_png(300, 100), opened + 10)
    write(tmp_path, "sig-2.jpg.txt", b"not an image", opened + 40)  # not an image suffix: ignored
    newest = write(tmp_path, "sig-2.png", signature_png(320, 110), opened + 20)
    found = newest_signature(tmp_path, opened)
    assert found.file_name == "sig-2.png" and found.image == newest.read_bytes()
    assert found.mime == "image/png" and "已读取签名：sig-2.png" in found.text


def test_R_APP_8_nothing_new_folder_missing_not_an_image_too_big_all_refused_in_chinese(
    tmp_path: Path,
) -> None:
    opened = time.time() - 60
    write(tmp_path, "old.png", signature_png(), opened - 5)
    with pytest.raises(SignatureError, match="没有本表打开后保存的签名"):
        newest_signature(tmp_path, opened)
    with pytest.raises(SignatureError, match=r"签名板文件夹 .* 不存在"):
        newest_signature(tmp_path / "nowhere", opened)
    write(tmp_path, "broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, opened + 1)
    with pytest.raises(SignatureError, match="不是可用的 PNG 或 JPEG"):
        newest_signature(tmp_path, opened)
    write(tmp_path, "huge.png", b"\x00" * (SIGNATURE_CAP + 1), opened + 2)
    with pytest.raises(SignatureError, match="超过上限"):
        newest_signature(tmp_path, opened)
    write(tmp_path, "tiny.png", signature_png(10, 10), opened + 3)  # unreadable on paper
    with pytest.raises(SignatureError, match="像素"):
        newest_signature(tmp_path, opened)


def test_R_APP_8_the_service_checks_the_image_again() -> None:
    assert signature_problems(None) == [] and signature_problems(signature_png()) == []
    assert [p.field for p in signature_problems(b"GIF89a....")] == ["signature"]
    assert image_mime(signature_png()) == "image/png"
