"""The card-holder catalogue (持卡人名册) the card management system keeps, and its deltas.

Why a catalogue: nearly everyone who walks into a station already holds a card issued years ago,
often at a bank. The gateway therefore keeps every holder it knows — persons, their cards, card
status, bank, home region — loaded from a province extract (`sync.gateway.roster`) and kept
current by every business it accepts (`on_business`) and by status changes recorded at its own
side (`set_card_status`, `set_person_status`: a loss reported at the bank, a death).

Versions: every change takes the next value of one catalogue-wide counter (meta
'catalogue_version') and stamps it on the holder row and on the changed card. A station applies a
snapshot row or a delta only when its version is newer than what it holds, so a delta queued
before the station's snapshot was built, or delivered twice, never moves a card backwards.

Areas: a station serves region-code prefixes (`register-station --area 430121,430122`). A change
to a holder whose 参保地区划 starts with a prefix of a station is queued on that station's downlink
as one `roster_holder` update carrying the holder's full current rows (`holder_rows`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from offline.protocols import CardstationError
from sync.gateway.db import Conn, GatewayStore, Lock, hold
from sync.gateway.production import add_update

#: 卡状态 of the province extract → the catalogue's status code.
CARD_STATUS_CODES: dict[str, str] = {
    "正常": "normal",
    "临时挂失": "temp_lost",
    "正式挂失": "lost",
    "密码锁定": "pin_locked",
    "已注销": "cancelled",
    "制卡中": "producing",
    "待领取": "ready",
}
CARD_STATUS_LABELS: dict[str, str] = {v: k for k, v in CARD_STATUS_CODES.items()}
PERSON_STATUS_LABELS: dict[str, str] = {"active": "正常", "deceased": "死亡", "abroad": "出国（境）定居"}

PERSON_FIELDS = (
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
)
CARD_FIELDS = ("card_number", "status", "spec_version", "bank", "issue_date", "expiry_date")
#: A roster row as it travels (snapshot line, delta row): person + one card (card fields '' when none).
ROW_FIELDS = (*PERSON_FIELDS, *CARD_FIELDS, "person_version", "card_version")

VERSION_KEY = "catalogue_version"
DELTA_KIND = "roster_holder"
REFRESH_KIND = "roster_refresh"
#: An import changing more holders than this sends each station one `roster_refresh` (fetch a new
#: snapshot: tens of bytes per holder) instead of a signed JSON delta per holder (~1 KB each).
DELTA_LIMIT = 500


def current_version(conn: Conn) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (VERSION_KEY,)).fetchone()
    return 0 if row is None else int(row[0])


def _set_version(conn: Conn, version: int) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (VERSION_KEY, str(version)),
    )


# --------------------------------------------------------------------------- areas


def normalise_area(text: str) -> list[str]:
    """'430121, 430122' → ['430121', '430122']; ValueError naming the bad prefix (Chinese)."""
    out: list[str] = []
    for part in text.replace("，", ",").replace("、", ",").split(","):
        p = part.strip()
        if not p:
            continue
        if not (p.isascii() and p.isdigit() and 2 <= len(p) <= 12):
            raise ValueError(f"片区“{p}”不是行政区划代码前缀（2～12 位数字，例如 430121）")
        if p not in out:
            out.append(p)
    return out


def set_area(db: GatewayStore, station_id: str, prefixes: Sequence[str]) -> None:
    """The area a station serves (replaces what it served before)."""
    with db.write(Lock.station(station_id)) as conn:
        conn.execute("DELETE FROM station_areas WHERE station_id = ?", (station_id,))
        conn.executemany(
            "INSERT INTO station_areas(station_id, prefix) VALUES (?, ?)", [(station_id, p) for p in prefixes]
        )


def area_of(db: GatewayStore, station_id: str) -> list[str]:
    return [
        str(r[0])
        for r in db.query(
            "SELECT prefix FROM station_areas WHERE station_id = ? ORDER BY prefix", (station_id,)
        )
    ]


def stations_for_region(conn: Conn, region: str) -> list[str]:
    rows = conn.execute(
        "SELECT DISTINCT station_id FROM station_areas WHERE ? LIKE prefix || '%'", (region,)
    ).fetchall()
    return [str(r[0]) for r in rows]


def area_where(prefixes: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """SQL condition on holders.region for an area, as index-usable ranges (no LIKE)."""
    if not prefixes:
        return "1 = 0", ()  # false on both engines (PostgreSQL has no integer truth)
    parts = " OR ".join("(h.region >= ? AND h.region < ?)" for _ in prefixes)
    params: list[str] = []
    for p in prefixes:
        params += [p, p + "\uffff"]
    return f"({parts})", tuple(params)


# --------------------------------------------------------------------------- upserts


def upsert_holder(conn: Conn, person: dict[str, str], at: str, version: int) -> bool:
    """Insert or update one holder; True when anything changed (the version is then `version`)."""
    cols = [f for f in PERSON_FIELDS if f in person]
    changed = " OR ".join(f"holders.{c} IS DISTINCT FROM excluded.{c}" for c in cols if c != "ssn")
    cur = conn.execute(
        f"INSERT INTO holders({', '.join(cols)}, version, updated_at) VALUES ({', '.join('?' for _ in cols)}, ?, ?)"
        f" ON CONFLICT(ssn) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in cols if c != 'ssn')},"
        f" version = excluded.version, updated_at = excluded.updated_at WHERE {changed}",
        (*(person[c] for c in cols), version, at),
    )
    return cur.rowcount > 0


def upsert_card(conn: Conn, card: dict[str, str], at: str, version: int) -> bool:
    cols = ["card_number", "ssn", *(f for f in CARD_FIELDS[1:] if f in card)]
    changed = " OR ".join(
        f"holder_cards.{c} IS DISTINCT FROM excluded.{c}" for c in cols if c != "card_number"
    )
    cur = conn.execute(
        f"INSERT INTO holder_cards({', '.join(cols)}, version, updated_at)"
        f" VALUES ({', '.join('?' for _ in cols)}, ?, ?)"
        f" ON CONFLICT(card_number) DO UPDATE SET"
        f" {', '.join(f'{c} = excluded.{c}' for c in cols if c != 'card_number')},"
        f" version = excluded.version, updated_at = excluded.updated_at WHERE {changed}",
        (*(card[c] for c in cols), version, at),
    )
    return cur.rowcount > 0


def move_card(conn: Conn, number: str, ssn: str, status: str, at: str, version: int) -> None:
    """A status change of a known card; the holder row takes the same version (it changed too)."""
    conn.execute(
        "UPDATE holder_cards SET status = ?, version = ?, updated_at = ? WHERE card_number = ?",
        (status, version, at, number),
    )
    conn.execute("UPDATE holders SET version = ?, updated_at = ? WHERE ssn = ?", (version, at, ssn))


def holder_rows(conn: Conn, ssn: str) -> list[dict[str, Any]]:
    """The holder's current rows (one per card, or one with empty card fields) as they travel."""
    rows = conn.execute(
        "SELECT h.*, h.version AS person_version, c.card_number, c.status, c.spec_version, c.bank,"
        " c.issue_date, c.expiry_date, c.version AS card_version"
        " FROM holders h LEFT JOIN holder_cards c ON c.ssn = h.ssn WHERE h.ssn = ? ORDER BY c.version",
        (ssn,),
    ).fetchall()
    return [{f: ("" if r[f] is None else r[f]) for f in ROW_FIELDS} for r in rows]


