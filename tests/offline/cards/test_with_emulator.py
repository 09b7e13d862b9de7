"""The chip services against devices' in-process emulator: real APDUs, real card model, test keys."""

from __future__ import annotations

import pytest

from offline import card_journal
from offline.business import ServiceContext
from offline.errors import DomainError
from offline.services import temp_cards as tc
from offline.services.issuance import IssueInput, issue_card
from offline.services.pins import (
    ActivateInput,
    PinChangeInput,
    PinResetInput,
    PinUnlockInput,
    activate,
    change_pin,
    reset_pin,
    unlock_pin,
)
from offline.services.temp_cards import TempIssueInput, TempRecycleInput
from tests.offline.cards.conftest import (
    add_card,
    add_person,
    add_temp,
    assert_pin_nowhere,
    card,
    chip,
    counts,
    emulated_session,
    holder_of,
    one,
    temp,
)

pytest.importorskip("devices.emulator")

from devices.emulator import Faults
from devices.emulator.factory import card_number_for

NEW = "739154"


def test_R_TMP_2_and_R_TMP_3_issue_then_recycle_on_the_emulator(hn: ServiceContext) -> None:
    pid = add_person(hn.store, name="欧阳娜娜")
    number = card_number_for(11)
    add_temp(hn.store, number, "in_stock")
    hn.card, _emu = emulated_session(serial=11)
    doc = one(hn.store, "SELECT ssn FROM persons WHERE id = ?", (pid,))[0]
    tc.issue_temp_card(hn, TempIssueInput(number, pid, doc, "passed", True))
    read = chip(hn).read_card()
    assert read.holder == holder_of(hn.store, pid) and read.expiry_date == "20250502"
    assert read.emulated and temp(hn.store, number)["state"] == "issued"
    tc.recycle_temp_card(hn, TempRecycleInput(number, body_ok=True))
    read = chip(hn).read_card()
    assert read.holder is None and read.issue_date == "" and temp(hn.store, number)["state"] == "in_stock"


def test_card_pulled_mid_personalisation_is_erased_on_reinsert(hn: ServiceContext) -> None:
    from devices import open_emulated_session

    pid = add_person(hn.store)
    number = card_number_for(12)
    add_temp(hn.store, number, "in_stock")
    hn.card, emu = emulated_session(serial=12)
    emu.faults = Faults(remove_after_updates=3)
    doc = one(hn.store, "SELECT ssn FROM persons WHERE id = ?", (pid,))[0]
    with pytest.raises(DomainError):
        tc.issue_temp_card(hn, TempIssueInput(number, pid, doc, "passed", True))
    assert counts(hn.store)["businesses"] == 0 and len(card_journal.pending(hn.store)) == 1
    emu.faults = Faults()  # the card is inserted again
    hn.card = open_emulated_session(emu)
    read = chip(hn).read_card()
    assert card_journal.classify(card_journal.pending(hn.store)[0], read) == "partial"
    lines = card_journal.resolve_on_insert(hn, read)
    assert "已擦除恢复为空白卡" in lines[0]
    back = chip(hn).read_card()
    assert back.holder is None and back.issue_date == ""
    assert temp(hn.store, number)["state"] == "in_stock" and counts(hn.store)["businesses"] == 0


def _formal(hn: ServiceContext, serial: int, **kw) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    pid = add_person(hn.store, seq=serial)
    cid = add_card(hn.store, pid, status="issued", card_number=card_number_for(serial))
    hn.card, _emu = emulated_session(
        holder=holder_of(hn.store, pid), serial=serial, issue_date="20250201", expiry_date="20350201", **kw
    )
    return cid, one(hn.store, "SELECT ssn FROM persons WHERE id = ?", (pid,))[0]


def test_R_PIN_3_activation_and_change_on_the_emulator(hn: ServiceContext, sealer, caplog) -> None:  # type: ignore[no-untyped-def]
    cid, doc = _formal(hn, 21)
    activate(hn, ActivateInput(cid, doc, True, NEW, NEW))
    chip(hn).verify_pin(NEW)  # the chip now holds the new PIN
    with pytest.raises(DomainError) as err:
        change_pin(hn, PinChangeInput(cid, "666666", "284617", "284617"))
    assert "还可尝试" in str(err.value)
    change_pin(hn, PinChangeInput(cid, NEW, "284617", "284617"))
    chip(hn).verify_pin("284617")
    assert_pin_nowhere(hn.store, sealer, NEW, caplog)
    assert_pin_nowhere(hn.store, sealer, "284617", caplog)


def test_R_PIN_4_unlock_and_reset_on_the_emulator(hn: ServiceContext, sealer) -> None:  # type: ignore[no-untyped-def]
    cid, doc = _formal(hn, 22, pin_tries=0)
    assert chip(hn).pin_state().blocked
    with pytest.raises(DomainError) as err:
        change_pin(hn, PinChangeInput(cid, "666666", NEW, NEW))
    assert "密码已锁定" in str(err.value) and card(hn.store, cid)["pin_locked"] == 1
    unlock_pin(hn, PinUnlockInput(cid, doc))
    assert not chip(hn).pin_state().blocked and card(hn.store, cid)["pin_locked"] == 0
    reset_pin(hn, PinResetInput(cid, doc, NEW, NEW))
    chip(hn).verify_pin(NEW)
    assert_pin_nowhere(hn.store, sealer, NEW)


def test_R_ISS_3_issue_formal_card_read_from_the_emulator(hn: ServiceContext) -> None:
    pid = add_person(hn.store, seq=31)
    cid = add_card(hn.store, pid, status="arrived", card_number=card_number_for(31))
    hn.card, _emu = emulated_session(
        holder=holder_of(hn.store, pid), serial=31, issue_date="20250201", expiry_date="20350201"
    )
    doc = one(hn.store, "SELECT ssn FROM persons WHERE id = ?", (pid,))[0]
    issue_card(hn, IssueInput(cid, "window", doc, True, True, True))
    assert card(hn.store, cid)["status"] == "issued"
