"""Which function serves each service item (business-rules.md section 1).

A test checks that every item of offline.items has at least one service here and a permission
entry in offline.permissions; the permission matrix and the tamper campaign call every function
listed. Importing it imports every service module: only tests and benchmarks do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from offline.services import (
    applications,
    bank_change,
    batch,
    cancellation,
    exchange,
    info_changes,
    issuance,
    losses,
    pins,
    queries,
    replacement,
    stock,
    temp_cards,
    transfer,
    walkins,
)

SERVICES: dict[str, tuple[Callable[..., Any], ...]] = {
    "apply": (applications.apply_card, batch.apply_batch),
    "replace": (replacement.replace_card, exchange.exchange_card, walkins.accept_walkin),
    "cancel": (cancellation.cancel_card, walkins.accept_walkin),
    "activate": (pins.activate,),
    "temp_loss": (losses.report_temp_loss, walkins.accept_walkin),
    "formal_loss": (losses.report_formal_loss, walkins.accept_walkin),
    "lift_loss": (losses.lift_loss,),
    "pin_change": (pins.change_pin,),
    "pin_reset": (pins.reset_pin,),
    "pin_unlock": (pins.unlock_pin,),
    "query": (queries.card_progress, walkins.accept_walkin),
    "info_change": (info_changes.change_info,),
    "key_info_change": (info_changes.change_key_info,),
    "issue": (issuance.issue_card,),
    "temp_card": (
        temp_cards.issue_temp_card,
        temp_cards.recycle_temp_card,
        temp_cards.cancel_lost_temp_card,
        temp_cards.destroy_damaged_temp_card,
    ),
    "transfer": (transfer.transfer_region,),
    "bank_change": (bank_change.change_bank,),
    "stock": (stock.receive_cards, stock.age_stock),
}
