"""Intake of one envelope: verify, open, dedupe, store with its acknowledgement, act on it.

Everything for one envelope happens in one write transaction: the envelope row, its
signed acknowledgement, the business effect (application rows, downlink updates) and the
counter. On SQLite that is BEGIN IMMEDIATE; on PostgreSQL it holds the station's lock from the
start and the production and catalogue locks from the business step on (sync/gateway/pgdb.py). A repeat of a stored envelope returns the stored acknowledgement unchanged; the
same id from the same station with other content is a conflict (ids are scoped per station:
another station's envelope never conflicts); a sequence number already bound to another id is
a replay. A replay's refusal carries the station's highest stored sequence number, signed like an
acknowledgement (`seq_floor`): a station restored from a backup on a new machine learns from it
where its numbering must continue, and renumbers its unsent envelopes instead of losing them.
Every refusal is counted in `events` under its reason code (GET /v1/stats).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sync.envelope import EnvelopeError, open_envelope, parse
from sync.gateway import blobs, catalogue, flows, messages, walkins
from sync.gateway.db import Conn, GatewayStore, Lock, hold
from sync.gateway.keyring import Keyring
from sync.gateway.production import add_update, card_numbers
from sync.wire import Reason, UploadStatus

ACCEPTED, DUPLICATE, CONFLICT, REJECTED = (
    UploadStatus.ACKED,
    UploadStatus.DUPLICATE,
    UploadStatus.CONFLICT,
    UploadStatus.REJECTED,
)


@dataclass
class IntakeConfig:
    production_days: float = 5.0
    max_envelope: int = 8 * 1024 * 1024


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def process(
    db: GatewayStore, keyring: Keyring, data: bytes, now: datetime, config: IntakeConfig
) -> dict[str, Any]:
    """Result dict: envelope_id, status, and ack (acked/duplicate) or code (conflict/rejected)."""
    at = _iso(now)
    eid = ""
    station = ""
    try:
        parsed = parse(data)
        eid, station = parsed.header.envelope_id, parsed.header.station_id
    except EnvelopeError as exc:
        with db.write() as conn:
            db.count_event(conn, exc.code, at, detail=exc.detail)
        return {"envelope_id": eid, "status": REJECTED, "code": exc.code}
    sealed_digest = hashlib.sha256(data).hexdigest()
    # The station's lock: its existing-envelope and seq checks see every earlier upload of it; other
    # stations go on in parallel. The unique keys stay the guarantee (see sync/gateway/pgdb.py).
    with db.write(Lock.station(station)) as conn:
        existing = conn.execute(
            "SELECT * FROM envelopes WHERE station_id = ? AND envelope_id = ?", (station, eid)
        ).fetchone()
        if existing is not None and existing["sealed_digest"] == sealed_digest:
            db.count_event(conn, "duplicate", at, station_id=station, envelope_id=eid)
            return {"envelope_id": eid, "status": DUPLICATE, "ack": existing["ack"]}
        try:
            opened = open_envelope(
                data,
                station_keys=keyring.station_keys,
                server_keys=keyring.server_key,
                now=now,
                max_size=config.max_envelope,
            )
        except EnvelopeError as exc:
            db.count_event(conn, exc.code, at, station_id=station, envelope_id=eid, detail=exc.detail)
            return {"envelope_id": eid, "status": REJECTED, "code": exc.code}
        h = opened.header
        plain_digest = hashlib.sha256(opened.payload).hexdigest()
        if existing is not None:
            if existing["plain_digest"] == plain_digest:  # re-sealed (key rotation), same content
                db.count_event(conn, "duplicate", at, station_id=station, envelope_id=eid)
                return {"envelope_id": eid, "status": DUPLICATE, "ack": existing["ack"]}
            db.count_event(conn, "conflict", at, station_id=station, envelope_id=eid)
            return {"envelope_id": eid, "status": CONFLICT, "code": Reason.CONFLICT}
        other = conn.execute(
            "SELECT envelope_id FROM envelopes WHERE station_id = ? AND seq = ?", (h.station_id, h.seq)
        ).fetchone()
        if other is not None:
            db.count_event(conn, "replayed", at, station_id=station, envelope_id=eid, detail=f"seq {h.seq}")
            return {
                "envelope_id": eid,
                "status": REJECTED,
                "code": Reason.REPLAYED,
                "seq_floor": _seq_floor(conn, keyring, eid, h.station_id),
            }
        ack = json.dumps(
            keyring.downlink().sign(
                {
                    "envelope_id": eid,
                    "station_id": h.station_id,
                    "seq": h.seq,
                    "received_at": at,
                }
            ),
            sort_keys=True,
            separators=(",", ":"),
        )
        conn.execute(
            "INSERT INTO envelopes(envelope_id, station_id, seq, kind, sealed_digest, plain_digest, size, sealed,"
            " payload, received_at, ack) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                eid,
                h.station_id,
                h.seq,
                h.kind,
                sealed_digest,
                plain_digest,
                len(data),
                data,
                opened.payload,
                at,
                ack,
            ),
        )
        blobs.discard(conn, h.station_id, eid)
        db.count_event(conn, "accepted", at, station_id=station, envelope_id=eid)
        if h.kind == "business":
            _act_on_business(conn, h.station_id, opened.payload, now, config)
        return {"envelope_id": eid, "status": ACCEPTED, "ack": ack}


def _seq_floor(conn: Conn, keyring: Keyring, envelope_id: str, station_id: str) -> str:
    """The station's highest stored sequence number, signed and bound to the refused envelope."""
    row = conn.execute("SELECT MAX(seq) FROM envelopes WHERE station_id = ?", (station_id,)).fetchone()
    body = {"envelope_id": envelope_id, "station_id": station_id, "max_seq": int(row[0] or 0)}
    return json.dumps(keyring.downlink().sign(body), sort_keys=True, separators=(",", ":"))


