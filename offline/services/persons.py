"""Persons: create-or-update from a form, photos, and the look-ups every person-side service uses.

A person is keyed by the social security number (R-ID-3). For a mainland resident ID the number
*is* the SSN; for the other document types of R-ID-1 the card management system assigns the SSN
from the document number, so the station stores the document number, upper-cased, as the key.

The helpers here run inside the caller's transaction (`conn`) when they write, and through
`store` when they read: `Store.query` uses the same per-thread connection, so a read inside
`store.write()` sees the transaction's own rows and holds the IMMEDIATE lock.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from offline.errors import Problem
from offline.lifecycle import CARD_MACHINE, OPEN_APPLICATION_STATES, VALID_CARD_STATES
from offline.store import Store

if TYPE_CHECKING:
    from offline.validation import PersonInput

#: Surnames whose reading differs from the character's common reading (best effort, R-APP-1 search).
SURNAME_INITIALS: dict[str, str] = {
    "单": "s",  # Shàn
    "曾": "z",  # Zēng
    "仇": "q",  # Qiú
    "解": "x",  # Xiè
    "区": "o",  # Ōu
    "朴": "p",  # Piáo
    "查": "z",  # Zhā
    "乐": "y",  # Yuè
    "尉": "y",  # Yù
    "盖": "g",  # Gě
    "缪": "m",  # Miào
    "翟": "z",  # Zhái
    "覃": "q",  # Qín
    "召": "s",  # Shào
    "种": "c",  # Chóng
    "祭": "z",  # Zhài
    "秘": "b",  # Bì
    "长孙": "zs",
    "尉迟": "yc",
    "万俟": "mq",
}

#: Person statuses (persons.status) with what the operator reads.
PERSON_STATUS_LABELS = {
    "active": "正常",
    "deceased": "已死亡",
    "abroad": "出国（境）定居",
    "closed": "已终止社保关系",
}


def name_initials(name: str) -> str:
    """Lower-case pinyin first letters of a name (张三丰 → 'zsf'), for the initials search.

    Polyphonic surnames are resolved from a small table (单 → 's', 曾 → 'z' ...); other
    characters use pypinyin's most common reading. Non-Chinese letters are kept, other
    characters (·, spaces) dropped.
    """
    from pypinyin import Style, lazy_pinyin

    name = name.strip()
    prefix = ""
    for surname in sorted(SURNAME_INITIALS, key=len, reverse=True):
        if name.startswith(surname):
            prefix, name = SURNAME_INITIALS[surname], name[len(surname) :]
            break
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
    out = "".join(ch for part in letters for ch in part[:1] if ch.isascii() and ch.isalnum())
    return (prefix + out).lower()


def iso(value: date | str | None) -> str:
    """A date field as stored: ISO text; '' (or '长期') for 'no end'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return "" if text in ("", "长期") else text


def ssn_of(person: PersonInput) -> str:
    """The key of a person: the normalised document number (see module docstring)."""
    from offline.validation.documents import normalize_doc_number

    return normalize_doc_number(person.doc_type, person.doc_number)


def birth_and_sex(person: PersonInput) -> tuple[str, str]:
    """Birth date and sex as stored: derived from a citizen number when it carries them (R-ID-3)."""
    from offline import codes
    from offline.validation import ssn_birth_and_sex

    if person.doc_type in codes.CITIZEN_NUMBER_DOCS:
        try:
            birth, sex = ssn_birth_and_sex(ssn_of(person))
            return birth.isoformat(), sex
        except ValueError:
            pass
    return iso(person.birth_date), person.sex


@dataclass(frozen=True)
class PersonRecord:
    """A persons row as the services read it."""

    id: int
    ssn: str
    name: str
    name_initials: str
    name_rare: bool
    sex: str
    ethnicity: str
    nationality: str
    birth_date: str
    occupation: str
    doc_type: str
    doc_number: str
    doc_valid_from: str
    doc_valid_to: str
    household_address: str
    residence_address: str
    mailing_address: str
    phone: str
    region: str
    status: str
    created_at: str
    updated_at: str

    @property
    def status_label(self) -> str:
        return PERSON_STATUS_LABELS.get(self.status, self.status)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> PersonRecord:
        data: dict[str, Any] = {k: row[k] for k in cls.__dataclass_fields__}
        data["name_rare"] = bool(data["name_rare"])
        return cls(**data)


