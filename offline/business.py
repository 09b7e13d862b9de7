"""The transactional core every service runs through: one business = one transaction.

`commit_business()` writes, in the caller's IMMEDIATE transaction: the business record with
its receipt number, an audit entry, and the sealed outbox envelope(s). Services reach it
through `offline.business_builder.begin_business`, which opens the row first (`open_business`)
so domain rows can name it; if anything raises, nothing is written (architecture.md,
"transactional outbox").
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from offline import audit, clock, outbox
from offline.profiles import Profile
from offline.protocols import CardSession, Sealer
from offline.receipts import next_receipt_no
from offline.store import Store

if TYPE_CHECKING:
    from offline.signatures import Signature

ENVELOPE_SCHEMA = 1


@dataclass(frozen=True)
class Operator:
    """The logged-in operator a service acts for (R-ID-6)."""

    id: int
    username: str
    real_name: str
    role: str
    session_id: str | None = None


@dataclass
class ServiceContext:
    """Everything a service needs, handed in by the composition root (no globals).

    `profile` is the province profile: required and typed, so a service reads
    `ctx.profile.temp_cards` rather than guessing an attribute with a default.
    """

    store: Store
    operator: Operator
    sealer: Sealer
    station_id: str
    service_point: str
    terminal: str = "01"
    profile: Profile = field(kw_only=True)
    card: CardSession | None = None
    now: Callable[[], datetime] = field(default=clock.now)
    #: The signature pad's image read on the form (HB 11, 13, 39): kept with the business the
    #: service commits (`Business.commit`), whatever the item. None: the ticked 签字确认 box.
    signature: Signature | None = None

    def now_iso(self) -> str:
        return self.now().isoformat(timespec="seconds")

    def today(self) -> str:
        return self.now().date().isoformat()


@dataclass(frozen=True)
class BusinessResult:
    """What the screen shows and the receipt prints after a commit."""

    business_id: int
    receipt_no: str
    item: str
    at: str
    fee_fen: int
    summary: str
    envelope_ids: tuple[str, ...]
    details: dict[str, Any]


@dataclass(frozen=True)
class Blob:
    """A photo or document scan travelling as its own envelope (never compressed)."""

    kind: str  # 'photo' | 'doc_front' | 'doc_back' | 'unit_letter' ...
    data: bytes


@dataclass(frozen=True)
class OpenedBusiness:
    """A business row already written in the transaction, waiting for `commit_business` to fill it."""

    business_id: int
    receipt_no: str
    at: str


def open_business(ctx: ServiceContext, conn: sqlite3.Connection, *, item: str) -> OpenedBusiness:
    """Take the receipt number and write the business row, so domain rows can name it at once.

    The row holds no summary or details yet; `commit_business` fills them in the same
    transaction, so nothing half-written is ever committed.
    """
    now = ctx.now()
    at = now.isoformat(timespec="seconds")
    receipt_no = next_receipt_no(
        conn, service_point=ctx.service_point, terminal=ctx.terminal, day=now.strftime("%Y%m%d")
    )
    cur = conn.execute(
        "INSERT INTO businesses(receipt_no, item, operator_id, session_id, at) VALUES (?, ?, ?, ?, ?)",
        (receipt_no, item, ctx.operator.id, ctx.operator.session_id, at),
    )
    return OpenedBusiness(int(cur.lastrowid or 0), receipt_no, at)


def commit_business(
    ctx: ServiceContext,
    conn: sqlite3.Connection,
    *,
    item: str,
    summary: str,
    details: dict[str, Any],
    person_id: int | None = None,
    card_id: int | None = None,
    fee_fen: int = 0,
    blobs: tuple[Blob, ...] = (),
    opened: OpenedBusiness | None = None,
) -> BusinessResult:
    """Write business record + audit entry + sealed envelope(s) in `conn`'s transaction.

    The one place that seals and queues. `opened` is the row `open_business` wrote earlier in
    this transaction (the `begin_business` builder does that); without it the row is opened here.

    `details` must never hold PIN digits (R-PIN-6); it goes up to the card management system
    as the envelope payload, together with the operator's real name (R-ID-6) and the
    current audit head (so the server can notice a truncated local audit trail).
    """
    _refuse_pin_digits(details)
    if opened is None:
        opened = open_business(ctx, conn, item=item)
    business_id, receipt_no, at = opened.business_id, opened.receipt_no, opened.at
    text = json.dumps(details, ensure_ascii=False, sort_keys=True)
    conn.execute(
        "UPDATE businesses SET person_id = ?, card_id = ?, fee_fen = ?, summary = ?, details = ? WHERE id = ?",
        (person_id, card_id, fee_fen, summary, text, business_id),
    )
    audit_seq = audit.append(
        conn,
        at=at,
        operator_id=ctx.operator.id,
        action=f"business.{item}",
        target=receipt_no,
        details={"business_id": business_id, "fee_fen": fee_fen},
    )
    envelope_ids: list[str] = []
    main_payload: dict[str, Any] = {
        "schema": ENVELOPE_SCHEMA,
        "receipt_no": receipt_no,
        "item": item,
        "at": at,
        "station_id": ctx.station_id,
        "service_point": ctx.service_point,
        "operator": {"username": ctx.operator.username, "real_name": ctx.operator.real_name},
        "fee_fen": fee_fen,
        "details": details,
        "audit_seq": audit_seq,
        "blobs": [],
    }
    # Blobs first, so the server has them when the business envelope that names them arrives.
    blob_entries = []
    for blob in blobs:
        entry = outbox.enqueue(
            conn,
            ctx.sealer,
            station_id=ctx.station_id,
            kind="blob",
            payload=blob.data,
            business_id=business_id,
            at=at,
            compress=False,
        )
        blob_entries.append(entry)
        envelope_ids.append(entry.envelope_id)
        main_payload["blobs"].append(
            {"kind": blob.kind, "envelope_id": entry.envelope_id, "size": len(blob.data)}
        )
    main = outbox.enqueue(
        conn,
        ctx.sealer,
        station_id=ctx.station_id,
        kind="business",
        payload=json.dumps(main_payload, ensure_ascii=False, sort_keys=True).encode("utf-8"),
        business_id=business_id,
        at=at,
    )
    for entry in blob_entries:
        conn.execute(
            "UPDATE outbox SET parent_id = ? WHERE envelope_id = ?", (main.envelope_id, entry.envelope_id)
        )
    envelope_ids.append(main.envelope_id)
    return BusinessResult(business_id, receipt_no, item, at, fee_fen, summary, tuple(envelope_ids), details)


_PIN_KEYS = {"pin", "old_pin", "new_pin", "new_pin_again", "pin_again"}


def _refuse_pin_digits(details: dict[str, Any]) -> None:
    """R-PIN-6: a programming error, not an operator error — fail loudly before anything is written."""

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if str(k).lower() in _PIN_KEYS:
                    raise ValueError(f"R-PIN-6: business details must not carry PIN field {k!r}")
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(details)
