"""What a card holds after an interrupted write: 'complete', 'blank' or 'partial'.

Pure: the service layer reads the card (`read_card`) and, with the holder it meant to
write (from its write-intent journal), decides whether to finish, retry or erase.
'partial' means "neither blank nor exactly the expected content" - including a card
fully written with *another* holder - and always needs attention.
"""

from __future__ import annotations

from typing import Literal

from offline.protocols import ChipCard, ChipHolder

Written = Literal["complete", "blank", "partial"]


def classify_written(
    card: ChipCard,
    expected_holder: ChipHolder | None,
    *,
    issue_date: str | None = None,
    expiry_date: str | None = None,
) -> Written:
    """Classify `card` against the holder (and optionally the dates) a write intended.

    blank: no EF06 item and no issue/expiry date on the card (stock state).
    complete: the holder reads exactly as expected and the dates are set (equal to the
    given ones when given).
    partial: anything else.
    """
    if card.holder is None and not card.issue_date and not card.expiry_date:
        return "blank"
    if expected_holder is None or card.holder != expected_holder:
        return "partial"
    if not card.issue_date or not card.expiry_date:
        return "partial"
    if issue_date is not None and card.issue_date != issue_date:
        return "partial"
    if expiry_date is not None and card.expiry_date != expiry_date:
        return "partial"
    return "complete"
