"""Door-to-door delivery runs: prepare at the station, work offline all day, close on return.

Why runs exist (R-ISS-7, R-SEC-5, HB 47, HN 11(11), HN 28(8)): mobile service teams take produced
cards to people who cannot come — the elderly, the disabled, families of migrant workers — with a
laptop and a portable reader and no link all day. So `prepare_run` copies into the run rows
everything the team needs at the door (name, address, phone, the photo for the face check, the
deadline), and every step after it is a local transaction: `deliver` hands a card over through
`issuance.issue_card` (mode 'door', so the read-card test of R-ISS-3 and the recipient rules of
R-ISS-4/R-ISS-7 hold exactly as at the window), and a visit that did not end in a handover
('not_at_home', 'refused', 'moved') is committed as a business too, so the card management system
learns of every attempt when the laptop syncs; the card stays in stock. `close_run` counts the
outcomes and queues one closing envelope.

One idea per module: `model` (outcomes, texts, the data read back), `rules` (who may take whose
card, R-ISS-7), `prepare` (making a run), `runs` (reading runs), `door` (visits and closing).
Callers use this package's names (`from offline import delivery; delivery.deliver(...)`).
"""

from __future__ import annotations

from offline.delivery.door import close_run, deliver
from offline.delivery.model import (
    OPEN_OUTCOMES,
    OUTCOMES,
    RUN_STATES,
    STOCK_STATUSES,
    VISIT_OUTCOMES,
    DeliverInput,
    RunInfo,
    RunItem,
    RunSummary,
)
from offline.delivery.prepare import prepare_run
from offline.delivery.rules import CATEGORY_RELATIONS, CATEGORY_RULE_ZH, DELIVERY_RELATIONS, relation_problems
from offline.delivery.runs import item_photo, list_runs, outcome_counts, overdue_items, run_info, run_items

__all__ = [
    "CATEGORY_RELATIONS",
    "CATEGORY_RULE_ZH",
    "DELIVERY_RELATIONS",
    "OPEN_OUTCOMES",
    "OUTCOMES",
    "RUN_STATES",
    "STOCK_STATUSES",
    "VISIT_OUTCOMES",
    "DeliverInput",
    "RunInfo",
    "RunItem",
    "RunSummary",
    "close_run",
    "deliver",
    "item_photo",
    "list_runs",
    "outcome_counts",
    "overdue_items",
    "prepare_run",
    "relation_problems",
    "run_info",
    "run_items",
]
