"""Photos that can be fixed are fixed (R-APP-2): cropped to 358×441 and re-encoded within 14-40 KB.

A village office has a phone camera or a studio's files, not an image editor; a 58 KB photo or a
PNG must not send the applicant away. What can be fixed is fixed and recorded as 自动调整; only
what cannot is refused: no usable image, a photo smaller than the target (enlarging blurs the
face the card centre checks), a non-white background, a frame.

**Crop method (centre-weighted, documented here because the result is sent to the card centre):**

1. EXIF orientation is applied, transparency is flattened onto white, and the image is decoded
   at a reduced scale when it is much larger than needed: to twice the target across the crop box
   (JPEG draft mode decodes at 1/2..1/8 scale; other formats are reduced right after decoding), so
   a 24-megapixel photo costs a few MB, not a few hundred.
2. The background colour is the median of the two top corners (8% of the width each).
3. The *subject* is every pixel that differs from the background by more than 60 (sum over RGB).
   The face column is the median column of subject pixels in the upper 60% of the image (head and
   neck, not the shoulders, which are wider); without any subject it is the centre.
4. The crop box is the largest box with the 358:441 aspect that fits in the image, centred on the
   face column (clamped to the image). Vertically its top sits 8% of its height above the top of
   the head (the first row with subject pixels), clamped, so the head is never cut.
5. The box is resized to 358×441 (Lanczos) and encoded as a baseline JPEG, searching the quality
   (binary search, 95 down to 20) for the highest quality whose file is within 14-40 KB.
6. The result goes through `photo.check_photo`: background and border are judged on it, and the
   photo is refused with the validator's own problem when it fails.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from offline.errors import Problem
from offline.validation import messages as m
from offline.validation.photo import HEIGHT, MAX_BYTES, MIN_BYTES, RULE, WIDTH, check_photo

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

#: Larger images are not portraits and would cost memory to decode. A JPEG is decoded at 1/2..1/8
#: scale (draft mode), so it may be large; other formats (PNG …) are decoded in full first.
MAX_PIXELS_JPEG = 50_000_000
MAX_PIXELS_OTHER = 16_000_000
SUBJECT_DIFF = 60
HEAD_MARGIN = 0.08
QUALITY_HI, QUALITY_LO = 95, 20


@dataclass(frozen=True)
class PhotoFix:
    """The photo to use (`data`, None when refused), what it was and became, and why refused."""

    data: bytes | None
    adjusted: bool
    before: str  # '1200×1600 PNG 58.0 KB'
    after: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def note(self) -> str:
        """What the operator and the batch report read when the photo was adjusted."""
        return m.PHOTO_ADJUSTED.format(before=self.before, after=self.after) if self.adjusted else ""


def describe(width: int, height: int, fmt: str, size: int) -> str:
    return f"{width}×{height} {fmt} {size / 1024:.1f} KB"


def fix_photo(raw: bytes, *, age_years: int = 99, cartoon_age: int = 7) -> PhotoFix:
    """The photo as the card centre wants it, adjusting only what can be adjusted."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    # Only a photo that may already be right is given to the validator, which decodes it in full;
    # anything else is judged from its header (a 24 MP original is never decoded at full size).
    if _may_be_right(raw) and not check_photo(raw, age_years=age_years, cartoon_age=cartoon_age):
        return PhotoFix(raw, False, _describe_bytes(raw))

    try:
        image = Image.open(io.BytesIO(raw))
        fmt = image.format or "?"
        width, height = image.size
        if width * height > (MAX_PIXELS_JPEG if fmt == "JPEG" else MAX_PIXELS_OTHER):
            msg = m.PHOTO_TOO_LARGE.format(mp=width * height // 10_000)
            return _refused(describe(width, height, fmt, len(raw)), msg, m.FIX_PHOTO_TOO_LARGE)
        before = describe(width, height, fmt, len(raw))
        if width < WIDTH or height < HEIGHT:
            msg = m.PHOTO_TOO_SMALL.format(w=width, h=height)
            return _refused(before, msg, m.FIX_PHOTO_RETAKE)
        image.thumbnail(_working_size(image), Image.Resampling.LANCZOS)  # JPEG: draft decode
        image = ImageOps.exif_transpose(image)
        rgb = _flatten(image)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return _refused(_describe_bytes(raw), m.PHOTO_UNUSABLE)
    if rgb.width < WIDTH or rgb.height < HEIGHT:
        return _refused(before, m.PHOTO_TOO_SMALL.format(w=rgb.width, h=rgb.height), m.FIX_PHOTO_RETAKE)
    cropped = rgb.crop(crop_box(rgb)).resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    data = encode_within(cropped)
    if data is None:
        return _refused(before, m.PHOTO_UNUSABLE)
    after = describe(WIDTH, HEIGHT, "JPEG", len(data))
    problems = check_photo(data, age_years=age_years, cartoon_age=cartoon_age)
    if problems:
        return PhotoFix(None, False, before, after, problems)
    return PhotoFix(data, True, before, after)


def _may_be_right(raw: bytes) -> bool:
    """A JPEG of the target size within the byte limits (by its header): worth validating as is."""
    from PIL import Image

    if not MIN_BYTES <= len(raw) <= MAX_BYTES:
        return False
    try:
        image = Image.open(io.BytesIO(raw))
    except Exception:  # unreadable: the fixing path says so with its own message
        return False
    return image.format == "JPEG" and image.size == (WIDTH, HEIGHT)


def _working_size(image: PILImage) -> tuple[int, int]:
    """The size to decode at: the crop box (aspect 358:441, in the upright orientation) at twice
    the target, never enlarged."""
    width, height = image.size
    if image.getexif().get(0x0112) in (5, 6, 7, 8):  # EXIF says rotated by 90°: judge it upright
        width, height = height, width
    box_w = min(width, height * WIDTH / HEIGHT)
    scale = max(1.0, box_w / (WIDTH * 2))
    size = (round(width / scale), round(height / scale))
    return (size[1], size[0]) if image.size != (width, height) else size


def _describe_bytes(raw: bytes) -> str:
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(raw))
        return describe(image.width, image.height, image.format or "?", len(raw))
    except Exception:  # any unreadable input is described by its size only
        return f"{len(raw) / 1024:.1f} KB"


