"""State machines refuse illegal moves with a Chinese message naming both states (R-TMP-5, R-ISS-1)."""

from __future__ import annotations

import itertools

import pytest

from offline.errors import IllegalTransition
from offline.items import SERVICE_ITEMS
from offline.lifecycle import CARD_MACHINE, TEMP_MACHINE


def test_R_TMP_5_full_stock_cycle_is_allowed() -> None:
    cycle = [
        "signed_in",
        "distributed",
        "in_stock",
        "out_of_stock",
        "personalised",
        "issued",
        "recycled",
        "in_stock",
    ]
    for a, b in itertools.pairwise(cycle):
        TEMP_MACHINE.check(a, b)


def test_R_TMP_5_cannot_issue_a_card_still_in_stock() -> None:
    with pytest.raises(IllegalTransition) as info:
        TEMP_MACHINE.check("in_stock", "issued")
    assert "在库" in str(info.value) and "已发放" in str(info.value) and "R-TMP-5" in str(info.value)


def test_R_LOSS_1_cancelled_card_is_final() -> None:
    for target in CARD_MACHINE.labels:
        with pytest.raises(IllegalTransition):
            CARD_MACHINE.check("cancelled", target)


def test_every_state_has_a_label_and_every_move_targets_a_known_state() -> None:
    for machine in (CARD_MACHINE, TEMP_MACHINE):
        for state, targets in machine.moves.items():
            assert state in machine.labels
            assert targets <= set(machine.labels)


def test_service_items_are_the_eighteen_of_section_1() -> None:
    assert [i.number for i in SERVICE_ITEMS] == list(range(1, 19))
    assert len({i.code for i in SERVICE_ITEMS}) == 18
