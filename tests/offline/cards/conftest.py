"""Fixtures for the card-side services: persons and cards in a real store, a fake card session.

`FakeCard` is a small in-test CardSession that records calls and can "die" around a write
(card pulled / process killed), which the write-intent journal tests need. Tests that need
the real card model use `emulated_session` (devices.emulator, in-process).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from offline.business import ServiceContext
from offline.protocols import CardError, ChipCard, ChipHolder, PinState
from offline.store import Store
from offline.validation import card_number_check_char
from tests.helpers import one as one  # re-exported for the card tests

CST = timezone(timedelta(hours=8))
#: A Monday inside the holiday library's years (working-day arithmetic is deterministic).
NOW = datetime(2025, 3, 3, 10, 0, 0, tzinfo=CST)


def ssn_for(birth: str, seq: int = 1, region: str = "430102") -> str:
    """A GB 11643 number with a correct check digit (R-ID-3)."""
    body = f"{region}{birth.replace('-', '')}{seq:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def card_number(serial: int, district: str = "H") -> str:
    body = f"{district}{serial:07d}"
    return body + card_number_check_char(body)


def add_person(
    store: Store,
    *,
    name: str = "李四",
    birth: str = "1980-05-06",
    seq: int = 1,
    sex: str = "1",
    phone: str = "13812345678",
) -> int:
    ssn = ssn_for(birth, seq)
    at = NOW.isoformat()
    with store.write() as conn:
        cur = conn.execute(
            "INSERT INTO persons(ssn, name, sex, birth_date, doc_type, doc_number, phone, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 'resident_id', ?, ?, ?, ?)",
            (ssn, name, sex, birth, ssn, phone, at, at),
        )
    return int(cur.lastrowid or 0)


def person(store: Store, person_id: int) -> Any:
    return store.one("SELECT * FROM persons WHERE id = ?", (person_id,))


def add_card(store: Store, person_id: int, *, status: str = "arrived", serial: int = 1, **cols: Any) -> int:
    at = NOW.isoformat()
    values = {
        "person_id": person_id,
        "card_number": card_number(serial),
        "bank": "中国农业银行",
        "status": status,
        "created_at": at,
        "updated_at": at,
        "produced_at": "2025-02-01T09:00:00+08:00",
        "arrived_at": "2025-02-20T09:00:00+08:00" if status != "produced" else "",
        **cols,
    }
    names = ", ".join(values)
    with store.write() as conn:
        cur = conn.execute(
            f"INSERT INTO cards({names}) VALUES ({', '.join('?' * len(values))})", tuple(values.values())
        )
    return int(cur.lastrowid or 0)


def card(store: Store, card_id: int) -> Any:
    return store.one("SELECT * FROM cards WHERE id = ?", (card_id,))


def add_temp(store: Store, number: str, state: str = "in_stock", person_id: int | None = None) -> int:
    with store.write() as conn:
        cur = conn.execute(
            "INSERT INTO temp_cards(card_number, state, person_id, updated_at) VALUES (?, ?, ?, ?)",
            (number, state, person_id, NOW.isoformat()),
        )
    return int(cur.lastrowid or 0)


def temp(store: Store, number: str) -> Any:
    return store.one("SELECT * FROM temp_cards WHERE card_number = ?", (number,))


def counts(store: Store) -> dict[str, int]:
    """Rows that a refused business must not have written."""
    return {
        t: int(store.one(f"SELECT COUNT(*) FROM {t}")[0])  # type: ignore[index]
        for t in ("businesses", "audit", "outbox", "card_moves", "temp_card_moves", "card_write_journal")
    }


def holder_of(store: Store, person_id: int) -> ChipHolder:
    p = person(store, person_id)
    return ChipHolder(
        ssn=p["ssn"],
        name=p["name"],
        sex=p["sex"],
        ethnicity=p["ethnicity"],
        birthplace=p["ssn"][:6],
        birth_date=p["birth_date"].replace("-", ""),
    )


def assert_pin_nowhere(store: Store, sealer: Any, pin: str, caplog: Any = None) -> None:
    """R-PIN-6: the PIN digits are in no byte of the database (file + WAL) nor in any sealed payload."""
    needle = pin.encode()
    for suffix in ("", "-wal"):
        path = Path(str(store.path) + suffix)
        if path.exists():
            assert needle not in path.read_bytes(), f"PIN found in {path.name}"
    for _header, payload in sealer.sealed:
        assert needle not in payload
    if caplog is not None:
        assert pin not in caplog.text


# --------------------------------------------------------------------------- fake card session


class FakeCard:
    """An in-memory CardSession. `die` makes the next write fail: 'before' (nothing written),
    'partial' (half written) or 'after' (fully written, but the card is pulled before the answer)."""

    def __init__(
        self,
        number: str,
        *,
        holder: ChipHolder | None = None,
        issue_date: str = "",
        expiry_date: str = "",
        pin: str = "666666",
        tries: int = 5,
        genuine: bool = True,
        readable: bool = True,
        home_region: str = "",
    ) -> None:
        self.chip = ChipCard(
            card_id_code="430100D156000005000000010000000A",
            category="3",
            version="3.00",
            issuer_org="430100000000000000",
            issue_date=issue_date,
            expiry_date=expiry_date,
            card_number=number,
            holder=holder,
            home_region=home_region,
        )
        self.pin, self.limit, self.tries = pin, tries, tries
        self.genuine, self.readable = genuine, readable
        self.calls: list[str] = []
        self.die: str | None = None

    def read_card(self) -> ChipCard:
        self.calls.append("read_card")
        if not self.readable:
            raise CardError("mute_card", "卡片无应答")
        return self.chip

    def check_genuine(self) -> bool:
        self.calls.append("check_genuine")
        return self.genuine

    def pin_state(self) -> PinState:
        self.calls.append("pin_state")
        return PinState(self.tries, self.tries == 0)

    def _check(self, pin: str) -> None:
        if self.tries == 0:
            raise CardError("pin_blocked", "密码已锁定", tries_left=0)
        if pin != self.pin:
            self.tries -= 1
            if self.tries == 0:
                raise CardError("pin_blocked", "密码已锁定", tries_left=0)
            raise CardError("wrong_pin", "密码错误", tries_left=self.tries)
        self.tries = self.limit

    def verify_pin(self, pin: str) -> None:
        self.calls.append("verify_pin")
        self._check(pin)

    def change_pin(self, old_pin: str, new_pin: str) -> None:
        self.calls.append("change_pin")
        self._check(old_pin)
        self.pin = new_pin

    def unblock_pin(self) -> None:
        self.calls.append("unblock_pin")
        self.tries = self.limit

    def reload_pin(self, new_pin: str) -> None:
        self.calls.append("reload_pin")
        self.pin, self.tries = new_pin, self.limit

    def _write(self, target: ChipCard, partial: ChipCard) -> ChipCard:
        mode, self.die = self.die, None
        if mode == "before":
            raise CardError("card_removed", "卡片被拔出")
        if mode == "partial":
            self.chip = partial
            raise CardError("card_removed", "卡片被拔出")
        self.chip = target
        if mode == "after":
            raise CardError("card_removed", "卡片被拔出")
        return self.chip

    def personalise(self, holder: ChipHolder, issue_date: str, expiry_date: str) -> ChipCard:
        self.calls.append("personalise")
        if self.chip.holder is not None and self.chip.holder != holder:
            raise CardError("card_not_blank", "卡内已有他人数据")
        target = dataclasses.replace(self.chip, holder=holder, issue_date=issue_date, expiry_date=expiry_date)
        half = dataclasses.replace(
            self.chip,
            holder=dataclasses.replace(holder, name="", birth_date=""),
            issue_date=issue_date,
            expiry_date="",
        )
        return self._write(target, half)

    def erase(self) -> ChipCard:
        self.calls.append("erase")
        target = dataclasses.replace(self.chip, holder=None, issue_date="", expiry_date="")
        half = dataclasses.replace(
            self.chip,
            holder=None if self.chip.holder is None else dataclasses.replace(self.chip.holder, name=""),
        )
        return self._write(target, half)

    def write_home_region(self, region: str) -> ChipCard:
        self.calls.append("write_home_region")
        return self._write(dataclasses.replace(self.chip, home_region=region), self.chip)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def hn(ctx: ServiceContext) -> ServiceContext:
    """The Hunan context at a fixed time (temporary cards, 7-day verbal loss, initial PIN 666666)."""
    ctx.now = lambda: NOW
    return ctx


@pytest.fixture
def hb(hn: ServiceContext) -> ServiceContext:
    """Same store and operator, Hubei profile (no temporary cards, no loss expiry, formal loss final)."""
    from offline.profiles import load_profile

    return dataclasses.replace(hn, profile=load_profile("hubei"))


@pytest.fixture
def at() -> Callable[[ServiceContext, datetime], ServiceContext]:
    """Move a context's clock: at(ctx, when) → same context, now = when."""

    def move(c: ServiceContext, when: datetime) -> ServiceContext:
        return dataclasses.replace(c, now=lambda: when)

    return move


@pytest.fixture
def supervisor(hn: ServiceContext) -> ServiceContext:
    from tests.conftest import add_operator

    op = add_operator(hn.store, "boss", "supervisor", "赵主管")
    return dataclasses.replace(hn, operator=op)


def emulated_session(
    *,
    holder: ChipHolder | None = None,
    serial: int = 1,
    issue_date: str = "",
    expiry_date: str = "",
    pin_tries: int | None = None,
) -> tuple[Any, Any]:
    """(CardSession over the in-process emulator, EmulatedCard) — devices.emulator's real card model."""
    from devices import open_emulated_session
    from devices.emulator import EmulatedCard, make_card

    state = make_card(version=3, holder=holder, serial=serial, issue_date=issue_date, expiry_date=expiry_date)
    if pin_tries is not None:
        state.pin_tries = pin_tries
    emu = EmulatedCard(state)
    return open_emulated_session(emu), emu


def today() -> date:
    return NOW.date()


def chip(c: ServiceContext) -> Any:
    """The context's card session, typed loosely (tests know which fake or emulator it is)."""
    return c.card