def _refused(before: str, message: str, fix: str = m.FIX_PHOTO_TAKE) -> PhotoFix:
    return PhotoFix(None, False, before, problems=[m.problem("photo", RULE, message, fix)])


def _flatten(image: PILImage) -> PILImage:
    """RGB; transparency composited on white (a PNG cut-out becomes a white background)."""
    from PIL import Image

    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def crop_box(rgb: PILImage) -> tuple[int, int, int, int]:
    """The crop (left, top, right, bottom) of steps 2-4 of the module docstring."""
    from PIL import Image, ImageChops

    w, h = rgb.size
    small = rgb.copy()
    small.thumbnail((200, 200))
    sw, sh = small.size
    corner = max(1, sw * 8 // 100)
    samples = [
        small.getpixel((x, y)) for y in range(corner) for x in (*range(corner), *range(sw - corner, sw))
    ]
    r, g, b = (sorted(int(px[i]) for px in samples)[len(samples) // 2] for i in range(3))
    diff = ImageChops.difference(small, Image.new("RGB", small.size, (r, g, b))).convert("L")
    mask = diff.point(lambda v: 255 if v * 3 > SUBJECT_DIFF else 0)
    upper = mask.crop((0, 0, sw, max(1, sh * 6 // 10)))
    columns = [x for x in range(sw) for y in range(upper.height) if upper.getpixel((x, y))]
    cx = (sorted(columns)[len(columns) // 2] + 0.5) * w / sw if columns else w / 2
    bbox = mask.getbbox()
    head_top = bbox[1] * h / sh if bbox else 0.0
    box_w = min(w, h * WIDTH / HEIGHT)
    box_h = box_w * HEIGHT / WIDTH
    left = min(max(0.0, cx - box_w / 2), w - box_w)
    top = min(max(0.0, head_top - HEAD_MARGIN * box_h), h - box_h)
    return round(left), round(top), round(left + box_w), round(top + box_h)


def encode_within(image: PILImage, lo: int = MIN_BYTES, hi: int = MAX_BYTES) -> bytes | None:
    """The highest-quality baseline JPEG between `lo` and `hi` bytes, or None when none is."""

    def encode(quality: int) -> bytes:
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=quality, optimize=True)
        return buf.getvalue()

    best: bytes | None = None
    low, high = QUALITY_LO, QUALITY_HI
    while low <= high:
        quality = (low + high) // 2
        data = encode(quality)
        if len(data) > hi:
            high = quality - 1
        else:
            if len(data) >= lo:
                best = data
            low = quality + 1
    if best is None:  # a very plain image: even 95 is under 14 KB; try without chroma subsampling
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=QUALITY_HI, subsampling=0)
        data = buf.getvalue()
        best = data if lo <= len(data) <= hi else None
    return best
