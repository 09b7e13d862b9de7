"""Activation and social-security PINs (items 4, 8-10): R-PIN-1, 3, 4, 5, 6."""

from __future__ import annotations

import logging

import pytest

from offline.business import ServiceContext
from offline.errors import DomainError, ValidationError
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
from tests.offline.cards.conftest import (
    FakeCard,
    add_card,
    add_person,
    assert_pin_nowhere,
    card,
    card_number,
    chip,
    counts,
    one,
)

NEW = "739154"  # not a birth date, phone, sequence or repeat; appears in no receipt number
NEW2 = "284617"


def _card(hn: ServiceContext, **kw) -> tuple[int, str, FakeCard]:  # type: ignore[no-untyped-def]
    pid = add_person(hn.store)
    cid = add_card(hn.store, pid, status="issued", **kw)
    doc = one(hn.store, "SELECT ssn FROM persons WHERE id = ?", (pid,))[0]
    fake = FakeCard(card_number(1))
    hn.card = fake
    return cid, doc, fake


def test_R_PIN_3_activation_changes_initial_pin(hn: ServiceContext, sealer, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    cid, doc, fake = _card(hn)
    result = activate(hn, ActivateInput(cid, doc, True, NEW, NEW))
    assert fake.pin == NEW and fake.calls[-1] == "change_pin"
    assert card(hn.store, cid)["social_active"] == 1
    assert "银行网点激活" in result.details["reminder"]  # R-PIN-1 financial activation only at the bank
    assert NEW not in repr(ActivateInput(cid, doc, True, NEW, NEW))
    assert_pin_nowhere(hn.store, sealer, NEW, caplog)
    assert_pin_nowhere(hn.store, sealer, "666666", caplog)


def test_R_PIN_1_activation_needs_holder_authorisation(hn: ServiceContext) -> None:
    cid, doc, fake = _card(hn)
    before = counts(hn.store)
    with pytest.raises(ValidationError) as err:
        activate(hn, ActivateInput(cid, doc, False, NEW, NEW))
    assert "R-PIN-1" in err.value.rules and "未经持卡人授权" in str(err.value)
    assert counts(hn.store) == before and fake.calls == []


def test_R_PIN_3_new_pin_typed_twice_and_not_initial(hn: ServiceContext) -> None:
    cid, doc, fake = _card(hn)
    with pytest.raises(ValidationError) as err:
        activate(hn, ActivateInput(cid, doc, True, NEW, NEW2))
    assert "R-PIN-3" in err.value.rules
    with pytest.raises(ValidationError):
        activate(hn, ActivateInput(cid, doc, True, "666666", "666666"))
    assert card(hn.store, cid)["social_active"] == 0 and fake.pin == "666666"


def test_R_PIN_3_already_activated_refused(hn: ServiceContext) -> None:
    cid, doc, _fake = _card(hn, social_active=1)
    with pytest.raises(ValidationError) as err:
        activate(hn, ActivateInput(cid, doc, True, NEW, NEW))
    assert "已激活" in str(err.value)


def test_R_PIN_5_warns_about_birth_date(hn: ServiceContext, sealer) -> None:  # type: ignore[no-untyped-def]
    cid, doc, _fake = _card(hn)
    birthish = "800506"  # person born 1980-05-06
    result = activate(hn, ActivateInput(cid, doc, True, birthish, birthish))
    assert result.details["warnings"], "a birth-date PIN is accepted with a warning"
    assert all(birthish not in w for w in result.details["warnings"])
    for _h, payload in sealer.sealed:
        assert birthish.encode() not in payload


def test_R_PIN_4_foreign_card_refused(hn: ServiceContext) -> None:
    cid, _doc, _fake = _card(hn)
    hn.card = FakeCard(card_number(2))
    with pytest.raises(DomainError) as err:
        change_pin(hn, PinChangeInput(cid, "666666", NEW, NEW))
    assert "不是本业务的卡" in str(err.value)
    assert chip(hn).calls == ["read_card"]


def test_R_PIN_4_change_needs_the_physical_card(hn: ServiceContext) -> None:
    cid, _doc, _fake = _card(hn)
    hn.card = None
    with pytest.raises(DomainError) as err:
        change_pin(hn, PinChangeInput(cid, "666666", NEW, NEW))
    assert "R-PIN-4" in err.value.rules and "实体卡" in str(err.value)


def test_R_PIN_4_change_with_right_old_pin(hn: ServiceContext, sealer, caplog) -> None:  # type: ignore[no-untyped-def]
    cid, _doc, fake = _card(hn)
    fake.pin = NEW
    change_pin(hn, PinChangeInput(cid, NEW, NEW2, NEW2))
    assert fake.pin == NEW2
    assert one(hn.store, "SELECT item FROM businesses")[0] == "pin_change"
    assert_pin_nowhere(hn.store, sealer, NEW, caplog)
    assert_pin_nowhere(hn.store, sealer, NEW2, caplog)


def test_R_PIN_4_wrong_old_pin_shows_tries_left_then_blocked(hn: ServiceContext) -> None:
    cid, _doc, fake = _card(hn)
    fake.tries = fake.limit = 2
    with pytest.raises(DomainError) as err:
        change_pin(hn, PinChangeInput(cid, "111222", NEW, NEW))
    assert "还可尝试 1 次" in str(err.value)
    with pytest.raises(DomainError) as err2:
        change_pin(hn, PinChangeInput(cid, "111222", NEW, NEW))
    assert "密码已锁定" in str(err2.value) and "解锁" in str(err2.value)
    assert card(hn.store, cid)["pin_locked"] == 1
    assert counts(hn.store)["businesses"] == 0 and counts(hn.store)["outbox"] == 0


def test_R_PIN_4_unlock_resets_counter(hn: ServiceContext) -> None:
    cid, doc, fake = _card(hn, pin_locked=1)
    fake.tries = 0
    with pytest.raises(ValidationError):
        unlock_pin(hn, PinUnlockInput(cid, "wrong-doc"))
    assert fake.tries == 0
    unlock_pin(hn, PinUnlockInput(cid, doc))
    assert fake.tries == fake.limit and card(hn.store, cid)["pin_locked"] == 0
    assert fake.calls[-1] == "unblock_pin"


def test_R_PIN_4_reset_sets_new_pin_with_document(hn: ServiceContext, sealer, caplog) -> None:  # type: ignore[no-untyped-def]
    cid, doc, fake = _card(hn, pin_locked=1)
    before = counts(hn.store)
    with pytest.raises(ValidationError) as err:
        reset_pin(hn, PinResetInput(cid, "", NEW, NEW))
    assert "R-PIN-4" in err.value.rules and counts(hn.store) == before
    reset_pin(hn, PinResetInput(cid, doc, NEW, NEW))
    assert fake.pin == NEW and card(hn.store, cid)["pin_locked"] == 0
    assert_pin_nowhere(hn.store, sealer, NEW, caplog)


def test_R_PIN_4_lost_card_gets_no_pin_work(hn: ServiceContext) -> None:
    pid = add_person(hn.store, name="周七", seq=9)
    cid2 = add_card(hn.store, pid, status="temp_lost", serial=3)
    with pytest.raises(DomainError) as err:
        unlock_pin(hn, PinUnlockInput(cid2, "x"))
    assert "临时挂失" in str(err.value)


@pytest.mark.parametrize("weak", ["888888", "123456", "654321", "000000"])
def test_R_PIN_5_weak_pin_refused_before_anything_reaches_the_chip(hn: ServiceContext, weak: str) -> None:
    cid, doc, fake = _card(hn)
    before = counts(hn.store)
    with pytest.raises(ValidationError) as err:
        activate(hn, ActivateInput(cid, doc, True, weak, weak))
    assert set(err.value.rules) & {"R-PIN-3", "R-PIN-5"}
    assert "change_pin" not in fake.calls and fake.pin == "666666"
    assert counts(hn.store) == before
