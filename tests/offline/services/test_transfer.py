"""transfer_region (item 16, R-TRF-1): chip write through the write-intent journal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from offline.business import ServiceContext
from offline.errors import DomainError, ValidationError
from offline.protocols import ChipCard, ChipHolder
from offline.services.transfer import TransferInput, transfer_region
from tests.helpers import one


def chip_for(person: Any, number: str, region: str = "430102") -> ChipCard:
    holder = ChipHolder(
        ssn=person.doc_number,
        name=person.name,
        sex=person.sex,
        ethnicity="01",
        birthplace=person.doc_number[:6],
        birth_date=person.doc_number[6:14],
    )
    return ChipCard(
        card_id_code="430100D15600000500000001",
        category="3",
        version="3.00",
        issuer_org="430100",
        issue_date="20240501",
        expiry_date="20340501",
        card_number=number,
        holder=holder,
        home_region=region,
    )


@pytest.fixture
def holder(
    applied: Callable[..., Any],
    make_person: Callable[..., Any],
    make_card: Callable[..., int],
    ctx: ServiceContext,
) -> tuple[Any, int, str]:
    person = make_person()
    person_id, _ = applied(person)
    card_id = make_card(person_id, status="issued")
    return person, person_id, str(one(ctx.store, "SELECT card_number FROM cards WHERE id = ?", (card_id,))[0])


def move(person: Any, region: str = "430202", **kw: Any) -> TransferInput:
    return TransferInput(
        ssn=person.doc_number,
        new_region=region,
        insurance_moved=kw.pop("insurance_moved", True),
        doc_number=person.doc_number,
    )


def journal(ctx: ServiceContext) -> list[Any]:
    return ctx.store.query("SELECT state, op, business_id FROM card_write_journal ORDER BY id")


def test_R_TRF_1_in_province_transfer_rewrites_chip_and_records_move(
    ctx: ServiceContext, holder: tuple[Any, int, str], fake_card_session: Any
) -> None:
    person, person_id, number = holder
    session = fake_card_session(chip_for(person, number))
    ctx.card = session
    result = transfer_region(ctx, move(person))
    assert ("write_home_region", "430202") in session.calls
    assert one(ctx.store, "SELECT region FROM persons WHERE id = ?", (person_id,))[0] == "430202"
    assert result.details["old_region"] == "430102" and result.details["new_region"] == "430202"
    [j] = journal(ctx)
    assert (j["state"], j["op"], j["business_id"]) == ("done", "home_region", result.business_id)


@pytest.mark.parametrize(("region", "why"), [("420102", "跨省"), ("43010", "6位"), ("430102", "已是")])
def test_R_TRF_1_other_province_bad_code_or_same_region_refused_without_chip_write(
    ctx: ServiceContext,
    holder: tuple[Any, int, str],
    fake_card_session: Any,
    counts: Callable[[], dict[str, int]],
    region: str,
    why: str,
) -> None:
    person, _, number = holder
    session = fake_card_session(chip_for(person, number))
    ctx.card = session
    before = counts()
    with pytest.raises(ValidationError) as exc:
        transfer_region(ctx, move(person, region))
    assert exc.value.rules == ["R-TRF-1"] and why in str(exc.value)
    assert not [c for c in session.calls if c[0] == "write_home_region"]
    assert counts() == before


def test_R_TRF_1_insurance_relation_must_move_first(
    ctx: ServiceContext, holder: tuple[Any, int, str], fake_card_session: Any
) -> None:
    person, _, number = holder
    ctx.card = fake_card_session(chip_for(person, number))
    with pytest.raises(ValidationError) as exc:
        transfer_region(ctx, move(person, insurance_moved=False))
    assert [p.field for p in exc.value.problems] == ["insurance_moved"]


def test_R_TRF_1_someone_elses_card_refused(
    ctx: ServiceContext, holder: tuple[Any, int, str], make_person: Callable[..., Any], fake_card_session: Any
) -> None:
    person, _, _number = holder
    ctx.card = fake_card_session(chip_for(person, "ZZ0000001"))
    with pytest.raises(DomainError) as exc:
        transfer_region(ctx, move(person))
    assert "不是" in str(exc.value)


def test_R_TRF_1_card_pulled_mid_write_keeps_journal_pending_and_writes_no_business(
    ctx: ServiceContext,
    holder: tuple[Any, int, str],
    fake_card_session: Any,
    counts: Callable[[], dict[str, int]],
) -> None:
    person, _, number = holder
    ctx.card = fake_card_session(chip_for(person, number), fail_write=True)
    before = counts()
    with pytest.raises(DomainError) as exc:
        transfer_region(ctx, move(person))
    assert "写卡记录已保留" in str(exc.value)
    after = counts()
    assert after["businesses"] == before["businesses"]
    assert [j["state"] for j in journal(ctx)] == ["pending"]


def test_R_TRF_1_pending_journal_finished_on_next_insert(
    ctx: ServiceContext, holder: tuple[Any, int, str], fake_card_session: Any
) -> None:
    """The write reached the chip but the commit never happened: the next insert records the business."""
    from offline import card_journal

    person, person_id, number = holder
    session = fake_card_session(chip_for(person, number), wrong_readback=True)
    ctx.card = session
    with pytest.raises(DomainError):
        transfer_region(ctx, move(person))  # read-back disagreed: nothing recorded
    session.card = chip_for(person, number, region="430202")  # ... but the chip does hold it now
    lines = card_journal.resolve_on_insert(ctx, session.card)
    assert len(lines) == 1 and "补办" in lines[0]
    assert one(ctx.store, "SELECT region FROM persons WHERE id = ?", (person_id,))[0] == "430202"
    [j] = journal(ctx)
    assert j["state"] == "done" and j["business_id"] is not None


def test_R_TRF_1_against_the_emulated_card(
    ctx: ServiceContext,
    applied: Callable[..., Any],
    make_person: Callable[..., Any],
    make_card: Callable[..., int],
) -> None:
    """The real card session on the in-process emulator: the region is on the chip afterwards."""
    from devices import open_emulated_session
    from devices.emulator import EmulatedCard
    from devices.emulator import make_card as make_chip

    person = make_person()
    holder = ChipHolder(
        ssn=person.doc_number,
        name=person.name,
        sex=person.sex,
        ethnicity="01",
        birthplace=person.doc_number[:6],
        birth_date=person.doc_number[6:14],
    )
    state = make_chip(
        version=3,
        holder=holder,
        serial=77,
        city="430100",
        home_region="430102",
        issue_date="20240501",
        expiry_date="20340501",
    )
    session = open_emulated_session(EmulatedCard(state))
    chip = session.read_card()
    person_id, _ = applied(person)
    make_card(person_id, status="issued", card_number=chip.card_number)
    ctx.card = session
    result = transfer_region(ctx, move(person, "430111"))
    assert session.read_card().home_region == "430111"
    assert result.details["card_number"] == chip.card_number
