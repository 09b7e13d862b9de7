"""The card management system's side of cards in hand (R-HLD-3): check, then answer on the downlink.

A station that adopted a card it did not know (offline/services/card_in_hand.py) uploads a
'card_in_hand' business with what the chip said. The gateway looks the card up in what it
knows and queues a `card_holder_verdict` update for that station:

- refused: the catalogue has no such card, or the card belongs to another social security
  number (a forged or mis-personalised card);
- corrected: the card is known but the catalogue differs — it was replaced or cancelled (the
  station's record moves to 'cancelled'), or the catalogue has another name/bank;
- confirmed: otherwise, with the catalogue's bank (the chip does not carry it).

Where the catalogue comes from: `CATALOGUE_LOOKUPS`, tried in order: the holder roster imported
from the province extract (`holder_cards`/`holders`, when one was imported), then the reference
gateway's own production (`applications`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync.gateway.db import Conn
from sync.gateway.production import add_update

KIND = "card_holder_verdict"


@dataclass(frozen=True)
class CatalogueCard:
    card_number: str
    ssn: str
    status: str  # station card status vocabulary: issued | cancelled | lost | temp_lost …
    bank: str = ""
    name: str = ""
    sex: str = ""
    birth_date: str = ""  # YYYY-MM-DD


def _from_applications(conn: Conn, card_number: str) -> CatalogueCard | None:
    """Cards this gateway produced; a replaced or cancelled application means a dead card."""
    row = conn.execute(
        "SELECT ssn, state, bank FROM applications WHERE card_number = ? ORDER BY received_at DESC LIMIT 1",
        (card_number,),
    ).fetchone()
    if row is None:
        return None
    status = "cancelled" if row["state"] in ("replaced", "cancelled") else "issued"
    return CatalogueCard(card_number, str(row["ssn"]).upper(), status, str(row["bank"]))


#: The holder roster's card states (sync/gateway/catalogue.py) → the station's card states.
ROSTER_STATES = {
    "normal": "issued",
    "pin_locked": "issued",
    "temp_lost": "temp_lost",
    "lost": "lost",
    "cancelled": "cancelled",
    "producing": "issued",  # the holder has it in hand: the catalogue is behind, not the card
    "ready": "issued",
}


def _from_roster(conn: Conn, card_number: str) -> CatalogueCard | None:
    """The holder roster imported from the province extract (tables of sync/gateway/catalogue.py)."""
    row = conn.execute(
        "SELECT c.ssn, c.status, c.bank, h.name, h.sex, h.birth_date FROM holder_cards c"
        " LEFT JOIN holders h ON h.ssn = c.ssn WHERE c.card_number = ?",
        (card_number,),
    ).fetchone()
    if row is None:
        return None
    return CatalogueCard(
        card_number,
        str(row["ssn"]).upper(),
        ROSTER_STATES.get(str(row["status"]), "issued"),
        str(row["bank"] or ""),
        str(row["name"] or ""),
        str(row["sex"] or ""),
        str(row["birth_date"] or ""),
    )


Lookup = Callable[[Conn, str], CatalogueCard | None]
CATALOGUE_LOOKUPS: list[Lookup] = [_from_roster, _from_applications]

STATUS_ZH = {"cancelled": "已注销", "lost": "正式挂失", "temp_lost": "临时挂失", "issued": "正常"}


def find_card(conn: Conn, card_number: str) -> CatalogueCard | None:
    for lookup in CATALOGUE_LOOKUPS:
        found = lookup(conn, card_number)
        if found is not None:
            return found
    return None


def verdict_for(found: CatalogueCard | None, details: dict[str, Any]) -> dict[str, Any]:
    """The update's payload for what the station reported (`details` of its business)."""
    number = str(details.get("card_number", "")).upper()
    ssn = str(details.get("ssn", "")).upper()
    if found is None:
        return {
            "card_number": number,
            "verdict": "refused",
            "reason": "卡管系统中没有此卡号，请持卡人到发卡银行核查",
        }
    if found.ssn != ssn:
        return {
            "card_number": number,
            "verdict": "refused",
            "reason": "卡号与卡内社会保障号码不符（卡管系统登记为他人的卡），请收回核查",
        }
    card: dict[str, Any] = {"bank": found.bank} if found.bank else {}
    person = {
        k: v
        for k, v in (("name", found.name), ("sex", found.sex), ("birth_date", found.birth_date))
        if v and str(details.get(k, "")).replace("-", "") != v.replace("-", "")
    }
    reasons = []
    if found.status != "issued":
        card["status"] = found.status
        reasons.append(f"此卡在卡管系统中为“{STATUS_ZH.get(found.status, found.status)}”")
    if person:
        reasons.append("持卡人信息以卡管系统为准")
    if reasons:
        return {
            "card_number": number,
            "verdict": "corrected",
            "reason": "；".join(reasons),
            "card": card,
            "person": person,
        }
    return {"card_number": number, "verdict": "confirmed", "reason": "", "card": card}


def act(conn: Conn, station_id: str, record: dict[str, Any], now: datetime) -> None:
    """Called by intake for a 'card_in_hand' business: queue the verdict for the station."""
    details = record.get("details") if isinstance(record.get("details"), dict) else {}
    assert isinstance(details, dict)
    number = str(details.get("card_number", "")).upper()
    if not number:
        return
    payload = verdict_for(find_card(conn, number), details)
    receipt_no = str(record.get("receipt_no", ""))
    add_update(
        conn, station_id, f"verdict-{receipt_no or number}", KIND, payload, now.isoformat(timespec="seconds")
    )