@dataclass(frozen=True)
class CardRecord:
    """A cards row as the services read it."""

    id: int
    person_id: int
    application_id: int | None
    card_number: str
    bank: str
    status: str
    cartoon: bool
    issue_date: str
    expiry_date: str
    issued_at: str

    @property
    def status_label(self) -> str:
        return CARD_MACHINE.label(self.status)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> CardRecord:
        return cls(
            id=row["id"],
            person_id=row["person_id"],
            application_id=row["application_id"],
            card_number=row["card_number"],
            bank=row["bank"],
            status=row["status"],
            cartoon=bool(row["cartoon"]),
            issue_date=row["issue_date"],
            expiry_date=row["expiry_date"],
            issued_at=row["issued_at"],
        )


# --------------------------------------------------------------------------- look-ups


def find_person(store: Store, person_id: int) -> PersonRecord | None:
    row = store.one("SELECT * FROM persons WHERE id = ?", (person_id,))
    return None if row is None else PersonRecord.from_row(row)


def find_person_by_ssn(store: Store, ssn: str) -> PersonRecord | None:
    row = store.one("SELECT * FROM persons WHERE ssn = ?", (ssn.strip().upper(),))
    return None if row is None else PersonRecord.from_row(row)


def find_card(store: Store, card_number: str) -> CardRecord | None:
    row = store.one("SELECT * FROM cards WHERE card_number = ?", (card_number.strip().upper(),))
    return None if row is None else CardRecord.from_row(row)


def get_card(store: Store, card_id: int) -> CardRecord | None:
    row = store.one("SELECT * FROM cards WHERE id = ?", (card_id,))
    return None if row is None else CardRecord.from_row(row)


def person_cards(store: Store, person_id: int) -> list[CardRecord]:
    rows = store.query("SELECT * FROM cards WHERE person_id = ? ORDER BY id", (person_id,))
    return [CardRecord.from_row(r) for r in rows]


def valid_cards(store: Store, person_id: int) -> list[CardRecord]:
    """Cards that count for one person one card (R-APP-3)."""
    return [c for c in person_cards(store, person_id) if c.status in VALID_CARD_STATES]


@dataclass(frozen=True)
class OpenApplication:
    id: int
    kind: str
    status: str
    receipt_no: str
    replaces_card_id: int | None


def open_applications(store: Store, person_id: int) -> list[OpenApplication]:
    """Applications still in flight (R-APP-3), with the receipt that names them to the operator."""
    marks = ",".join("?" * len(OPEN_APPLICATION_STATES))
    rows = store.query(
        "SELECT a.id, a.kind, a.status, a.replaces_card_id, b.receipt_no FROM applications a"
        f" JOIN businesses b ON b.id = a.business_id WHERE a.person_id = ? AND a.status IN ({marks})"
        " ORDER BY a.id",
        (person_id, *sorted(OPEN_APPLICATION_STATES)),
    )
    return [
        OpenApplication(r["id"], r["kind"], r["status"], r["receipt_no"], r["replaces_card_id"]) for r in rows
    ]


def one_card_problems(store: Store, person_id: int, *, replacing_card_id: int | None = None) -> list[Problem]:
    """R-APP-3 one person, one card: name the card or receipt that is in the way.

    `replacing_card_id` is the card an exchange replaces: it stays valid until the new card is
    issued (issuance cancels it), so it does not block the exchange itself.
    """
    problems: list[Problem] = []
    for card in valid_cards(store, person_id):
        if card.id == replacing_card_id:
            continue
        problems.append(
            Problem(
                "ssn",
                "R-APP-3",
                f"此人已有有效社会保障卡（卡号 {card.card_number}，状态“{card.status_label}”），一人只能持一张卡",
                "如卡丢失请先正式挂失再办理补领；如需新卡请办理换领。",
                "社会保障号码",
            )
        )
    for app in open_applications(store, person_id):
        problems.append(
            Problem(
                "ssn",
                "R-APP-3",
                f"此人已有办理中的申领（受理编号 {app.receipt_no}），不能重复申领",
                "请用受理编号查询制卡进度，待领卡后再办理。",
                "社会保障号码",
            )
        )
    return problems


