"""Which function serves each service item (business-rules.md section 1).

Kept as dotted paths so that importing the registry costs nothing; `resolve()` imports on
demand. A test checks that every item of offline.items has at least one service here and
a permission entry in offline.permissions.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

SERVICES: dict[str, tuple[str, ...]] = {
    "apply": ("offline.services.applications:apply_card", "offline.services.batch:apply_batch"),
    "replace": (
        "offline.services.replacement:replace_card",
        "offline.services.replacement:exchange_card",
        "offline.services.walkins:accept_walkin",
    ),
    "cancel": ("offline.services.cancellation:cancel_card", "offline.services.walkins:accept_walkin"),
    "activate": ("offline.services.pins:activate",),
    "temp_loss": ("offline.services.losses:report_temp_loss", "offline.services.walkins:accept_walkin"),
    "formal_loss": ("offline.services.losses:report_formal_loss", "offline.services.walkins:accept_walkin"),
    "lift_loss": ("offline.services.losses:lift_loss",),
    "pin_change": ("offline.services.pins:change_pin",),
    "pin_reset": ("offline.services.pins:reset_pin",),
    "pin_unlock": ("offline.services.pins:unlock_pin",),
    "query": ("offline.services.queries:card_progress", "offline.services.walkins:accept_walkin"),
    "info_change": ("offline.services.info_changes:change_info",),
    "key_info_change": ("offline.services.info_changes:change_key_info",),
    "issue": ("offline.services.issuance:issue_card",),
    "temp_card": (
        "offline.services.temp_cards:issue_temp_card",
        "offline.services.temp_cards:recycle_temp_card",
        "offline.services.temp_cards:cancel_lost_temp_card",
        "offline.services.temp_cards:destroy_damaged_temp_card",
    ),
    "transfer": ("offline.services.transfer:transfer_region",),
    "bank_change": ("offline.services.bank_change:change_bank",),
    "stock": ("offline.services.stock:receive_cards", "offline.services.stock:age_stock"),
}


def resolve(path: str) -> Callable[..., Any]:
    """Import 'module:function' and return the function."""
    module, _, name = path.partition(":")
    fn: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return fn
