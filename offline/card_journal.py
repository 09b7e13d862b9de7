"""Write-intent journal for chip writes: nothing lost, nothing duplicated, nothing guessed.

A chip write and a SQLite commit cannot be one atomic step. So every service that writes
to a card (temporary-card personalisation R-TMP-2, recycle erase R-TMP-3, home-region
rewrite R-TRF-1) does this:

1. `begin()` commits a journal row *before* touching the chip: the card number, the op,
   what the card must hold afterwards (`after`), what it held before (`before`), and the
   full service input needed to finish the business later (`service` + `input`).
   PIN digits never go in (R-PIN-6; refused like `commit_business` refuses them).
2. The chip write (the devices layer verifies it by reading back).
3. The business (`begin_business`) writes the domain rows, `finish()` on the journal row and
   its record (`biz.commit()`) — one transaction.

If the process dies, the link to the reader drops or the card is pulled between 1 and 3,
the journal row stays 'pending'. The next time that card is inserted (or at start-up,
where the home screen lists `pending()`), `resolve_on_insert(ctx, card)` compares the
card's actual read-back with the journal and acts:

| op          | card reads as ...                 | class     | action                                             |
|-------------|-----------------------------------|-----------|----------------------------------------------------|
| personalise | the intended holder + dates       | complete  | finish the business from the journalled input      |
| personalise | blank (no holder, no dates)       | untouched | abandon: nothing happened on the card              |
| personalise | anything else (half written, ...) | partial   | erase back to blank, verify, abandon               |
| erase       | blank                             | complete  | finish the business (recycle) from the journal     |
| erase       | the previous holder, unchanged    | untouched | abandon: the card still belongs to its holder      |
| erase       | anything else                     | partial   | re-do the erase (idempotent), verify, finish       |
| home_region | the new region                    | complete  | finish the business                                |
| home_region | the old region                    | untouched | abandon                                            |
| home_region | anything else                     | partial   | re-write the region (idempotent), verify, finish   |

"Finish" first checks that no business already exists for the journal id (the details of
every business finished from a journal carry `journal_id`), so a crash after the commit
but before anything else can never produce a second business. If the card reads as
another card number the journal is not touched at all. Every resolution is written on
the journal row (`resolution`) and in the audit trail.

Finishers are looked up by the journal's `service` name in `finishers()` (imported when
called, so this module does not import at load time the services that import it).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from offline import audit, clock
from offline.errors import DomainError
from offline.protocols import CardError, ChipCard, ChipHolder
from offline.store import Store

log = logging.getLogger(__name__)

OPS = ("personalise", "erase", "home_region")
PENDING, DONE, ABANDONED = "pending", "done", "abandoned"

Written = Literal["complete", "untouched", "partial"]

_PIN_KEYS = {"pin", "old_pin", "new_pin", "new_pin_again", "pin_again"}


@dataclass(frozen=True)
class JournalEntry:
    id: int
    card_number: str
    op: str
    intent: dict[str, Any]
    state: str
    operator_id: int | None
    started_at: str
    resolution: str = ""
    business_id: int | None = None

    @property
    def service(self) -> str:
        return str(self.intent.get("service", ""))


def holder_to_dict(holder: ChipHolder | None) -> dict[str, str] | None:
    return None if holder is None else asdict(holder)


def holder_from_dict(data: dict[str, Any] | None) -> ChipHolder | None:
    return None if data is None else ChipHolder(**{k: str(v) for k, v in data.items()})


def _refuse_pin_keys(value: Any) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if str(k).lower() in _PIN_KEYS:
                raise ValueError(f"R-PIN-6: a write intent must not carry PIN field {k!r}")
            _refuse_pin_keys(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _refuse_pin_keys(v)


def begin(store: Store, *, card_number: str, op: str, intent: dict[str, Any], operator_id: int | None) -> int:
    """Commit the intent in its own small transaction, BEFORE the chip write; returns the journal id.

    `intent` = {'service': <finishers() key>, 'before': ..., 'after': ..., 'input': {...}}.
    Must not be called inside another write(): the row has to be durable before the chip
    changes, and a nested write would only commit with the outer transaction.
    """
    if op not in OPS:
        raise ValueError(f"unknown journal op {op!r}")
    _refuse_pin_keys(intent)
    if store.connection().in_transaction:
        raise RuntimeError("card_journal.begin() must run outside a transaction (it commits on its own)")
    text = json.dumps(intent, ensure_ascii=False, sort_keys=True)
    with store.write() as conn:
        cur = conn.execute(
            "INSERT INTO card_write_journal(card_number, op, intent, state, operator_id, started_at)"
            " VALUES (?, ?, ?, 'pending', ?, ?)",
            (card_number, op, text, operator_id, clock.now_iso()),
        )
        journal_id = int(cur.lastrowid or 0)
        audit.append(
            conn,
            at=clock.now_iso(),
            operator_id=operator_id,
            action=f"card_write.begin.{op}",
            target=card_number,
            details={"journal_id": journal_id},
        )
    return journal_id


def finish(
    conn: sqlite3.Connection, journal_id: int, resolution: str, *, business_id: int | None = None
) -> None:
    """Mark the entry done inside the business transaction that follows a verified write."""
    cur = conn.execute(
        "UPDATE card_write_journal SET state = 'done', resolved_at = ?, resolution = ?,"
        " business_id = COALESCE(?, business_id) WHERE id = ? AND state = 'pending'",
        (clock.now_iso(), resolution, business_id, journal_id),
    )
    if cur.rowcount != 1:
        raise RuntimeError(f"journal entry {journal_id} is not pending")


def abandon(store: Store, journal_id: int, reason: str, *, operator_id: int | None = None) -> None:
    """Close the entry without a business: the chip holds nothing of the intended write."""
    with store.write() as conn:
        cur = conn.execute(
            "UPDATE card_write_journal SET state = 'abandoned', resolved_at = ?, resolution = ?"
            " WHERE id = ? AND state = 'pending'",
            (clock.now_iso(), reason, journal_id),
        )
        if cur.rowcount == 1:
            row = conn.execute(
                "SELECT card_number FROM card_write_journal WHERE id = ?", (journal_id,)
            ).fetchone()
            audit.append(
                conn,
                at=clock.now_iso(),
                operator_id=operator_id,
                action="card_write.abandon",
                target=str(row[0]),
                details={"journal_id": journal_id},
            )


def _entry(row: sqlite3.Row) -> JournalEntry:
    return JournalEntry(
        id=int(row["id"]),
        card_number=str(row["card_number"]),
        op=str(row["op"]),
        intent=json.loads(row["intent"]),
        state=str(row["state"]),
        operator_id=row["operator_id"],
        started_at=str(row["started_at"]),
        resolution=str(row["resolution"]),
        business_id=row["business_id"],
    )


def pending(store: Store, *, card_number: str | None = None) -> list[JournalEntry]:
    """Unresolved entries, oldest first (all cards, or one card)."""
    if card_number is None:
        rows = store.query("SELECT * FROM card_write_journal WHERE state = 'pending' ORDER BY id")
    else:
        rows = store.query(
            "SELECT * FROM card_write_journal WHERE state = 'pending' AND card_number = ? ORDER BY id",
            (card_number,),
        )
    return [_entry(r) for r in rows]


def get(store: Store, journal_id: int) -> JournalEntry | None:
    row = store.one("SELECT * FROM card_write_journal WHERE id = ?", (journal_id,))
    return None if row is None else _entry(row)


def business_for_journal(conn: sqlite3.Connection, journal_id: int) -> int | None:
    """The business finished from this journal entry, if any (guards against duplicates)."""
    row = conn.execute(
        "SELECT id FROM businesses WHERE json_extract(details, '$.journal_id') = ? ORDER BY id LIMIT 1",
        (journal_id,),
    ).fetchone()
    return None if row is None else int(row[0])


# --------------------------------------------------------------------------- classification


def _is_blank(card: ChipCard) -> bool:
    return card.holder is None and not card.issue_date and not card.expiry_date


def _matches(card: ChipCard, state: dict[str, Any] | None) -> bool:
    """Does the card hold exactly `state` ({'holder', 'issue_date', 'expiry_date'} or None = blank)?"""
    if state is None:
        return _is_blank(card)
    if "home_region" in state:
        return bool(card.home_region == state["home_region"])
    return (
        card.holder == holder_from_dict(state.get("holder"))
        and card.issue_date == state.get("issue_date", "")
        and card.expiry_date == state.get("expiry_date", "")
    )


def classify(entry: JournalEntry, card: ChipCard) -> Written:
    """Compare the card's read-back with the journal's `after` and `before` states."""
    if _matches(card, entry.intent.get("after")):
        return "complete"
    if _matches(card, entry.intent.get("before")):
        return "untouched"
    return "partial"


# --------------------------------------------------------------------------- resolution


def finishers() -> dict[str, Callable[..., Any]]:
    """Service name in the intent → its finisher, called inside a write() with
    (ctx, conn, entry: JournalEntry, card: ChipCard) -> BusinessResult.

    Imported here, not at the top: those service modules import this one.
    """
    from offline.services import temp_cards, transfer

    return {
        "temp_card.issue": temp_cards.finish_issue_from_journal,
        "temp_card.recycle": temp_cards.finish_recycle_from_journal,
        "transfer.home_region": transfer.finish_transfer_from_journal,
    }


def _finisher(entry: JournalEntry) -> Callable[..., Any]:
    fn = finishers().get(entry.service)
    if fn is None:
        raise LookupError(f"no finisher for journal service {entry.service!r}")
    return fn


def _finish_business(ctx: Any, entry: JournalEntry, card: ChipCard, how: str) -> str:
    """Finish the business from the journal in one transaction, unless one already exists."""
    store: Store = ctx.store
    with store.write() as conn:
        row = conn.execute("SELECT state FROM card_write_journal WHERE id = ?", (entry.id,)).fetchone()
        if row is None or row[0] != PENDING:
            return f"写卡记录 {entry.id} 已处理，无需重复办理。"
        existing = business_for_journal(conn, entry.id)
        if existing is not None:
            finish(conn, entry.id, f"{how}；业务已存在（业务 {existing}），未重复办理", business_id=existing)
            return f"卡 {entry.card_number}：业务此前已办结，已核对卡片并关闭写卡记录。"
        result = _finisher(entry)(ctx, conn, entry, card)
        finish(
            conn, entry.id, f"{how}；据写卡记录补办业务 {result.receipt_no}", business_id=result.business_id
        )
        return f"卡 {entry.card_number}：卡内数据已完整写入，已据写卡记录补办业务，受理编号 {result.receipt_no}。"


def _redo(ctx: Any, entry: JournalEntry) -> ChipCard:
    """Re-do an idempotent write from the journal (erase, home region)."""
    if entry.op == "erase":
        done: ChipCard = ctx.card.erase()
        return done
    if entry.op == "home_region":
        region = str(entry.intent["after"]["home_region"])
        done = ctx.card.write_home_region(region)
        return done
    raise ValueError(f"op {entry.op!r} cannot be re-done")


def resolve_entry(ctx: Any, entry: JournalEntry, card: ChipCard) -> str:
    """Resolve one pending entry against the card actually read; returns a Chinese outcome line."""
    if card.card_number != entry.card_number:
        return f"插入的卡（{card.card_number}）不是写卡记录中的卡（{entry.card_number}），未作处理。"
    state = classify(entry, card)
    op_id = ctx.operator.id
    try:
        if state == "complete":
            return _finish_business(ctx, entry, card, "读卡核对：写入完整")
        if state == "untouched":
            abandon(ctx.store, entry.id, "读卡核对：卡内数据未变化，写卡未发生，已放弃", operator_id=op_id)
            return f"卡 {entry.card_number}：上次写卡未写入卡片，记录已关闭，请重新办理。"
        if entry.op == "personalise":
            erased = ctx.card.erase()
            if not _is_blank(erased):
                return f"卡 {entry.card_number}：卡内数据不完整且擦除未成功，请重新插卡后再试。"
            abandon(ctx.store, entry.id, "读卡核对：写入不完整，已擦除恢复为空白卡并放弃", operator_id=op_id)
            return f"卡 {entry.card_number}：上次写卡不完整，已擦除恢复为空白卡，请重新办理。"
        redone = _redo(ctx, entry)
        if classify(entry, redone) != "complete":
            return f"卡 {entry.card_number}：重写后核对仍不一致，请重新插卡后再试。"
        return _finish_business(ctx, entry, redone, "读卡核对：写入不完整，已按写卡记录重写并核对")
    except DomainError as exc:
        log.warning("journal %s: business refused while resolving: %s", entry.id, exc)
        return f"卡 {entry.card_number}：据写卡记录补办业务被拒绝（{exc}），记录保留，请联系业务主管处理。"
    except CardError as exc:
        log.warning("journal %s: card error while resolving: %s", entry.id, exc.code)
        return (
            f"卡 {entry.card_number}：处理未完成写卡时读写卡出错（{exc.message_zh}），记录保留，请重新插卡。"
        )


def resolve_on_insert(ctx: Any, card: ChipCard) -> list[str]:
    """Resolve every pending entry of the inserted card (oldest first); Chinese outcome lines.

    `ctx` is a ServiceContext with `ctx.card` the session the card was read through.
    Entries of other cards are left alone.
    """
    lines: list[str] = []
    for entry in pending(ctx.store, card_number=card.card_number):
        current = card if not lines else ctx.card.read_card()
        lines.append(resolve_entry(ctx, entry, current))
    return lines