# --------------------------------------------------------------------------- writes


def upsert_person(conn: sqlite3.Connection, person: PersonInput, *, at: str, rare: bool = False) -> int:
    """Create the person, or update the stored data with what the form says now; returns the id.

    Status is not touched here (a service that may re-activate a person does so explicitly).
    """
    ssn = ssn_of(person)
    birth, sex = birth_and_sex(person)
    values = {
        "name": person.name.strip(),
        "name_initials": name_initials(person.name),
        "name_rare": int(rare),
        "sex": sex,
        "ethnicity": person.ethnicity,
        "nationality": person.nationality,
        "birth_date": birth,
        "occupation": person.occupation,
        "doc_type": person.doc_type,
        "doc_number": ssn,
        "doc_valid_from": iso(person.doc_valid_from),
        "doc_valid_to": iso(person.doc_valid_to),
        "household_address": person.household_address,
        "residence_address": person.residence_address,
        "phone": person.phone,
        "updated_at": at,
    }
    if person.mailing_address:
        values["mailing_address"] = person.mailing_address
    row = conn.execute("SELECT id FROM persons WHERE ssn = ?", (ssn,)).fetchone()
    if row is None:
        cols = ["ssn", *values, "created_at"]
        cur = conn.execute(
            f"INSERT INTO persons({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            (ssn, *values.values(), at),
        )
        person_id = int(cur.lastrowid or 0)
    else:
        person_id = int(row[0])
        sets = ", ".join(f"{k} = ?" for k in values)
        conn.execute(f"UPDATE persons SET {sets} WHERE id = ?", (*values.values(), person_id))
    if person.photo:
        store_photo(conn, person_id, person.photo, at=at)
    return person_id


def store_photo(conn: sqlite3.Connection, person_id: int, jpeg: bytes, *, at: str) -> str:
    """Keep the person's current photo (R-APP-2); returns its sha256."""
    digest = hashlib.sha256(jpeg).hexdigest()
    conn.execute(
        "INSERT INTO photos(person_id, jpeg, sha256, taken_at) VALUES (?, ?, ?, ?) ON CONFLICT(person_id)"
        " DO UPDATE SET jpeg = excluded.jpeg, sha256 = excluded.sha256, taken_at = excluded.taken_at",
        (person_id, jpeg, digest, at),
    )
    return digest


def insert_application(
    conn: sqlite3.Connection,
    *,
    person_id: int,
    business_id: int,
    kind: str,
    channel: str,
    mode: str,
    bank: str,
    at: str,
    route: str = "local",
    deadline: str = "",
    reason: str = "",
    replaces_card_id: int | None = None,
    mailing: bool = False,
    unit_name: str = "",
    status: str = "accepted",
) -> int:
    """One applications row (first / replace / exchange), status 'accepted' unless said otherwise."""
    cur = conn.execute(
        "INSERT INTO applications(person_id, business_id, kind, channel, mode, bank, status, route, deadline,"
        " reason, replaces_card_id, mailing, unit_name, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            person_id,
            business_id,
            kind,
            channel,
            mode,
            bank,
            status,
            route,
            deadline,
            reason,
            replaces_card_id,
            int(mailing),
            unit_name,
            at,
            at,
        ),
    )
    return int(cur.lastrowid or 0)


def age_years(birth: str | date, today: date) -> int:
    """Full years on `today` (a birthday on 29 Feb counts from 1 Mar in common years)."""
    b = birth if isinstance(birth, date) else date.fromisoformat(birth)
    return today.year - b.year - ((today.month, today.day) < (b.month, b.day))
