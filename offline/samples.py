"""Realistic *invented* persons, numbers and photos for tests, the demo and benchmarks.

Deterministic: everything comes from the `random.Random` the caller passes, so a seed reproduces a
data set (and `today`, which defaults to the real date so that generated documents are valid on
the day the demo runs). Every generated person passes `validate_person` for its province: valid
GB 11643 numbers with the province's county codes, consistent birth date and sex, documents in
their validity period, a guardian for minors, a cooperating bank of the profile, and a photo that
meets HB 12 from the cartoon age on. Nobody here is real: names are drawn from common characters,
numbers from random sequences.

Photos are expensive to make, so a few variants are rendered once and reused (the benchmark makes
a million persons, the demo a few hundred with photos).
"""

from __future__ import annotations

import io
import random
from datetime import date, timedelta
from functools import cache

from offline import codes
from offline.profiles import Profile, load_profile
from offline.protocols import card_number_check_char
from offline.validation.dates import age_on
from offline.validation.ids import ssn_check_digit
from offline.validation.person import PersonInput, RepresentativeInput

#: County-level regions (GB/T 2260) used for numbers and addresses: code -> (city, county).
COUNTIES: dict[str, dict[str, tuple[str, str]]] = {
    "hubei": {
        "420102": ("武汉市", "江岸区"),
        "420106": ("武汉市", "武昌区"),
        "420111": ("武汉市", "洪山区"),
        "420115": ("武汉市", "江夏区"),
        "420116": ("武汉市", "黄陂区"),
        "420117": ("武汉市", "新洲区"),
        "420281": ("黄石市", "大冶市"),
        "420581": ("宜昌市", "宜都市"),
        "420683": ("襄阳市", "枣阳市"),
        "420902": ("孝感市", "孝南区"),
        "421087": ("荆州市", "松滋市"),
        "421181": ("黄冈市", "麻城市"),
        "421202": ("咸宁市", "咸安区"),
        "422801": ("恩施土家族苗族自治州", "恩施市"),
    },
    "hunan": {
        "430104": ("长沙市", "岳麓区"),
        "430111": ("长沙市", "雨花区"),
        "430121": ("长沙市", "长沙县"),
        "430181": ("长沙市", "浏阳市"),
        "430202": ("株洲市", "荷塘区"),
        "430302": ("湘潭市", "雨湖区"),
        "430405": ("衡阳市", "珠晖区"),
        "430602": ("岳阳市", "岳阳楼区"),
        "430702": ("常德市", "武陵区"),
        "430902": ("益阳市", "资阳区"),
        "431102": ("永州市", "零陵区"),
        "431202": ("怀化市", "鹤城区"),
        "431302": ("娄底市", "娄星区"),
        "433101": ("湘西土家族苗族自治州", "吉首市"),
    },
}
_PROVINCE_ZH = {"hubei": "湖北省", "hunan": "湖南省"}
#: Minority nationalities common in each province, besides 01 汉族 (≈ 93 %).
_MINORITIES = {"hubei": ("15", "06", "03", "12"), "hunan": ("15", "06", "12", "13", "03")}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
)
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆建国志文斌海龙林峰成亮"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲桂兰英华慧颖婷雪琳洁梅萍红琴云莉倩欣怡晶丹月"
#: Names with characters outside the printer's GB18030 repertoire (R-APP-6, HB 34): Ext B 𠮷, 𡒄, 𬱖.
RARE_NAMES: tuple[str, ...] = ("王𠮷", "刘𡒄", "陈𬱖", "𠮷祥", "李𡒄明")
TOWNS = [
    "城关",
    "新店",
    "花山",
    "石桥",
    "马鞍",
    "白沙",
    "龙泉",
    "青山",
    "长岭",
    "黄土",
    "双河",
    "柳林",
    "沙洋",
    "桃源",
    "梅园",
]
VILLAGES = [
    "红星",
    "胜利",
    "新华",
    "团结",
    "光明",
    "东风",
    "向阳",
    "和平",
    "前进",
    "幸福",
    "建设",
    "同心",
    "永安",
    "联合",
    "丰收",
]
_MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "199",
]
_WORKING_OCCUPATIONS = (
    "5010000",
    "5010000",
    "5010000",
    "6290000",
    "4010000",
    "4030000",
    "6020000",
    "2080000",
    "2050000",
    "3010000",
    "4020000",
    "4100000",
)
PHOTO_VARIANTS = 6
_REGIONS = {province: tuple(table) for province, table in COUNTIES.items()}


