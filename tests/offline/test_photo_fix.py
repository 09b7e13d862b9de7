"""Photos that can be fixed are fixed (R-APP-2), at and around every limit of HB 12.

Limits: 14 KB and 40 KB (file), 358×441 (pixels), JPEG (format), white background, a usable
image. Each case states the photo before and what must come out; every adjusted photo is checked
again by the validator (`check_photo`) and must pass.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from typing import Any

import pytest
from PIL import Image, ImageDraw

from offline.validation.photo import HEIGHT, MAX_BYTES, MIN_BYTES, WIDTH, check_photo
from offline.validation.photo_fix import crop_box, fix_photo

KB = 1024


def portrait(
    w: int = WIDTH,
    h: int = HEIGHT,
    *,
    bg: tuple[int, ...] = (255, 255, 255),
    mode: str = "RGB",
    cx: int | None = None,
    noise: int = 3000,
    seed: int = 1,
) -> Image.Image:
    """A head-and-shoulders drawing on a plain background, noisy enough to weigh 14-40 KB."""
    rng = random.Random(seed)
    img = Image.new(mode, (w, h), bg)  # type: ignore[arg-type]
    d = ImageDraw.Draw(img)
    cx = cx if cx is not None else w // 2
    hw = min(w, h) // 6
    top = h // 5
    d.ellipse((cx - hw, top, cx + hw, top + int(hw * 2.6)), fill=(200, 160, 130, 255)[: len(bg)])  # type: ignore[arg-type]
    d.rectangle((cx - hw * 2, h * 6 // 10, cx + hw * 2, h), fill=(40, 40, 90, 255)[: len(bg)])  # type: ignore[arg-type]
    for _ in range(noise):
        x, y = rng.randrange(max(0, cx - hw * 2), min(w, cx + hw * 2)), rng.randrange(top, h)
        c = rng.randrange(40, 200)
        d.rectangle((x, y, x + 3, y + 3), fill=(c, c // 2 + 20, c // 3, 255)[: len(bg)])  # type: ignore[arg-type]
    return img


def encoded(img: Image.Image, fmt: str = "JPEG", **kw: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def jpeg_of_size(size: int) -> bytes:
    """A 358×441 JPEG of exactly `size` bytes (padding after the end marker, which decoders ignore)."""
    base = encoded(portrait(noise=600), quality=40)
    assert len(base) <= size, len(base)
    return base + b"\0" * (size - len(base))


def assert_fixed(raw: bytes) -> bytes:
    fixed = fix_photo(raw)
    assert fixed.adjusted and fixed.data is not None, fixed.problems
    assert MIN_BYTES <= len(fixed.data) <= MAX_BYTES
    out = Image.open(io.BytesIO(fixed.data))
    assert (out.format, out.size) == ("JPEG", (WIDTH, HEIGHT))
    assert check_photo(fixed.data, age_years=30) == []
    assert fixed.note.startswith("照片已自动调整：原 ") and "→ 358×441 JPEG" in fixed.note
    return fixed.data


@pytest.mark.parametrize("size", [MIN_BYTES, MIN_BYTES + 1, MAX_BYTES - 1, MAX_BYTES])
def test_R_APP_2_within_limits_left_as_it_is(size: int) -> None:
    raw = jpeg_of_size(size)
    assert check_photo(raw, age_years=30) == []
    fixed = fix_photo(raw)
    assert not fixed.adjusted and fixed.data == raw and fixed.note == ""


@pytest.mark.parametrize("size", [MIN_BYTES - 1, MAX_BYTES + 1, 58 * KB, 2 * MAX_BYTES])
def test_R_APP_2_weight_outside_limits_is_re_encoded(size: int) -> None:
    raw = jpeg_of_size(size)
    assert check_photo(raw, age_years=30) != []
    assert_fixed(raw)


def test_R_APP_2_heavy_58kb_photo_from_the_issue() -> None:
    raw = encoded(portrait(noise=9000), quality=98)
    assert len(raw) > 58 * KB
    assert_fixed(raw)


@pytest.mark.parametrize(
    ("w", "h"),
    [
        (WIDTH + 1, HEIGHT),
        (WIDTH, HEIGHT + 1),
        (WIDTH + 1, HEIGHT + 1),
        (1200, 1600),
        (2000, 1500),
        (4000, 3000),
    ],
)
def test_R_APP_2_larger_than_target_cropped(w: int, h: int) -> None:
    assert_fixed(encoded(portrait(w, h), quality=90))


@pytest.mark.parametrize(("w", "h"), [(WIDTH - 1, HEIGHT), (WIDTH, HEIGHT - 1), (300, 400), (100, 120)])
def test_R_APP_2_smaller_than_target_refused(w: int, h: int) -> None:
    fixed = fix_photo(encoded(portrait(w, h), quality=90))
    assert fixed.data is None and not fixed.adjusted
    assert "小于要求的 358×441" in fixed.problems[0].message and fixed.problems[0].rule == "R-APP-2"


def test_R_APP_2_png_input_exact_size_becomes_jpeg() -> None:
    raw = encoded(portrait(), "PNG")
    assert check_photo(raw, age_years=30) != []  # not a JPEG
    assert_fixed(raw)


def test_R_APP_2_png_cut_out_on_transparency_gets_white_background() -> None:
    img = portrait(800, 1000, bg=(0, 0, 0, 0), mode="RGBA")
    assert_fixed(encoded(img, "PNG"))


def test_R_APP_2_non_white_background_refused() -> None:
    fixed = fix_photo(encoded(portrait(800, 1000, bg=(60, 120, 200)), "PNG"))
    assert fixed.data is None
    assert [p.message for p in fixed.problems] == ["照片背景不是白色"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not an image" * 50,
        encoded(portrait())[:2000],
        encoded(Image.new("RGB", (800, 1000), "white"), "PNG"),
    ],
    ids=["empty", "text", "truncated", "blank"],
)
def test_R_APP_2_no_usable_image_refused(raw: bytes) -> None:
    fixed = fix_photo(raw) if raw else fix_photo(b"\0")
    assert fixed.data is None
    assert fixed.problems and fixed.problems[0].rule == "R-APP-2"


def test_R_APP_2_huge_dimensions_refused_without_decoding() -> None:
    """A PNG header claiming 20000×20000 is refused from the header alone."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0))
    fixed = fix_photo(header + chunk(b"IEND", b""))
    assert fixed.data is None
    assert "过大" in fixed.problems[0].message or "不是可用的图像" in fixed.problems[0].message


