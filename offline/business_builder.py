"""`with begin_business(ctx, item) as biz:` — the shape every writing service takes.

A service used to open `store.write()`, check permission, write its rows, call
`commit_business`, then patch the rows that needed the business id (card moves, applications)
and append extra audit entries after it. The builder puts that in one order:

1. `begin_business` checks permission (R-SEC-2), opens the IMMEDIATE transaction, takes the
   receipt number and writes the business row, so `biz.business_id` exists from the start;
2. the service checks, then writes its domain rows through `biz` (`biz.conn`, `biz.move_card`,
   `biz.audit`), naming `biz.business_id` directly;
3. `biz.commit(...)` fills the business row and calls `commit_business`, still the one place
   that seals and queues; extra audit entries follow the business's own entry, as before.

Leaving the block without `biz.commit` is a programming error: the transaction rolls back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from offline import audit, lifecycle
from offline.business import (
    Blob,
    BusinessResult,
    OpenedBusiness,
    ServiceContext,
    commit_business,
    open_business,
)
from offline.errors import ValidationError
from offline.permissions import require
from offline.signatures import signature_problems, store_signature


@dataclass
class _AuditEntry:
    action: str
    target: str
    details: dict[str, Any]


@dataclass
class Business:
    """One business in its transaction: its row id, receipt number and time, and its writes."""

    ctx: ServiceContext
    conn: sqlite3.Connection
    item: str
    opened: OpenedBusiness
    result: BusinessResult | None = None
    _audit: list[_AuditEntry] = field(default_factory=list)

    @property
    def business_id(self) -> int:
        return self.opened.business_id

    @property
    def receipt_no(self) -> str:
        return self.opened.receipt_no

    @property
    def at(self) -> str:
        """The business's time: its row, its moves and its audit entries all carry it."""
        return self.opened.at

    def move_card(self, card: sqlite3.Row | lifecycle.CardState, to_status: str, **updates: Any) -> int:
        """Move a formal card along CARD_MACHINE, the move linked to this business (R-ISS-1)."""
        return lifecycle.move_card(
            self.conn, card, to_status, at=self.at, business_id=self.business_id, **updates
        )

    def move_temp_card(self, temp: sqlite3.Row | dict[str, Any], to_state: str, **updates: Any) -> int:
        """Move a temporary card along TEMP_MACHINE, the move linked to this business (R-TMP-5)."""
        from offline.services.card_common import move_temp_card

        return move_temp_card(
            self.conn,
            temp,
            to_state,
            at=self.at,
            operator_id=self.ctx.operator.id,
            business_id=self.business_id,
            **updates,
        )

    def audit(self, action: str, *, target: str | None = None, details: dict[str, Any] | None = None) -> None:
        """An audit entry beyond the business's own, written right after it at commit (R-SEC-3).

        `target` defaults to the receipt number. Never PIN digits or personal data in `details`.
        """
        self._audit.append(_AuditEntry(action, self.receipt_no if target is None else target, details or {}))

    def commit(
        self,
        *,
        summary: str,
        details: dict[str, Any],
        person_id: int | None = None,
        card_id: int | None = None,
        fee_fen: int = 0,
        blobs: tuple[Blob, ...] = (),
    ) -> BusinessResult:
        """Fill the business row, seal and queue it (`commit_business`), then the extra audit entries."""
        if self.result is not None:
            raise RuntimeError(f"business {self.receipt_no} committed twice")
        signature = self.ctx.signature
        if signature is not None:  # the pad's image travels and is kept like the photo (HB 13, 39)
            problems = signature_problems(signature.image)
            if problems:
                raise ValidationError(problems)
            details = {**details, "signed": True, "signature_image": True}
            blobs = (*blobs, Blob("signature", signature.image))
        self.result = commit_business(
            self.ctx,
            self.conn,
            item=self.item,
            summary=summary,
            details=details,
            person_id=person_id,
            card_id=card_id,
            fee_fen=fee_fen,
            blobs=blobs,
            opened=self.opened,
        )
        if signature is not None:
            store_signature(
                self.conn,
                business_id=self.business_id,
                person_id=person_id,
                image=signature.image,
                file_name=signature.file_name,
                at=self.at,
            )
        for entry in self._audit:
            audit.append(
                self.conn,
                at=self.at,
                operator_id=self.ctx.operator.id,
                action=entry.action,
                target=entry.target,
                details=entry.details,
            )
        return self.result


@contextmanager
def begin_business(
    ctx: ServiceContext, item: str, *, action: str | None = None, by_station: bool = False
) -> Iterator[Business]:
    """Permission (R-SEC-2), IMMEDIATE transaction, receipt number and business row, in that order.

    `action` is the permission action when it differs from the item code. `by_station` skips
    the permission check for a business the station makes on its own by rule (R-LOSS-2 expiry),
    not by an operator's choice. Anything raised in the block rolls back everything, the
    receipt number included.
    """
    if not by_station:
        require(ctx.operator, action or item)
    with ctx.store.write() as conn:
        biz = Business(ctx, conn, item, open_business(ctx, conn, item=item))
        yield biz
        if biz.result is None:
            raise RuntimeError(f"business {item} left without commit; nothing was written")
