"""The area's holder roster (持卡人名册) in the station store: snapshot rows and downlink deltas.

A station that opens today has an empty store while nearly everyone who walks in already holds a
card. So at enrolment the station applies its area's roster (`sync.roster` downloads it), and
afterwards `roster_holder` updates on the downlink keep it current: new holders, and status
changes made elsewhere (a loss at the bank, a card produced for another station, a death).

Rows come from the card management system's catalogue (`sync.gateway.catalogue.ROW_FIELDS`), one
per card. They are applied with sqlite-utils bulk upserts, marked source='catalogue', and only
when their version is newer than what the row holds (`catalogue_version`), so a delta delivered
twice or queued before the snapshot never moves a card backwards.

Status mapping (catalogue → station card state, `offline.lifecycle`): 正常 → issued,
临时挂失 → temp_lost, 正式挂失 → lost, 密码锁定 → issued with pin_locked, 已注销 → cancelled,
制卡中 → produced, 待领取 → shipped (waiting at a station: R-ISS-1 wants it signed in by someone who
has it in hand before it counts as arrived). A station state that is *further along the same
road* than the catalogue's (arrived or unit-collected for 待领取) is kept: the station knows more.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import sqlite_utils

ROW_FIELDS = (
    "ssn",
    "name",
    "sex",
    "ethnicity",
    "birth_date",
    "doc_type",
    "doc_number",
    "phone",
    "address",
    "region",
    "person_status",
    "card_number",
    "status",
    "spec_version",
    "bank",
    "issue_date",
    "expiry_date",
    "person_version",
    "card_version",
)
SOURCE = "catalogue"
#: Setting: '1' while the area snapshot is owed (after enrolment, or after a `roster_refresh`).
PENDING_KEY = "roster_pending"
#: catalogue status → (station card state, pin_locked, social function active)
STATUS_MAP: dict[str, tuple[str, int, int]] = {
    "normal": ("issued", 0, 1),
    "temp_lost": ("temp_lost", 0, 1),
    "lost": ("lost", 0, 1),
    "pin_locked": ("issued", 1, 1),
    "cancelled": ("cancelled", 0, 0),
    "producing": ("produced", 0, 0),
    "ready": ("shipped", 0, 0),
}
#: Station states kept when the catalogue says the card is at this point of its road.
AHEAD: dict[str, frozenset[str]] = {
    "producing": frozenset({"shipped", "arrived", "unit_collected", "sealed"}),
    "ready": frozenset({"arrived", "unit_collected", "sealed"}),
}
PERSON_STATUS = {"active": "active", "deceased": "deceased", "abroad": "abroad"}
CHUNK = 500


@lru_cache(maxsize=65536)
def _initials(name: str) -> str:
    from offline.services.persons import name_initials

    return name_initials(name)


def decode_line(line: str) -> dict[str, str]:
    """A snapshot line back into a full row (restores what the encoder left out)."""
    from offline.validation.ids import ssn_birth_and_sex

    values = line.rstrip("\n").split("\t")
    if len(values) != len(ROW_FIELDS):
        raise ValueError(f"roster line has {len(values)} fields, expected {len(ROW_FIELDS)}")
    row = dict(zip(ROW_FIELDS, values, strict=True))
    if not row["doc_number"]:
        row["doc_number"] = row["ssn"]
    if not row["birth_date"] or not row["sex"]:
        birth, sex = ssn_birth_and_sex(row["ssn"])
        row["birth_date"] = row["birth_date"] or birth.isoformat()
        row["sex"] = row["sex"] or sex
    if not row["person_version"]:
        row["person_version"] = row["card_version"]
    return row


def _existing(
    conn: sqlite3.Connection, table: str, key: str, values: Sequence[str]
) -> dict[str, sqlite3.Row]:
    out: dict[str, sqlite3.Row] = {}
    for i in range(0, len(values), CHUNK):
        part = values[i : i + CHUNK]
        marks = ",".join("?" for _ in part)
        for r in conn.execute(f"SELECT * FROM {table} WHERE {key} IN ({marks})", part):
            out[str(r[key])] = r
    return out


def apply_rows(conn: sqlite3.Connection, rows: Iterable[dict[str, Any]], at: str) -> dict[str, int]:
    """Upsert persons and cards of `rows` in the caller's transaction; counts of what changed."""
    counts = {"persons_new": 0, "persons_updated": 0, "cards_new": 0, "cards_updated": 0, "skipped": 0}
    batch = list(rows)
    if not batch:
        return counts
    db = sqlite_utils.Database(conn)
    persons: dict[str, dict[str, Any]] = {}
    for r in batch:
        persons[str(r["ssn"]).upper()] = r
    have = _existing(conn, "persons", "ssn", list(persons))
    records = []
    for ssn, r in persons.items():
        version = int(r.get("person_version") or 0)
        old = have.get(ssn)
        if old is not None and int(old["catalogue_version"]) >= version:
            continue
        counts["persons_new" if old is None else "persons_updated"] += 1
        records.append(
            {
                "ssn": ssn,
                "name": r["name"],
                "name_initials": _initials(str(r["name"])),
                "sex": r["sex"],
                "ethnicity": r["ethnicity"],
                "birth_date": r["birth_date"],
                "doc_type": r["doc_type"],
                "doc_number": r["doc_number"],
                "phone": r["phone"] or ("" if old is None else old["phone"]),
                "residence_address": r["address"] or ("" if old is None else old["residence_address"]),
                "region": r["region"],
                "status": PERSON_STATUS.get(str(r.get("person_status") or "active"), "active"),
                "source": SOURCE if old is None else old["source"],
                "catalogue_version": version,
                "created_at": at if old is None else old["created_at"],
                "updated_at": at,
            }
        )
    if records:
        db.table("persons").upsert_all(records, pk="ssn", batch_size=200)
    ids = {k: int(v["id"]) for k, v in _existing(conn, "persons", "ssn", list(persons)).items()}
    numbered = [r for r in batch if r.get("card_number")]
    cards = _existing(conn, "cards", "card_number", [str(r["card_number"]).upper() for r in numbered])
    card_records, moves = [], []
    for r in numbered:
        number = str(r["card_number"]).upper()
        version = int(r.get("card_version") or 0)
        old = cards.get(number)
        if old is not None and int(old["catalogue_version"]) >= version:
            counts["skipped"] += 1
            continue
        target, pin_locked, social = STATUS_MAP.get(str(r["status"]), ("issued", 0, 1))
        if old is not None and str(old["status"]) in AHEAD.get(str(r["status"]), frozenset()):
            target = str(old["status"])
        if old is not None and old["status"] != target:
            moves.append((int(old["id"]), str(old["status"]), target, at))
        counts["cards_new" if old is None else "cards_updated"] += 1
        issued = target in ("issued", "temp_lost", "lost") and bool(r["issue_date"])
        card_records.append(
            {
                "card_number": number,
                "person_id": ids[str(r["ssn"]).upper()],
                "bank": r["bank"],
                "status": target,
                "pin_locked": pin_locked,
                "social_active": social if old is None else max(social, int(old["social_active"])),
                "issue_date": r["issue_date"],
                "expiry_date": r["expiry_date"],
                "issued_at": (old["issued_at"] if old is not None and old["issued_at"] else "")
                or (str(r["issue_date"]) if issued else ""),
                "spec_version": r["spec_version"],
                "source": SOURCE if old is None else old["source"],
                "catalogue_version": version,
                "created_at": at if old is None else old["created_at"],
                "updated_at": at,
            }
        )
    if card_records:
        db.table("cards").upsert_all(card_records, pk="card_number", batch_size=200)
    if moves:
        conn.executemany(
            "INSERT INTO card_moves(card_id, from_status, to_status, at) VALUES (?, ?, ?, ?)", moves
        )
    return counts


