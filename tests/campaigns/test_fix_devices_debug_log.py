"""Regression: at DEBUG the card transport logged every APDU data field in hex (tamper/privacy campaign).

READ RECORD answers of EF06 and the UPDATE RECORDs of a personalisation carry the holder's social
security number (ASCII) and name (GBK), so a station running with DEBUG logging wrote people's
identities into its log (R-SEC-1). The transport now logs header, lengths and status only.
"""

from __future__ import annotations

import logging

import pytest

from devices import open_emulated_session
from devices.emulator import EmulatedCard, make_card
from offline.protocols import ChipHolder

HOLDER = ChipHolder("430102198005060014", "欧阳娜娜", "2", "01", "430102", "19800506")


def test_R_SEC_1_debug_log_of_card_exchanges_holds_no_ssn_name_or_pin(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="devices")
    blank = open_emulated_session(EmulatedCard(make_card(version=3, holder=None, serial=41)))
    blank.personalise(HOLDER, "20250101", "20250701")
    formal = open_emulated_session(
        EmulatedCard(
            make_card(version=3, holder=HOLDER, serial=42, issue_date="20250101", expiry_date="20350101")
        )
    )
    assert formal.read_card().holder == HOLDER
    formal.change_pin("666666", "739154")
    text = caplog.text
    assert sum(1 for r in caplog.records if r.name == "devices.transport") > 20  # the exchanges were logged
    for needle in (
        HOLDER.ssn,
        HOLDER.ssn.encode("ascii").hex().upper(),
        HOLDER.name,
        HOLDER.name.encode("gbk").hex().upper(),
        "739154",
    ):
        assert needle not in text, needle
