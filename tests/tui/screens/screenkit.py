"""Helpers for the business-screen tests (imported by conftest and the tests; importlib mode).

A real initialised Hunan station store, a logged-in operator, the in-process card emulator
behind a card provider, and seeding through the real services (never raw SQL), all on a
fixed clock so snapshots are deterministic.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from offline.business import BusinessResult, Operator, ServiceContext
from offline.store import Store
from tests.helpers import one as one  # re-exported: the screen tests import it from here

SERVICE_POINT = "430121001" + "00100" + "001"
FIXED_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=8)))  # a Monday, a workday
PASSWORD = "station-pass-1"


AppFactory = Callable[..., Any]
"""The `app_factory` fixture: builds a logged-in StationApp (keyword overrides for AppServices)."""


class Reader:
    """The reader: holds at most one emulated card; `provider()` is AppServices.card_provider."""

    def __init__(self) -> None:
        self.card: Any = None

    def insert(self, card: Any) -> None:
        self.card = card

    def remove(self) -> None:
        self.card = None

    def provider(self) -> Any:
        if self.card is None:
            return None
        from devices import open_emulated_session

        return open_emulated_session(self.card)


@dataclasses.dataclass
class Station:
    """A station store with helpers that seed data through the real services."""

    store: Store
    info: Any
    operator: Operator
    profile: Any
    sealer: Any
    reader: Reader
    now: Callable[[], datetime]
    serial: int = 100

    def ctx(self, *, card: Any = None) -> ServiceContext:
        return ServiceContext(
            store=self.store,
            operator=self.operator,
            sealer=self.sealer,
            station_id=self.info.station_id,
            service_point=self.info.service_point,
            terminal=self.info.terminal,
            profile=self.profile,
            card=card,
            now=self.now,
        )

    def services(self, **overrides: Any) -> Any:
        from tui.context import AppServices

        values: dict[str, Any] = dict(
            store=self.store,
            station=self.info,
            profile=self.profile,
            sealer=self.sealer,
            card_provider=self.reader.provider,
            sync_engine=None,
            reader_label="模拟读卡器 测试密钥",
            demo=False,
            now=self.now,
            origin="tty1",
        )
        values.update(overrides)
        return AppServices(**values)

    def person(
        self, seed: int, *, name: str | None = None, age: tuple[int, int] = (30, 60), photo: bool = True
    ) -> Any:
        from offline.samples import sample_person

        p = sample_person(
            random.Random(seed), province="hunan", age_range=age, today=self.now().date(), photo=photo
        )
        return dataclasses.replace(p, name=name) if name else p

    def apply(self, person: Any, *, mode: str = "fast") -> BusinessResult:
        from offline.services.applications import ApplicationInput, apply_card

        return apply_card(
            self.ctx(),
            ApplicationInput(
                person=person, channel="local", mode=mode, bank=person.bank or self.profile.banks[0]
            ),
        )

    def produce(self, result: BusinessResult, serial: int) -> str:
        """The card management system reports the card produced and shipped (downlink)."""
        from devices.emulator.factory import card_number_for
        from offline.downlink import DownlinkUpdate, apply_update

        number = card_number_for(serial)
        apply_update(
            self.store,
            DownlinkUpdate(
                f"u-prod-{serial}",
                "card_produced",
                {
                    "receipt_no": result.receipt_no,
                    "card_number": number,
                    "card_id_code": "",
                    "issue_date": "20260201",
                    "expiry_date": "20360201",
                    "bank": self.profile.banks[0],
                },
            ),
            cursor=f"c{serial}a",
        )
        apply_update(
            self.store,
            DownlinkUpdate(
                f"u-ship-{serial}",
                "card_shipped",
                {"card_numbers": [number], "station_id": self.info.station_id},
            ),
            cursor=f"c{serial}b",
        )
        return number

    def receive(self, number: str) -> BusinessResult:
        from offline.services.stock import ReceiveInput, receive_cards

        return receive_cards(self.ctx(), ReceiveInput.from_numbers([number]))

    def chip_for(self, person: Any, serial: int, *, pin: str = "666666") -> Any:
        """An emulated formal card personalised for `person` (what the factory would have made)."""
        from devices.emulator.card import EmulatedCard
        from devices.emulator.factory import make_card
        from offline.protocols import ChipHolder

        birth = person.birth_date.replace("-", "")
        holder = ChipHolder(
            ssn=person.doc_number,
            name=person.name,
            sex=person.sex,
            ethnicity=person.ethnicity,
            birthplace=person.doc_number[:6],
            birth_date=birth,
        )
        return EmulatedCard(
            make_card(
                holder=holder,
                serial=serial,
                issue_date="20260201",
                expiry_date="20360201",
                pin=pin,
                city="430100",
            )
        )

    def issue(self, person: Any, number: str, chip: Any) -> BusinessResult:
        from devices import open_emulated_session
        from offline.services.issuance import IssueInput, issue_card
        from offline.services.persons import find_card

        card = find_card(self.store, number)
        assert card is not None
        return issue_card(
            self.ctx(card=open_emulated_session(chip)),
            IssueInput(
                card_id=card.id,
                mode="window",
                holder_doc_number=person.doc_number,
                face_photo_ok=True,
                face_text_ok=True,
                signed=True,
            ),
        )

    def issued_person(self, seed: int, *, name: str | None = None) -> tuple[Any, str, Any]:
        """A person holding an issued formal card: (person, card number, emulated chip)."""
        self.serial += 1
        person = self.person(seed, name=name)
        number = self.produce(self.apply(person), self.serial)
        self.receive(number)
        chip = self.chip_for(person, self.serial)
        self.issue(person, number, chip)
        return person, number, chip

    def temp_stock(self, numbers: list[str]) -> None:
        """Blank temporary cards signed in and moved into stock (R-TMP-5)."""
        from offline.services import temp_cards

        ctx = self.ctx()
        temp_cards.sign_in_temp_cards(ctx, numbers)
        temp_cards.distribute(ctx, numbers)
        temp_cards.put_in_stock(ctx, numbers)


def make_test_app(station: Station, *, config: Any = None, **overrides: Any) -> Any:
    """The real StationApp (tui.app.make_app) with the operator already logged in."""
    from tui.app import make_app

    app = make_app(station.services(**overrides), config=config)
    app.operator = station.operator
    return app


def person_form(person: Any, photo_dir: Path | None = None) -> dict[str, str]:
    """The apply form's values for a PersonInput (the photo written to a file the form names)."""
    data = {
        k: str(getattr(person, k) or "")
        for k in (
            "name",
            "sex",
            "ethnicity",
            "nationality",
            "birth_date",
            "occupation",
            "doc_type",
            "doc_number",
            "doc_valid_from",
            "doc_valid_to",
            "household_address",
            "residence_address",
            "phone",
        )
    }
    data["bank"] = person.bank
    if person.photo and photo_dir is not None:
        path = photo_dir / f"{person.doc_number}.jpg"
        path.write_bytes(person.photo)
        data["photo_path"] = str(path)
    if person.guardian is not None:
        g = person.guardian
        data.update(
            guardian_name=g.name,
            guardian_doc_type=g.doc_type,
            guardian_doc_number=g.doc_number,
            guardian_relation=g.relation,
        )
    return data


async def open_form(pilot: Any, screen: Any) -> Any:
    """Push a screen over the app's current one and let it mount (and its draft load finish)."""
    await pilot.pause()
    pilot.app.push_screen(screen)
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return pilot.app.screen


async def submit(pilot: Any, screen: Any, data: dict[str, str]) -> Any:
    """Fill `data` into the form, press Ctrl+S, wait for the service worker; the screen after."""
    screen.fill(data, secrets=True)
    await pilot.pause()
    await pilot.press("ctrl+s")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()
    return pilot.app.screen
