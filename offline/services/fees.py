"""Cost fees (工本费) and their receipts: one check, one wording, for every business that charges.

Why one module: replacement, exchange, a key-information exchange, a lost or damaged temporary
card and a temporary card settled while its holder collects the formal card (R-ISS-5) all take
a fee. Each must be paid and recorded with the number of the 行政事业性收费票据 issued for it
(R-APP-10, R-REP-5, R-TMP-4; HN 9, HN 11(4), HN 12), and the operator must read the same message
whichever screen asked, so the checks live here once.
"""

from __future__ import annotations

from offline.errors import Problem
from offline.profiles import Profile

#: R-TMP-4 / R-ISS-5: how a temporary card is settled → the profile's fee key.
TEMP_FEE_KEYS = {"lost": "temp_lost", "damaged": "temp_damaged"}


def fee_problems(fee: int, receipt_no: str) -> list[Problem]:
    """R-APP-10: a charged fee is recorded with its 行政事业性收费票据 number."""
    if fee <= 0 or receipt_no.strip():
        return []
    return [
        Problem(
            "fee_receipt_no",
            "R-APP-10",
            f"收取工本费 {fee / 100:.2f} 元须登记行政事业性收费票据号码",
            "请收费并开具行政事业性收费票据后，录入票据号码。",
            "收费票据号",
        )
    ]


def paid_fee_problems(fee: int, paid: bool, receipt_no: str, *, rule: str) -> list[Problem]:
    """A fee the operator confirms as paid (ticked 已缴工本费), then its receipt number (R-APP-10).

    Used where the form asks for the payment explicitly: a lost or damaged temporary card, on its
    own (R-TMP-4) or inside 发放 (R-ISS-5). Not yet paid is the one problem then: asking for a
    receipt number of a fee not collected would send the operator the wrong way.
    """
    if fee <= 0:
        return []
    if not paid:
        return [
            Problem(
                "fee_paid",
                rule,
                f"尚未收取工本费 {fee / 100:.2f} 元",
                "请按收费标准收费后再确认。",
                "工本费",
            )
        ]
    return fee_problems(fee, receipt_no)


def temp_card_fee(profile: Profile, action: str) -> int:
    """The fee in fen for a temporary card settled as 'lost' or 'damaged' (R-TMP-4, HN 11(4), 12)."""
    return int(profile.fees_fen[TEMP_FEE_KEYS[action]])