def test_crop_follows_an_off_centre_face() -> None:
    """Centre-weighted on the face column: a person on the right of a landscape photo stays in the crop."""
    img = portrait(2000, 1500, cx=1500)
    left, top, right, _bottom = crop_box(img)
    assert left <= 1500 - 200 and right >= 1500 + 200  # the whole head is inside
    assert right - left == round(1500 * WIDTH / HEIGHT) or abs((right - left) - 1500 * WIDTH / HEIGHT) <= 1
    assert top <= 1500 // 5  # the top of the head is not cut


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_R_APP_2_camera_sized_photo_fixed_in_bounded_memory(tmp_path: object, fmt: str) -> None:
    """A camera-sized portrait (24 MP JPEG, 15 MP PNG, the largest PNG accepted being 16 MP) is
    fixed with a peak RSS of a fresh process under 200 MB; a 24 MP PNG is refused from its header."""
    import subprocess
    import sys
    from pathlib import Path

    path = Path(str(tmp_path)) / f"big.{fmt.lower()}"
    size = (4000, 6000) if fmt == "JPEG" else (3000, 5000)
    portrait(*size, noise=40000).save(path, fmt, **(dict[str, Any](quality=92) if fmt == "JPEG" else {}))
    # VmHWM is the peak of this process's own memory (ru_maxrss would carry the parent's over exec).
    code = (
        "import sys\n"
        "from offline.validation.photo_fix import fix_photo\n"
        "fixed = fix_photo(open(sys.argv[1], 'rb').read())\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]\n"
        "print(int(fixed.adjusted), hwm)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120
    )
    adjusted, rss_kb = done.stdout.split()
    assert adjusted == "1", done.stderr
    assert int(rss_kb) < 200 * 1024


def test_R_APP_2_oversized_png_refused_from_its_header() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (4000, 6000), "white").save(buf, "PNG")
    fixed = fix_photo(buf.getvalue())
    assert fixed.data is None and "过大" in fixed.problems[0].message