def publish(conn: Conn, ssns: Iterable[str], at: str, *, skip_station: str = "") -> int:
    """Queue a `roster_holder` delta of each holder for every station whose area covers it."""
    added = 0
    for ssn in ssns:
        rows = holder_rows(conn, ssn)
        if not rows:
            continue
        version = max(max(int(r["person_version"]), int(r["card_version"] or 0)) for r in rows)
        for station_id in stations_for_region(conn, str(rows[0]["region"])):
            if station_id == skip_station:
                continue
            add_update(
                conn, station_id, f"roster-{ssn}-{version}-{station_id}", DELTA_KIND, {"rows": rows}, at
            )
            added += 1
    return added


def publish_refresh(db: GatewayStore, at: str) -> int:
    """Tell every station with an area to download a new snapshot (after a large import)."""
    with db.write(Lock.CATALOGUE) as conn:
        version = current_version(conn)
        stations = [str(r[0]) for r in conn.execute("SELECT DISTINCT station_id FROM station_areas")]
        for station_id in stations:
            add_update(
                conn, station_id, f"refresh-{version}-{station_id}", REFRESH_KIND, {"version": version}, at
            )
    return len(stations)


def next_version(conn: Conn) -> int:
    """The next catalogue version, under `Lock.CATALOGUE`: handed out in commit order, no gaps."""
    hold(conn, Lock.CATALOGUE)
    v = current_version(conn) + 1
    _set_version(conn, v)
    return v