@cache
def _profile(province: str) -> Profile:
    """Profiles parsed once: the benchmark calls sample_person a million times."""
    return load_profile(province)


def sample_ssn(rng: random.Random, region: str, birth: date, *, sex: str | None = None) -> str:
    """A valid 18-digit number for `region` and `birth`; the 17th digit odd for '1', even for '2'."""
    seq = rng.randrange(0, 1000)
    if sex in ("1", "2"):
        want_odd = sex == "1"
        if (seq % 2 == 1) != want_odd:
            seq = (seq + 1) % 1000
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + ssn_check_digit(first17)


def sample_card_number(rng: random.Random) -> str:
    """A 9-character card number (district letter + 7 digits + check character)."""
    first8 = rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + f"{rng.randrange(10**7):07d}"
    return first8 + card_number_check_char(first8)


def sample_name(rng: random.Random, sex: str) -> str:
    given = GIVEN_MALE if sex == "1" else GIVEN_FEMALE
    n = 1 if rng.random() < 0.3 else 2
    return rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(n))


def sample_rare_name(rng: random.Random) -> str:
    """A name with a character outside GBK, for R-APP-6 (provincial card centre route)."""
    return rng.choice(RARE_NAMES)


def sample_mobile(rng: random.Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def sample_address(rng: random.Random, province: str, region: str) -> str:
    city, county = COUNTIES[province][region]
    return (
        f"{_PROVINCE_ZH[province]}{city}{county}{rng.choice(TOWNS)}镇{rng.choice(VILLAGES)}村"
        f"{rng.randint(1, 12)}组{rng.randint(1, 60)}号"
    )


def _birth(rng: random.Random, today: date, age_range: tuple[int, int]) -> date:
    lo, hi = age_range
    years = rng.randint(lo, hi)
    day = today - timedelta(days=int(years * 365.25) + rng.randint(1, 364))
    return day if age_on(day, today) <= hi else day + timedelta(days=365)


def _validity(rng: random.Random, age: int, today: date) -> tuple[str, str]:
    """Resident ID validity for the holder's age: 5 / 10 / 20 years or 长期 (from 46)."""
    years = 5 if age < 16 else 10 if age < 26 else 20 if age < 46 else 0
    span = 3650 if years == 0 else years * 365 - 2
    start = today - timedelta(days=rng.randint(1, span))
    if years == 0:
        return start.isoformat(), ""
    try:
        end = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + years, day=28)
    return start.isoformat(), end.isoformat()


def sample_person(
    rng: random.Random,
    *,
    province: str = "hubei",
    age_range: tuple[int, int] = (0, 90),
    today: date | None = None,
    photo: bool = True,
    rare_name: bool = False,
) -> PersonInput:
    """An invented person who passes `validate_person` for `province` on `today`."""
    today = today or date.today()
    profile = _profile(province)
    region = rng.choice(_REGIONS[province])
    sex = rng.choice("12")
    birth = _birth(rng, today, age_range)
    age = age_on(birth, today)
    ssn = sample_ssn(rng, region, birth, sex=sex)
    if age < profile.household_register_max_age and rng.random() < 0.5:
        doc_type, valid_from, valid_to = codes.DOC_HOUSEHOLD_REGISTER, "", ""
    else:
        doc_type = codes.DOC_RESIDENT_ID
        valid_from, valid_to = _validity(rng, age, today)
    ethnicity = "01" if rng.random() < 0.93 else rng.choice(_MINORITIES[province])
    home = sample_address(rng, province, region)
    residence = home if rng.random() < 0.7 else sample_address(rng, province, rng.choice(_REGIONS[province]))
    name = sample_rare_name(rng) if rare_name else sample_name(rng, sex)
    guardian = None
    if age < 16:
        parent_sex = rng.choice("12")
        parent_birth = _birth(rng, birth, (22, 38))
        guardian = RepresentativeInput(
            name=name[0]
            + "".join(rng.choice(GIVEN_MALE if parent_sex == "1" else GIVEN_FEMALE) for _ in range(2)),
            doc_type=codes.DOC_RESIDENT_ID,
            doc_number=sample_ssn(rng, region, parent_birth, sex=parent_sex),
            relation=codes.REL_PARENT,
            proof="户口簿",
        )
    occupation = "8000000" if age < 18 else rng.choice(_WORKING_OCCUPATIONS)
    return PersonInput(
        name=name,
        sex=sex,
        ethnicity=ethnicity,
        nationality="CHN",
        birth_date=birth.isoformat(),
        occupation=occupation,
        doc_type=doc_type,
        doc_number=ssn,
        doc_valid_from=valid_from,
        doc_valid_to=valid_to,
        household_address=home,
        residence_address=residence,
        phone=sample_mobile(rng),
        mailing_address=residence if rare_name or rng.random() < 0.2 else "",
        bank=rng.choice(profile.banks),
        photo=sample_photo(rng) if photo and age >= profile.cartoon_age else None,
        guardian=guardian,
    )


