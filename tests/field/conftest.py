"""Fixtures of the field tests (door-to-door runs, the daily report, supervision, permissions).

A real initialised Hunan station store file, operators of every role, persons seeded through the
real application service, cards produced/shipped through the real downlink handlers and signed
in through the real stock service, and emulated chips personalised to match — all on a fixed
clock inside the holiday library's years, so working-day deadlines are deterministic.
"""

from __future__ import annotations

import dataclasses
import functools
import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from offline.business import BusinessResult, Operator, ServiceContext
from offline.store import Store

CST = timezone(timedelta(hours=8))
#: A Monday and a working day, inside chinese_calendar's years.
NOW = datetime(2025, 3, 3, 9, 30, tzinfo=CST)
SERVICE_POINT = "430121001" + "00100" + "001"
PASSWORD = "station-pass-1"
VILLAGE = "青山村"


@dataclasses.dataclass
class Seeded:
    """One person with a card in stock: what the tests need to act at the door."""

    person_id: int
    person: Any = dataclasses.field(repr=False)  # PersonInput
    card_id: int
    card_number: str
    serial: int
    receipt_no: str


@dataclasses.dataclass
class Field:
    """A station store plus helpers that seed through the real services."""

    store: Store
    info: Any
    profile: Any
    sealer: Any
    operators: dict[str, Operator]
    now: Callable[[], datetime]
    serial: int = 100

    def ctx(self, role: str = "operator", *, card: Any = None, now: datetime | None = None) -> ServiceContext:
        when = now or self.now()
        return ServiceContext(
            store=self.store,
            operator=self.operators[role],
            sealer=self.sealer,
            station_id=self.info.station_id,
            service_point=self.info.service_point,
            terminal=self.info.terminal,
            profile=self.profile,
            card=card,
            now=lambda: when,
        )

    def person(self, seed: int, *, village: str | None = VILLAGE, age: tuple[int, int] = (30, 55)) -> Any:
        from offline.samples import sample_person

        p = sample_person(random.Random(seed), province="hunan", age_range=age, today=self.now().date())
        if village is not None:
            p = dataclasses.replace(p, residence_address=f"湖南省长沙县{village}{seed % 9 + 1}组{seed}号")
        return p

    def apply(self, person: Any) -> BusinessResult:
        from offline.services.applications import ApplicationInput, apply_card

        return apply_card(
            self.ctx(),
            ApplicationInput(person=person, channel="local", mode="fast", bank=self.profile.banks[0]),
        )

    def ship(self, receipt_no: str, serial: int) -> str:
        """The card management system reports the card produced and shipped (real downlink handlers)."""
        from devices.emulator.factory import card_number_for
        from offline.downlink import DownlinkUpdate, apply_update

        number = card_number_for(serial)
        apply_update(
            self.store,
            DownlinkUpdate(
                f"u-prod-{serial}",
                "card_produced",
                {
                    "receipt_no": receipt_no,
                    "card_number": number,
                    "card_id_code": "",
                    "issue_date": "20250201",
                    "expiry_date": "20350201",
                    "bank": self.profile.banks[0],
                },
            ),
            cursor=f"c{serial}a",
        )
        apply_update(
            self.store,
            DownlinkUpdate(f"u-ship-{serial}", "card_shipped", {"card_numbers": [number]}),
            cursor=f"c{serial}b",
        )
        return number

    def in_stock(
        self, seed: int, *, village: str | None = VILLAGE, age: tuple[int, int] = (30, 55)
    ) -> Seeded:
        """Apply, produce, ship and sign in one person's card (R-ISS-1)."""
        from offline.services.stock import ReceiveInput, receive_cards

        self.serial += 1
        person = self.person(seed, village=village, age=age)
        result = self.apply(person)
        number = self.ship(result.receipt_no, self.serial)
        receive_cards(self.ctx(), ReceiveInput.from_numbers([number]))
        row = self.store.one("SELECT id, person_id FROM cards WHERE card_number = ?", (number,))
        assert row is not None
        return Seeded(int(row["person_id"]), person, int(row["id"]), number, self.serial, result.receipt_no)

    def counts(self) -> dict[str, int]:
        return {
            t: int(self.store.one(f"SELECT COUNT(*) FROM {t}")[0])  # type: ignore[index]
            for t in ("businesses", "audit", "outbox", "card_moves", "delivery_runs", "delivery_items")
        }


def chip_for(seeded: Seeded, *, name: str | None = None) -> Any:
    """An emulated formal card whose chip matches the record (card number, SSN, name)."""
    from devices.emulator.card import EmulatedCard
    from devices.emulator.factory import make_card
    from offline.protocols import ChipHolder

    p = seeded.person
    holder = ChipHolder(
        ssn=p.doc_number,
        name=name or p.name,
        sex=p.sex,
        ethnicity=p.ethnicity,
        birthplace=p.doc_number[:6],
        birth_date=p.birth_date.replace("-", ""),
    )
    return EmulatedCard(
        make_card(
            holder=holder, serial=seeded.serial, issue_date="20250201", expiry_date="20350201", city="430100"
        )
    )


def session_on(card: Any) -> Any:
    from devices import open_emulated_session

    return open_emulated_session(card)


@functools.cache
def _password_hash() -> str:
    from offline.auth import hash_password

    return hash_password(PASSWORD)


def make_field(tmp_path: Path, sealer: Any) -> Field:
    from offline.profiles import load_profile
    from offline.station import init_station

    store = Store.open(tmp_path / "station.db")
    info = init_station(
        store,
        province="hunan",
        service_point=SERVICE_POINT,
        admin_username="admin",
        admin_real_name="管理员",
        admin_password=PASSWORD,
        now=NOW,
    )
    ops: dict[str, Operator] = {}
    with store.write() as conn:
        # Real accounts with a real argon2 hash (the CLI tests log in), hashed once per test session.
        for role, user, real in (
            ("operator", "wangxh", "王小红"),
            ("supervisor", "zhaozg", "赵主管"),
            ("auditor", "county", "县局稽核员"),
        ):
            cur = conn.execute(
                "INSERT INTO operators(username, real_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (user, real, role, _password_hash(), NOW.isoformat()),
            )
            ops[role] = Operator(int(cur.lastrowid or 0), user, real, role)
    admin = store.one("SELECT id FROM operators WHERE username = 'admin'")
    assert admin is not None
    ops["admin"] = Operator(int(admin["id"]), "admin", "管理员", "admin")
    return Field(store, info, load_profile("hunan"), sealer, ops, lambda: NOW)


@pytest.fixture
def field(tmp_path: Path, sealer: Any) -> Iterator[Field]:
    f = make_field(tmp_path, sealer)
    yield f
    f.store.close()