# --------------------------------------------------------------------------- changes at the gateway's side


class CatalogueError(CardstationError):
    """A change the catalogue cannot make; `str()` is Chinese and says what to do."""


def set_card_status(db: GatewayStore, card_number: str, label_or_code: str, at: str) -> dict[str, Any]:
    """Record a card status change made at the province's side (e.g. a loss at the bank)."""
    status = CARD_STATUS_CODES.get(label_or_code.strip(), label_or_code.strip())
    if status not in CARD_STATUS_LABELS:
        raise CatalogueError(f"卡状态“{label_or_code}”无效，应为：{'、'.join(CARD_STATUS_CODES)}之一")
    number = card_number.strip().upper()
    with db.write(Lock.CATALOGUE) as conn:
        card = conn.execute("SELECT * FROM holder_cards WHERE card_number = ?", (number,)).fetchone()
        if card is None:
            raise CatalogueError(f"名册中没有卡号“{number}”，请核对卡号或先导入名册")
        version = next_version(conn)
        move_card(conn, number, str(card["ssn"]), status, at, version)
        sent = publish(conn, [str(card["ssn"])], at)
    return {"card_number": number, "ssn": card["ssn"], "status": status, "version": version, "stations": sent}


def set_person_status(db: GatewayStore, ssn: str, status: str, at: str) -> dict[str, Any]:
    """A death or emigration recorded at the province's side (stations stop serving the person)."""
    code = {v: k for k, v in PERSON_STATUS_LABELS.items()}.get(status.strip(), status.strip())
    if code not in PERSON_STATUS_LABELS:
        raise CatalogueError(f"人员状态“{status}”无效，应为：{'、'.join(PERSON_STATUS_LABELS.values())}之一")
    key = ssn.strip().upper()
    with db.write(Lock.CATALOGUE) as conn:
        if conn.execute("SELECT 1 FROM holders WHERE ssn = ?", (key,)).fetchone() is None:
            raise CatalogueError(f"名册中没有社会保障号码“{key}”的人员")
        version = next_version(conn)
        conn.execute(
            "UPDATE holders SET person_status = ?, version = ?, updated_at = ? WHERE ssn = ?",
            (code, version, at, key),
        )
        sent = publish(conn, [key], at)
    return {"ssn": key, "person_status": code, "version": version, "stations": sent}


# --------------------------------------------------------------------------- businesses the gateway accepts

#: Business item → the card status the catalogue records for the card named in its details.
ITEM_CARD_STATUS = {
    "temp_loss": "temp_lost",
    "formal_loss": "lost",
    "lift_loss": "normal",
    "cancel": "cancelled",
    "issue": "normal",
    "pin_unlock": "normal",
    "pin_reset": "normal",
}


def on_business(conn: Conn, station_id: str, record: dict[str, Any], at: str) -> None:
    """Every business the gateway accepts updates the catalogue (reference behaviour).

    A card status business moves the named card; the change goes to the other stations of the
    holder's area (the originating station has it already).
    """
    item = str(record.get("item", ""))
    details = record.get("details") if isinstance(record.get("details"), dict) else {}
    assert isinstance(details, dict)
    if item == "apply" and isinstance(details.get("person"), dict):
        _new_holder(conn, station_id, str(details.get("ssn", "")).upper(), details["person"], at)
        return
    if item == "transfer" and str(details.get("new_region", "")).isdigit():
        _transfer(conn, station_id, str(details.get("ssn", "")).upper(), str(details["new_region"]), at)
        return
    if item == "info_change" and isinstance(details.get("changes"), dict):
        _info_change(conn, station_id, str(details.get("ssn", "")).upper(), details["changes"], at)
        return
    target = ITEM_CARD_STATUS.get(item)
    number = str(details.get("card_number", "")).upper()
    if target is None or not number:
        return
    card = conn.execute("SELECT ssn, status FROM holder_cards WHERE card_number = ?", (number,)).fetchone()
    if card is None or card["status"] == target:
        return
    version = next_version(conn)
    move_card(conn, number, str(card["ssn"]), target, at, version)
    publish(conn, [str(card["ssn"])], at, skip_station=station_id)


