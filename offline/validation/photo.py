"""The electronic photo standard of HB 12 (R-APP-2), checked before the photo is sealed for upload.

JPEG, 14-40 KB, 358 x 441 px (w x h), white background, no border. A photo refused by the card
centre comes back days later and the applicant has to come again, so the station checks what a
machine can check at the window: format and size exactly, background and border by sampling.

Background: the top band and the upper parts of the side bands (where a head-and-shoulders photo
shows only background) must be mostly bright and unsaturated. Border: the outermost lines of the
top, left and right edges must not be darker or more coloured than the background just inside
them. The bottom edge is not checked: clothing reaches it in every correct photo.

Below the province's cartoon age (7, HB 11) the photo may be omitted: the child gets a cartoon-
avatar card and exchanges it after turning 7 (HB 23).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from offline.errors import Problem
from offline.validation import messages as m

if TYPE_CHECKING:
    from PIL import Image

RULE = "R-APP-2"
WIDTH, HEIGHT = 358, 441
KB = 1024
MIN_BYTES, MAX_BYTES = 14 * KB, 40 * KB
#: A background pixel: every channel at least this bright ...
WHITE_MIN = 200
#: ... and channels this close together (unsaturated).
GREY_SPREAD = 30
#: Share of sampled background pixels that must be white.
WHITE_SHARE = 0.9
#: Edge line darker than the background inside it by this much (0-255 luminance) = a border.
BORDER_CONTRAST = 40
EDGE = 3  # px: the outermost lines that would hold a frame
INNER = 12  # px: where the reference background is sampled, inside the frame zone
DEFAULT_CARTOON_AGE = 7


def check_photo(
    jpeg: bytes | None, *, age_years: int, cartoon_age: int = DEFAULT_CARTOON_AGE
) -> list[Problem]:
    """Problems of an applicant's photo (R-APP-2); [] when acceptable. Never raises on bad bytes."""
    if not jpeg:
        if age_years < cartoon_age:
            return []
        return [m.problem("photo", RULE, m.PHOTO_MISSING.format(age=cartoon_age), m.FIX_PHOTO_TAKE)]
    from PIL import Image, UnidentifiedImageError  # lazily: keeps `import offline.validation` cheap

    problems: list[Problem] = []
    if not MIN_BYTES <= len(jpeg) <= MAX_BYTES:
        msg = m.PHOTO_SIZE.format(kb=len(jpeg) / KB, lo=MIN_BYTES // KB, hi=MAX_BYTES // KB)
        problems.append(m.problem("photo", RULE, msg, m.FIX_PHOTO_SIZE))
    try:
        image = Image.open(io.BytesIO(jpeg))
        fmt = image.format
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return [*problems, m.problem("photo", RULE, m.PHOTO_UNREADABLE, m.FIX_PHOTO_TAKE)]
    if fmt != "JPEG":
        problems.append(m.problem("photo", RULE, m.PHOTO_NOT_JPEG, m.FIX_PHOTO_TAKE))
    if image.size != (WIDTH, HEIGHT):
        msg = m.PHOTO_DIMENSIONS.format(w=image.width, h=image.height)
        return [*problems, m.problem("photo", RULE, msg, m.FIX_PHOTO_DIMENSIONS)]
    rgb = image.convert("RGB")
    problems += _border_problems(rgb)
    if not _background_is_white(rgb):
        problems.append(m.problem("photo", RULE, m.PHOTO_BACKGROUND, m.FIX_PHOTO_BACKGROUND))
    return problems


def _background_regions() -> list[tuple[int, int, int, int]]:
    """Boxes (left, top, right, bottom) that show only background in a correct ID photo."""
    w, h = WIDTH, HEIGHT
    band = 28
    return [
        (EDGE, EDGE, w - EDGE, EDGE + band),  # above the head
        (EDGE, EDGE, EDGE + band, h // 2),  # left of the head
        (w - EDGE - band, EDGE, w - EDGE, h // 2),  # right of the head
    ]


def _background_is_white(rgb: Image.Image) -> bool:
    from PIL import ImageChops

    white = total = 0
    for box in _background_regions():
        r, g, b = rgb.crop(box).split()
        low = ImageChops.darker(ImageChops.darker(r, g), b)
        high = ImageChops.lighter(ImageChops.lighter(r, g), b)
        bright = low.point(lambda v: 255 if v >= WHITE_MIN else 0)
        grey = ImageChops.subtract(high, low).point(lambda v: 255 if v <= GREY_SPREAD else 0)
        hist = ImageChops.multiply(bright, grey).histogram()
        white += hist[255]
        total += sum(hist)
    return total > 0 and white / total >= WHITE_SHARE


def _border_problems(rgb: Image.Image) -> list[Problem]:
    """A frame line shows as edge lines darker or more coloured than the background inside."""
    from PIL import ImageStat

    w, h = WIDTH, HEIGHT
    half = h // 2
    edges = {
        "top": ((0, 0, w, EDGE), (0, INNER, w, INNER + EDGE)),
        "left": ((0, 0, EDGE, half), (INNER, 0, INNER + EDGE, half)),
        "right": ((w - EDGE, 0, w, half), (w - INNER - EDGE, 0, w - INNER, half)),
    }
    grey = rgb.convert("L")
    problems: list[Problem] = []
    for side, (edge_box, inner_box) in edges.items():
        edge_lum = ImageStat.Stat(grey.crop(edge_box)).mean[0]
        inner_lum = ImageStat.Stat(grey.crop(inner_box)).mean[0]
        r, g, b = ImageStat.Stat(rgb.crop(edge_box)).mean
        coloured = max(r, g, b) - min(r, g, b) > 2 * GREY_SPREAD
        if inner_lum - edge_lum > BORDER_CONTRAST or (coloured and edge_lum < inner_lum):
            msg = m.PHOTO_BORDER.format(side=m.PHOTO_SIDES[side])
            problems.append(m.problem("photo", RULE, msg, m.FIX_PHOTO_BORDER))
    return problems