def on_roster_refresh(conn: sqlite3.Connection, update: Any, at: str) -> str:
    """Downlink `roster_refresh` {version}: many holders changed at once; the next sync downloads a
    new area snapshot (`sync.roster`, setting 'roster_pending') instead of one delta per holder."""
    version = int(update.payload["version"])
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?, '1') ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (PENDING_KEY,),
    )
    return f"卡管系统名册已批量更新（版本 {version}），下次同步时下载本片区新名册"


def on_roster_holder(conn: sqlite3.Connection, update: Any, at: str) -> str:
    """Downlink `roster_holder` {rows}: a new holder or a change made elsewhere (catalogue delta)."""
    from offline.lifecycle import CARD_MACHINE

    rows = [dict(r) for r in update.payload["rows"]]
    if not rows:
        raise ValueError("rows is empty")
    counts = apply_rows(conn, rows, at)
    name = str(rows[0]["name"])
    what = "新持卡人" if counts["persons_new"] and not counts["persons_updated"] else "持卡人信息更新"
    cards = []
    for r in rows:
        if r.get("card_number"):
            state = conn.execute(
                "SELECT status FROM cards WHERE card_number = ?", (str(r["card_number"]).upper(),)
            ).fetchone()
            if state is not None:
                cards.append(f"卡号 {r['card_number']}：{CARD_MACHINE.label(str(state[0]))}")
    if not any(counts[k] for k in ("persons_new", "persons_updated", "cards_new", "cards_updated")):
        return f"名册：{name} 已是最新"
    status = str(rows[0].get("person_status") or "active")
    tail = "（人员已死亡，停止办理）" if status == "deceased" else ""
    return f"名册：{what} {name}{tail}；" + "；".join(cards)
