"""R-APP-2 (HB 12): JPEG, 14-40 KB, 358 x 441, white background, no border; optional under 7."""

from __future__ import annotations

import io
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from offline.errors import Problem
from offline.samples import sample_photo
from offline.validation import check_photo

GOOD = sample_photo(0)


def _reencode(img: Image.Image, fmt: str = "JPEG", **kw: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _messages(data: bytes | None, age: int = 30) -> list[str]:
    return [p.message for p in check_photo(data, age_years=age)]


def test_R_APP_2_accepts_standard_photo() -> None:
    for variant in range(6):
        assert check_photo(sample_photo(variant), age_years=30) == []


def test_R_APP_2_photo_optional_below_cartoon_age() -> None:
    assert check_photo(None, age_years=6) == []
    problems = check_photo(None, age_years=7)
    assert [p.rule for p in problems] == ["R-APP-2"] and "7 周岁" in problems[0].message


def test_R_APP_2_rejects_wrong_dimensions() -> None:
    img = Image.open(io.BytesIO(GOOD)).resize((300, 400))
    assert any("358×441" in m for m in _messages(_reencode(img, quality=95)))


def test_R_APP_2_rejects_non_jpeg_and_garbage() -> None:
    png = _reencode(Image.open(io.BytesIO(GOOD)), "PNG")
    assert any("JPEG" in m for m in _messages(png))
    assert "照片文件无法读取" in _messages(b"\xff\xd8not really a jpeg" * 1000)


def test_R_APP_2_rejects_file_size_out_of_range() -> None:
    small = _reencode(Image.open(io.BytesIO(GOOD)), quality=20)
    assert len(small) < 14 * 1024 and any("KB" in m for m in _messages(small))
    big = _reencode(Image.effect_noise((358, 441), 120).convert("RGB"), quality=98)
    assert len(big) > 40 * 1024 and any("KB" in m for m in _messages(big))


def test_R_APP_2_rejects_coloured_background() -> None:
    img = Image.open(io.BytesIO(GOOD)).convert("RGB")
    blue = Image.new("RGB", img.size, (60, 120, 220))
    mask = img.convert("L").point(lambda v: 255 if v > 245 else 0)  # the white background only
    img.paste(blue, (0, 0), mask)
    messages = _messages(_reencode(img, quality=92))
    assert "照片背景不是白色" in messages


def test_R_APP_2_rejects_border() -> None:
    img = Image.open(io.BytesIO(GOOD)).convert("RGB")
    ImageDraw.Draw(img).rectangle((0, 0, 357, 440), outline=(0, 0, 0), width=2)
    messages = _messages(_reencode(img, quality=92))
    assert any("边框" in m for m in messages)
    assert "照片背景不是白色" not in messages  # the frame is reported as a frame


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=2048))
def test_R_APP_2_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    problems = check_photo(data, age_years=random.Random(len(data)).randint(0, 90))
    assert all(isinstance(p, Problem) and p.rule == "R-APP-2" for p in problems)
