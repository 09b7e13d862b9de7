"""Cards in hand: a formal card the station does not know becomes a holder record (R-HLD-1..3).

Nearly everyone who walks in already holds a card issued years ago, often at the bank; a new
station's store does not know them. When such a card is in the reader, the station does not
refuse the business ("本站没有卡号…的记录"): it

- reads EF05/EF06 and has the security module authenticate the card (internal authentication,
  the same check as the R-ISS-3 read-card test) — R-HLD-1: a blank card, a temporary card of
  the station's own stock or a card that fails authentication is refused;
- writes the holder (from EF06, only when the SSN is unknown here) and the card (status
  'issued': the holder has it in hand), marked 待卡管核实 in `card_in_hand` — R-HLD-2;
- commits a '持卡登记' business whose envelope asks the card management system to check it;
  the business the operator came for (PIN change, activation, transfer …) then goes ahead.

The card management system answers on the downlink with `card_holder_verdict` (R-HLD-3):
confirmed; corrected (its catalogue's name/sex/birth date/bank/card status replace what the
chip said); or refused (the card is not in the catalogue or belongs to someone else) — the
record stays, flagged, and the home screen's alerts tell the operator why.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from offline import codes
from offline.business import ServiceContext
from offline.business_builder import begin_business
from offline.lifecycle import CARD_LABELS, CARD_MACHINE
from offline.permissions import require
from offline.protocols import CardError, ChipCard
from offline.services.card_common import chip_call_failed, read_chip, refuse, session
from offline.services.persons import name_initials

if TYPE_CHECKING:
    from offline.downlink import DownlinkUpdate

ITEM = "card_in_hand"
PENDING, CONFIRMED, CORRECTED, REFUSED = "pending", "confirmed", "corrected", "refused"
STATE_LABELS = {
    PENDING: "待卡管核实",
    CONFIRMED: "卡管已核实",
    CORRECTED: "卡管已更正",
    REFUSED: "卡管不认可",
}


@dataclass(frozen=True)
class Adopted:
    """The holder record the card in the reader maps to."""

    person_id: int
    card_id: int
    card_number: str
    ssn: str
    name: str
    created: bool  # False when the station already knew the card
    receipt_no: str = ""


def _date(yyyymmdd: str) -> str:
    d = yyyymmdd.strip()
    return f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 and d.isdigit() else ""


def _known(conn: sqlite3.Connection, card_number: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT c.id AS card_id, c.person_id, p.ssn, p.name FROM cards c JOIN persons p ON p.id = c.person_id"
        " WHERE c.card_number = ?",
        (card_number,),
    ).fetchone()
    return row


def _refuse_chip(chip: ChipCard, conn: sqlite3.Connection) -> None:
    if chip.holder is None:
        refuse(
            "card",
            "R-HLD-1",
            f"读卡器中的卡（卡号 {chip.card_number}）是空白卡，没有持卡人信息",
            "空白临时卡请在“临时卡”业务中使用；办理持卡人业务请插入持卡人本人的社会保障卡。",
            "实体卡",
        )
    if conn.execute("SELECT 1 FROM temp_cards WHERE card_number = ?", (chip.card_number,)).fetchone():
        refuse(
            "card",
            "R-HLD-1",
            f"卡号 {chip.card_number} 是本站的临时卡，不是正式社会保障卡",
            "临时卡的回收、挂失、损坏请在“临时卡”业务中办理。",
            "实体卡",
        )


def adopt_card_in_hand(ctx: ServiceContext) -> Adopted:
    """The holder record of the card in the reader; created (待卡管核实) when the station lacks it.

    Idempotent: a card the station already knows is returned as it is, nothing is written.
    """
    require(ctx.operator, "holder.adopt")
    chip = read_chip(ctx, "R-HLD-1")
    with ctx.store.write() as conn:
        known = _known(conn, chip.card_number)
        if known is not None:
            return Adopted(
                int(known["person_id"]),
                int(known["card_id"]),
                chip.card_number,
                known["ssn"],
                known["name"],
                False,
            )
    try:
        genuine = session(ctx, "R-HLD-1").check_genuine()
    except CardError as exc:
        chip_call_failed(exc, "R-HLD-1")
    if not genuine:
        refuse(
            "card",
            "R-HLD-1",
            f"卡号 {chip.card_number} 未通过安全模块认证（内部认证失败）",
            "该卡可能不是正式制发的社会保障卡；请持卡人到发卡银行或社保经办机构核查。",
            "实体卡",
        )
    with ctx.store.write() as conn:  # the business below joins this transaction
        known = _known(conn, chip.card_number)  # another terminal may have adopted it meanwhile
        if known is not None:
            return Adopted(
                int(known["person_id"]),
                int(known["card_id"]),
                chip.card_number,
                known["ssn"],
                known["name"],
                False,
            )
        _refuse_chip(chip, conn)
        holder = chip.holder
        assert holder is not None
        ssn = holder.ssn.strip().upper()
        with begin_business(ctx, ITEM, action="holder.adopt") as biz:
            at = biz.at
            row = conn.execute("SELECT id, name FROM persons WHERE ssn = ?", (ssn,)).fetchone()
            new_person = row is None
            if row is None:
                cur = conn.execute(
                    "INSERT INTO persons(ssn, name, name_initials, sex, ethnicity, birth_date, doc_type, doc_number,"
                    " region, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        ssn,
                        holder.name,
                        name_initials(holder.name),
                        holder.sex,
                        holder.ethnicity,
                        _date(holder.birth_date),
                        codes.DOC_RESIDENT_ID,
                        ssn,
                        chip.home_region or holder.birthplace,
                        at,
                        at,
                    ),
                )
                person_id, name = int(cur.lastrowid or 0), holder.name
            else:
                person_id, name = int(row["id"]), str(row["name"])
            cur = conn.execute(
                "INSERT INTO cards(person_id, card_number, card_id_code, bank, status, issue_date, expiry_date,"
                " issued_at, created_at, updated_at) VALUES (?, ?, ?, '', 'issued', ?, ?, ?, ?, ?)",
                (
                    person_id,
                    chip.card_number,
                    chip.card_id_code,
                    _date(chip.issue_date),
                    _date(chip.expiry_date),
                    _date(chip.issue_date),
                    at,
                    at,
                ),
            )
            card_id = int(cur.lastrowid or 0)
            conn.execute(
                "INSERT INTO card_in_hand(card_id, person_id, card_number, business_id, new_person, adopted_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (card_id, person_id, chip.card_number, biz.business_id, int(new_person), at),
            )
            result = biz.commit(
                summary=f"持卡登记 {name} 卡号 {chip.card_number}（待卡管核实）",
                details={
                    "ssn": ssn,
                    "name": holder.name,
                    "sex": holder.sex,
                    "birth_date": holder.birth_date,
                    "card_number": chip.card_number,
                    "card_id_code": chip.card_id_code,
                    "issue_date": chip.issue_date,
                    "expiry_date": chip.expiry_date,
                    "spec_version": chip.version,
                    "home_region": chip.home_region,
                    "new_person": new_person,
                },
                person_id=person_id,
                card_id=card_id,
            )
    return Adopted(person_id, card_id, chip.card_number, ssn, name, True, result.receipt_no)


def adopt_if_unknown(ctx: ServiceContext, *, card_number: str = "", ssn: str = "") -> Adopted | None:
    """For the forms: adopt the card in the reader when it is the one the operator means.

    `card_number` / `ssn` is what the operator typed ('' = "the card in the reader"); returns
    None when no card is in the reader or the chip is another card/person than the one typed,
    so the form's usual "本站没有…" message stands.
    """
    if ctx.card is None:
        return None
    try:
        chip = ctx.card.read_card()
    except CardError:
        return None
    if card_number and chip.card_number != card_number.strip().upper():
        return None
    if ssn and (chip.holder is None or chip.holder.ssn.upper() != ssn.strip().upper()):
        return None
    return adopt_card_in_hand(ctx)


def check_state(store: Any, card_id: int) -> str:
    """'' for a card the catalogue already knew, else the card_in_hand state."""
    row = store.one("SELECT state FROM card_in_hand WHERE card_id = ?", (card_id,))
    return str(row["state"]) if row is not None else ""


# --------------------------------------------------------------------------- the downlink


def on_card_holder_verdict(conn: sqlite3.Connection, update: DownlinkUpdate, at: str) -> str:
    """Downlink `card_holder_verdict` {card_number, verdict, reason, person?, card?} (R-HLD-3).

    Registered in `offline.downlink.HANDLERS`; returns the Chinese outcome line, refuses a card
    this station never adopted (recorded in the inbox, the stream goes on).
    """
    from offline.downlink import DownlinkRejected  # imported here: offline.downlink imports this module

    payload = update.payload
    number = str(payload.get("card_number", "")).strip().upper()
    row = conn.execute(
        "SELECT h.*, c.status AS card_status FROM card_in_hand h JOIN cards c ON c.id = h.card_id"
        " WHERE h.card_number = ?",
        (number,),
    ).fetchone()
    if row is None:
        raise DownlinkRejected(f"本站没有待核实的卡 {number}")
    verdict = str(payload.get("verdict", ""))
    if verdict not in (CONFIRMED, CORRECTED, REFUSED):
        raise DownlinkRejected(f"未知的核实结果“{verdict}”")
    reason = str(payload.get("reason", ""))[:200]
    card_values = payload.get("card") if isinstance(payload.get("card"), dict) else {}
    person_values = payload.get("person") if isinstance(payload.get("person"), dict) else {}
    assert isinstance(card_values, dict) and isinstance(person_values, dict)
    bank = str(card_values.get("bank", "")).strip()
    if bank:
        conn.execute("UPDATE cards SET bank = ?, updated_at = ? WHERE id = ?", (bank, at, row["card_id"]))
    notes: list[str] = []
    if verdict == CORRECTED:
        sets = {k: str(v) for k, v in person_values.items() if k in ("name", "sex", "birth_date") and v}
        if "name" in sets:
            sets["name_initials"] = name_initials(sets["name"])
        if sets:
            assignments = ", ".join(f"{k} = ?" for k in sets)
            conn.execute(
                f"UPDATE persons SET {assignments}, updated_at = ? WHERE id = ?",
                (*sets.values(), at, row["person_id"]),
            )
            notes.append("持卡人信息已按卡管系统更正")
        status = str(card_values.get("status", ""))
        if status and status != row["card_status"] and status in CARD_LABELS:
            CARD_MACHINE.check(str(row["card_status"]), status)
            conn.execute(
                "UPDATE cards SET status = ?, updated_at = ? WHERE id = ?", (status, at, row["card_id"])
            )
            conn.execute(
                "INSERT INTO card_moves(card_id, from_status, to_status, at) VALUES (?, ?, ?, ?)",
                (row["card_id"], row["card_status"], status, at),
            )
            notes.append(f"卡状态更正为“{CARD_LABELS[status]}”")
    conn.execute(
        "UPDATE card_in_hand SET state = ?, reason = ?, resolved_at = ? WHERE card_id = ?",
        (verdict, reason, at, row["card_id"]),
    )
    line = f"卡 {number}：{STATE_LABELS[verdict]}"
    if reason:
        line += f"（{reason}）"
    if notes:
        line += "；" + "；".join(notes)
    return line