def _new_holder(conn: Conn, station_id: str, ssn: str, person: dict[str, Any], at: str) -> None:
    """A first-time applicant becomes known to the catalogue (its card follows when produced).

    Home region: the station's own (the first six digits of its service point), where the
    applicant is insured; the province extract corrects it on its next import.
    """
    if not ssn or conn.execute("SELECT 1 FROM holders WHERE ssn = ?", (ssn,)).fetchone() is not None:
        return
    region = station_id[:6] if station_id[:6].isdigit() else ""
    row = {
        "ssn": ssn,
        "name": str(person.get("name", "")),
        "sex": str(person.get("sex", "")),
        "ethnicity": str(person.get("ethnicity", "")),
        "birth_date": str(person.get("birth_date", "")),
        "doc_type": str(person.get("doc_type", "")),
        "doc_number": str(person.get("doc_number", "")).upper() or ssn,
        "phone": str(person.get("phone", "")),
        "address": str(person.get("residence_address", "")),
        "region": region,
    }
    if not row["name"] or not region:
        return
    try:
        from offline.validation.ids import ssn_birth_and_sex

        birth, sex = ssn_birth_and_sex(ssn)
        row["birth_date"] = row["birth_date"] or birth.isoformat()
        row["sex"] = row["sex"] or sex
    except ValueError:
        pass
    upsert_holder(conn, row, at, next_version(conn))


#: Station person columns an information change may carry → catalogue holder columns.
INFO_FIELDS = {"phone": "phone", "residence_address": "address", "ethnicity": "ethnicity"}


def _info_change(conn: Conn, station_id: str, ssn: str, changes: dict[str, Any], at: str) -> None:
    """A non-key information change (R-INFO-2) at one station reaches the holder's other stations."""
    sets = {
        INFO_FIELDS[k]: str(v.get("new", ""))
        for k, v in changes.items()
        if k in INFO_FIELDS and isinstance(v, dict)
    }
    if not sets or conn.execute("SELECT 1 FROM holders WHERE ssn = ?", (ssn,)).fetchone() is None:
        return
    version = next_version(conn)
    cols = ", ".join(f"{c} = ?" for c in sets)
    conn.execute(
        f"UPDATE holders SET {cols}, version = ?, updated_at = ? WHERE ssn = ?",
        (*sets.values(), version, at, ssn),
    )
    publish(conn, [ssn], at, skip_station=station_id)


def _transfer(conn: Conn, station_id: str, ssn: str, region: str, at: str) -> None:
    """归属地转移 (R-TRF-1): the holder moves to the stations of the new region (and stays known to
    the old area's stations, which receive the change too)."""
    old = conn.execute("SELECT region FROM holders WHERE ssn = ?", (ssn,)).fetchone()
    if old is None or old["region"] == region:
        return
    version = next_version(conn)
    conn.execute(
        "UPDATE holders SET region = ?, version = ?, updated_at = ? WHERE ssn = ?", (region, version, at, ssn)
    )
    rows = holder_rows(conn, ssn)
    targets = set(stations_for_region(conn, region)) | set(stations_for_region(conn, str(old["region"])))
    for target in sorted(targets - {station_id}):
        add_update(conn, target, f"roster-{ssn}-{version}-{target}", DELTA_KIND, {"rows": rows}, at)


def on_card_produced(conn: Conn, station_id: str, ssn: str, card: dict[str, str], at: str) -> None:
    """A card produced for an application: known to the catalogue, and to the holder's other stations."""
    if conn.execute("SELECT 1 FROM holders WHERE ssn = ?", (ssn,)).fetchone() is None:
        return  # a first-time applicant: the catalogue learns the person from the province extract
    version = next_version(conn)
    if upsert_card(conn, {**card, "ssn": ssn, "status": "producing"}, at, version):
        conn.execute("UPDATE holders SET version = ?, updated_at = ? WHERE ssn = ?", (version, at, ssn))
        publish(conn, [ssn], at, skip_station=station_id)