def _act_on_business(
    conn: Conn, station_id: str, payload: bytes, now: datetime, config: IntakeConfig
) -> None:
    """What the card management system does with a business record (reference behaviour)."""
    try:
        record = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return  # stored as received; nothing to act on
    if not isinstance(record, dict):
        return
    # Applications, card numbers and the catalogue version are shared by every station: taken
    # here, after the decryption and the ack, in rank order for everything below.
    hold(conn, Lock.PRODUCTION, Lock.CATALOGUE)
    item = record.get("item")
    details = record.get("details") if isinstance(record.get("details"), dict) else {}
    assert isinstance(details, dict)
    receipt_no = str(record.get("receipt_no", ""))
    ssn = str(details.get("ssn", "")).upper()
    if details.get("walkin"):  # a holder the station did not know: the catalogue checks first
        walkins.resolve(
            conn,
            station_id,
            record,
            _iso(now),
            lambda s, bank: _application(conn, station_id, receipt_no, s, "replace", bank, now, config),
        )
        return
    catalogue.on_business(conn, station_id, record, _iso(now))
    if item in ("apply", "replace") or flows.is_key_info_exchange(item, details):
        old_ssn = flows.old_ssn_of(details)
        if old_ssn:  # HB 25 / HN 16: the card under the old number is exchanged for one under the new
            conn.execute(
                "UPDATE applications SET state = 'replaced' WHERE ssn = ? AND state IN"
                " ('accepted', 'produced', 'shipped')",
                (old_ssn,),
            )
        kind = "apply" if item == "apply" else "replace"
        _application(conn, station_id, receipt_no, ssn, kind, str(details.get("bank", "")), now, config)
        return
    if item == "card_in_hand":  # R-HLD-3: a card in hand, checked against the catalogue
        from sync.gateway import card_in_hand

        card_in_hand.act(conn, station_id, record, now)
    elif item == "cancel" and ssn:
        conn.execute(
            "UPDATE applications SET state = 'cancelled' WHERE ssn = ? AND state IN"
            " ('accepted', 'produced', 'shipped')",
            (ssn,),
        )
    flows.act_on_business(
        conn, station_id, str(item), receipt_no, details, now, demo=config.production_days == 0
    )


def _application(
    conn: Conn,
    station_id: str,
    receipt_no: str,
    ssn: str,
    item: str,
    bank: str,
    now: datetime,
    config: IntakeConfig,
) -> None:
    at = _iso(now)
    if conn.execute("SELECT 1 FROM applications WHERE receipt_no = ?", (receipt_no,)).fetchone():
        return
    if not ssn:
        _result(conn, station_id, receipt_no, accepted=False, reason=messages.NO_SSN, at=at)
        return
    if item == "apply":
        clash = conn.execute(
            "SELECT receipt_no FROM applications WHERE ssn = ? AND state IN"
            " ('accepted', 'produced', 'shipped') LIMIT 1",
            (ssn,),
        ).fetchone()
        if clash is not None:
            conn.execute(
                "INSERT INTO applications(receipt_no, station_id, ssn, item, state, received_at, reason)"
                " VALUES (?, ?, ?, ?, 'rejected', ?, ?)",
                (
                    receipt_no,
                    station_id,
                    ssn,
                    item,
                    at,
                    messages.ONE_CARD_OTHER.format(receipt_no=clash["receipt_no"]),
                ),
            )
            _result(
                conn,
                station_id,
                receipt_no,
                accepted=False,
                reason=messages.ONE_CARD_OTHER.format(receipt_no=clash["receipt_no"]),
                at=at,
            )
            return
    else:  # replacement: the old card/application ends, the new one takes its place
        conn.execute(
            "UPDATE applications SET state = 'replaced' WHERE ssn = ? AND state IN"
            " ('accepted', 'produced', 'shipped')",
            (ssn,),
        )
    produce = now + timedelta(days=config.production_days)
    ship = produce + timedelta(days=min(1.0, config.production_days))
    card_number, card_id_code = card_numbers(conn, station_id)
    conn.execute(
        "INSERT INTO applications(receipt_no, station_id, ssn, item, state, received_at, produce_at, ship_at, bank,"
        " card_number, card_id_code) VALUES (?, ?, ?, ?, 'accepted', ?, ?, ?, ?, ?, ?)",
        (receipt_no, station_id, ssn, item, at, _iso(produce), _iso(ship), bank, card_number, card_id_code),
    )
    _result(conn, station_id, receipt_no, accepted=True, reason=messages.ACCEPTED, at=at)


def _result(conn: Conn, station_id: str, receipt_no: str, *, accepted: bool, reason: str, at: str) -> None:
    add_update(
        conn,
        station_id,
        f"result-{receipt_no}",
        "application_result",
        {"receipt_no": receipt_no, "accepted": accepted, "reason": reason},
        at,
    )