# ----------------------------------------------------------------- photos


def sample_photo(rng_or_seed: random.Random | int = 0) -> bytes:
    """A valid HB 12 photo (JPEG, 358x441, 14-40 KB, white background, no border); cached variants."""
    index = rng_or_seed.randrange(PHOTO_VARIANTS) if isinstance(rng_or_seed, random.Random) else rng_or_seed
    return _render_photo(index % PHOTO_VARIANTS)


@cache
def _render_photo(variant: int) -> bytes:
    """Draw a head-and-shoulders figure on white, add texture so the JPEG lands in 14-40 KB."""
    from PIL import Image, ImageDraw, ImageFilter

    rnd = random.Random(1000 + variant)
    w, h = 358, 441
    img = Image.new("RGB", (w, h), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    skin = (rnd.randint(215, 240), rnd.randint(180, 200), rnd.randint(150, 170))
    cloth = rnd.choice([(40, 50, 90), (30, 30, 30), (90, 40, 40), (50, 80, 60)])
    hair = (rnd.randint(15, 40),) * 3
    cx = w // 2 + rnd.randint(-6, 6)
    draw.ellipse((cx - 150, 330, cx + 150, 560), fill=cloth)  # shoulders
    draw.rectangle((cx - 38, 270, cx + 38, 345), fill=skin)  # neck
    draw.ellipse((cx - 82, 95, cx + 82, 310), fill=skin)  # face
    draw.chord((cx - 88, 80, cx + 88, 250), 180, 360, fill=hair)  # hair
    for dx in (-35, 35):  # eyes
        draw.ellipse((cx + dx - 10, 185, cx + dx + 10, 197), fill=(40, 30, 30))
    draw.arc((cx - 25, 240, cx + 25, 268), 20, 160, fill=(150, 70, 70), width=3)  # mouth
    # Texture inside the figure only (the background stays white): fine noise the JPEG must encode.
    noise = Image.effect_noise((w, h), 48).convert("L")
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rectangle((0, 80, w, h), fill=255)
    figure = Image.new("L", (w, h), 0)
    fd = ImageDraw.Draw(figure)
    fd.ellipse((cx - 150, 330, cx + 150, 560), fill=255)
    fd.rectangle((cx - 38, 270, cx + 38, 345), fill=255)
    fd.ellipse((cx - 88, 80, cx + 88, 310), fill=255)
    textured = Image.merge("RGB", [Image.blend(c, noise, 0.18) for c in img.split()])
    img.paste(textured, (0, 0), Image.composite(figure, Image.new("L", (w, h), 0), mask))
    img = img.filter(ImageFilter.SMOOTH_MORE) if variant % 2 else img
    for quality in (92, 88, 84, 80, 75, 70, 65, 60, 50, 40):
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=quality)
        data = buf.getvalue()
        if 15 * 1024 <= len(data) <= 39 * 1024:
            return data
    raise RuntimeError("sample photo size could not be tuned into 14-40 KB")  # pragma: no cover
