"""Fixtures of the person-side service tests: a fixed clock, persons, cards, counts, a fake chip.

The clock is fixed on a Monday in March 2026 so that working-day deadlines are stable and stay
inside the years the holiday library covers.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from offline.business import ServiceContext
from offline.protocols import CardError, ChipCard, ChipHolder, PinState
from offline.store import Store

CST = timezone(timedelta(hours=8))
FIXED_NOW = datetime(2026, 3, 2, 10, 0, 0, tzinfo=CST)

COUNTED = (
    "persons",
    "photos",
    "applications",
    "cards",
    "card_moves",
    "businesses",
    "audit",
    "outbox",
    "bank_change_requests",
    "card_write_journal",
)


@pytest.fixture
def ctx(ctx: ServiceContext) -> ServiceContext:
    """The shared Hunan context, on a fixed clock."""
    ctx.now = lambda: FIXED_NOW
    return ctx


@pytest.fixture
def hubei_ctx(ctx: ServiceContext) -> ServiceContext:
    """Same store and operator, Hubei profile (where a rule differs, e.g. R-APP-5 limits)."""
    from offline.profiles import load_profile

    return dataclasses.replace(ctx, profile=load_profile("hubei"))


@pytest.fixture
def counts(store: Store) -> Callable[[], dict[str, int]]:
    """Row counts of every table a person-side service writes (to prove 'nothing written')."""

    def count() -> dict[str, int]:
        return {t: int(store.one(f"SELECT COUNT(*) FROM {t}")[0]) for t in COUNTED}  # type: ignore[index]

    return count


SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def make_ssn(rng: random.Random, birth: date, *, region: str = "430102", male: bool | None = None) -> str:
    """A citizen number with a correct GB 11643 check digit (R-ID-3)."""
    from offline.validation.ids import ssn_check_digit

    seq = rng.randrange(0, 500) * 2 + (rng.randrange(2) if male is None else int(male))
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + ssn_check_digit(first17)


def make_photo(seed: int = 0) -> bytes:
    """A JPEG meeting R-APP-2: 358 x 441, white background, no border, 14-40 KB."""
    import io

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    img = Image.new("RGB", (358, 441), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    for _ in range(2500):  # a noisy "head and shoulders" keeps the JPEG in the size window
        x, y = rng.randrange(70, 288), rng.randrange(60, 441)
        c = rng.randrange(40, 200)
        draw.rectangle((x, y, x + 4, y + 4), fill=(c, c - 20 if c > 20 else c, c // 2))
    for quality in (85, 75, 65, 55, 45, 35):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality)
        if 14 * 1024 <= buf.tell() <= 40 * 1024:
            return buf.getvalue()
    raise AssertionError("test photo outside the R-APP-2 size window")


@pytest.fixture(scope="session")
def photo() -> bytes:
    return make_photo(1)


@pytest.fixture
def make_person(photo: bytes) -> Callable[..., Any]:
    """A valid PersonInput (adult by default, resident ID, compliant photo); keyword overrides apply."""
    from offline.validation import PersonInput

    counter = iter(range(1, 100_000))

    def make(seed: int | None = None, *, age: int = 40, **overrides: Any) -> Any:
        rng = random.Random(seed if seed is not None else next(counter))
        today = FIXED_NOW.date()
        birth = date(today.year - age, rng.randrange(1, 13), rng.randrange(1, 29))
        if birth > today.replace(year=today.year - age):
            birth = birth.replace(year=birth.year - 1)
        ssn = make_ssn(rng, birth)
        sex = "1" if int(ssn[16]) % 2 else "2"
        fields: dict[str, Any] = dict(
            name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            sex=sex,
            ethnicity="01",
            nationality="CHN",
            birth_date="",
            occupation="8000000",
            doc_type="resident_id",
            doc_number=ssn,
            doc_valid_from="2020-01-01",
            doc_valid_to="2040-01-01",
            household_address="湖南省长沙市芙蓉区五一大道100号",
            residence_address="湖南省长沙市芙蓉区五一大道100号",
            phone=f"138{rng.randrange(10**8):08d}",
            photo=photo,
        )
        fields.update(overrides)
        return PersonInput(**fields)

    return make


@pytest.fixture
def make_card(store: Store) -> Callable[..., int]:
    """Insert a card row as production + issuance would have left it (test set-up only)."""
    serial = iter(range(1, 10_000))

    def make(
        person_id: int,
        *,
        status: str = "issued",
        bank: str = "中国农业银行",
        issue_date: str = "2024-05-01",
        expiry_date: str = "",
        cartoon: bool = False,
        card_number: str | None = None,
    ) -> int:
        from offline.validation import card_number_check_char

        if card_number is None:
            first8 = f"T{next(serial):07d}"
            card_number = first8 + card_number_check_char(first8)
        at = FIXED_NOW.isoformat()
        with store.write() as conn:
            cur = conn.execute(
                "INSERT INTO cards(person_id, card_number, bank, status, cartoon, issue_date, expiry_date, issued_at,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    person_id,
                    card_number,
                    bank,
                    status,
                    int(cartoon),
                    issue_date,
                    expiry_date,
                    issue_date if status == "issued" else "",
                    at,
                    at,
                ),
            )
        return int(cur.lastrowid or 0)

    return make


@pytest.fixture
def applied(ctx: ServiceContext, make_person: Callable[..., Any]) -> Callable[..., Any]:
    """Apply for a person and return (person_id, result); the application is then marked issued."""
    from offline.services.applications import ApplicationInput, apply_card

    def run(person: Any = None, *, close: bool = True, **kw: Any) -> tuple[int, Any]:
        p = person if person is not None else make_person()
        result = apply_card(
            ctx,
            ApplicationInput(
                person=p,
                channel=kw.pop("channel", "local"),
                mode=kw.pop("mode", "fast"),
                bank=kw.pop("bank", "中国农业银行"),
                **kw,
            ),
        )
        row = ctx.store.one("SELECT person_id FROM businesses WHERE id = ?", (result.business_id,))
        assert row is not None
        if close:
            with ctx.store.write() as conn:
                conn.execute(
                    "UPDATE applications SET status = 'issued' WHERE business_id = ?", (result.business_id,)
                )
        return int(row[0]), result

    return run


class FakeCardSession:
    """In-test CardSession that records calls; `fail_write` simulates a card pulled mid-write."""

    def __init__(self, card: ChipCard, *, fail_write: bool = False, wrong_readback: bool = False) -> None:
        self.card = card
        self.calls: list[tuple[str, Any]] = []
        self.fail_write = fail_write
        self.wrong_readback = wrong_readback

    def read_card(self) -> ChipCard:
        self.calls.append(("read_card", None))
        return self.card

    def check_genuine(self) -> bool:
        return True

    def pin_state(self) -> PinState:
        return PinState(tries_left=5, blocked=False)

    def verify_pin(self, pin: str) -> None:
        raise AssertionError("the person-side services never do this chip operation")

    def change_pin(self, old_pin: str, new_pin: str) -> None:
        raise AssertionError("the person-side services never do this chip operation")

    def unblock_pin(self) -> None:
        raise AssertionError("the person-side services never do this chip operation")

    def reload_pin(self, new_pin: str) -> None:
        raise AssertionError("the person-side services never do this chip operation")

    def personalise(self, holder: ChipHolder, issue_date: str, expiry_date: str) -> ChipCard:
        raise AssertionError("the person-side services never do this chip operation")

    def erase(self) -> ChipCard:
        raise AssertionError("the person-side services never do this chip operation")

    def write_home_region(self, region: str) -> ChipCard:
        self.calls.append(("write_home_region", region))
        if self.fail_write:
            raise CardError("card_removed", "写卡过程中卡片被拔出")
        if not self.wrong_readback:
            self.card = dataclasses.replace(self.card, home_region=region)
        return self.card


@pytest.fixture
def fake_card_session() -> type[FakeCardSession]:
    return FakeCardSession


def add_role(ctx: ServiceContext, username: str, role: str, real_name: str) -> ServiceContext:
    from offline.business import Operator

    with ctx.store.write() as conn:
        cur = conn.execute(
            "INSERT INTO operators(username, real_name, role, password_hash, created_at) VALUES (?, ?, ?, 'x', ?)",
            (username, real_name, role, FIXED_NOW.isoformat()),
        )
    return dataclasses.replace(ctx, operator=Operator(int(cur.lastrowid or 0), username, real_name, role))


@pytest.fixture
def auditor_ctx(ctx: ServiceContext) -> ServiceContext:
    """The county auditor: read-only (R-SEC-2)."""
    return add_role(ctx, "aud", "auditor", "李稽核")


@pytest.fixture
def supervisor_ctx(ctx: ServiceContext) -> ServiceContext:
    return add_role(ctx, "sup", "supervisor", "赵主管")
