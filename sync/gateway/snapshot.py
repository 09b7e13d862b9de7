"""The area roster snapshot a station downloads at enrolment: one compressed, signed, resumable file.

Why one file and not the downlink: a township's 50,000 holders as downlink updates would be
50,000 signed JSON documents fetched 50 at a time at 600 ms round trips; as one xz stream it is
a few MB fetched in ranges, each range a single request, and a dropped link resumes at the byte
it reached (`GET /v1/roster/snapshot/{id}?offset=N&length=M`).

Format (version 1): xz (LZMA2) of UTF-8 text. The first line is a JSON header
`{"format": "cardstation-roster-1", "fields": [...], "version": V, "rows": N, "area": [...]}`;
each further line is one row, the fields of `catalogue.ROW_FIELDS` joined by TAB (tabs and line
breaks inside values become spaces). To save bytes on a 64 kbit/s link, `doc_number` is empty when
it equals the SSN, `birth_date` and `sex` are empty when the SSN encodes them, and
`person_version` is empty when it equals `card_version`; the station restores them
(`offline.roster.decode_line`).

The meta document `GET /v1/roster/snapshot` is signed with the downlink key: station id, snapshot
id, catalogue version, rows, size and the SHA-256 of the compressed file; the station checks all
of them before it applies a byte. Deltas with a version above the snapshot's arrive afterwards on
the downlink (`roster_holder`).
"""

from __future__ import annotations

import hashlib
import json
import lzma
import secrets
import threading
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from offline.validation.ids import ssn_birth_and_sex
from sync.gateway import catalogue
from sync.gateway.db import GatewayStore, Lock
from sync.gateway.keyring import DownlinkSigner

FORMAT = "cardstation-roster-1"
_BUILDING: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()
MAX_RANGE = 1 << 20
XZ_PRESET = 6


def _clean(value: Any) -> str:
    return "" if value is None else str(value).replace("\t", " ").replace("\n", " ").replace("\r", " ")


def encode_row(r: dict[str, Any]) -> str:
    """One row as a TAB-joined line, leaving out what the SSN or the card version already say."""
    ssn = str(r["ssn"])
    try:
        birth, sex = ssn_birth_and_sex(ssn)
        birth_iso = birth.isoformat()
    except ValueError:
        birth_iso, sex = "", ""
    out = []
    for f in catalogue.ROW_FIELDS:
        v = _clean(r[f])
        if (
            (f == "doc_number" and v == ssn)
            or (f == "birth_date" and v == birth_iso)
            or (f == "sex" and v == sex)
            or (f == "person_version" and v == _clean(r["card_version"]))
        ):
            v = ""
        out.append(v)
    return "\t".join(out)


def build(
    db: GatewayStore, signer: DownlinkSigner, station_id: str, now: datetime, resume: str = ""
) -> dict[str, Any]:
    """The station's current snapshot meta (signed); builds a new file when the catalogue moved on.

    One build per station at a time: a station that timed out and asks again waits for the
    build in progress instead of starting a second one.
    """
    with _GUARD:
        lock = _BUILDING.setdefault(station_id, threading.Lock())
    with lock:
        return _build(db, signer, station_id, now, resume)


def _build(
    db: GatewayStore, signer: DownlinkSigner, station_id: str, now: datetime, resume: str
) -> dict[str, Any]:
    prefixes = catalogue.area_of(db, station_id)
    conn = db.connection()
    version = catalogue.current_version(conn)
    cols = "SELECT snapshot_id, version, rows, size, sha256, created_at FROM roster_snapshots"
    found = None
    if resume:  # a station half-way through a download keeps its file; deltas cover the rest
        found = db.one(f"{cols} WHERE station_id = ? AND snapshot_id = ?", (station_id, resume))
    if found is None:
        found = db.one(f"{cols} WHERE station_id = ? ORDER BY version DESC LIMIT 1", (station_id,))
        if found is not None and int(found["version"]) != version:
            found = None
    row: dict[str, Any] = dict(found) if found is not None else _write(db, station_id, prefixes, now)
    doc = {
        "format": FORMAT,
        "station_id": station_id,
        "snapshot_id": row["snapshot_id"],
        "version": int(row["version"]),
        "rows": int(row["rows"]),
        "size": int(row["size"]),
        "sha256": row["sha256"],
        "created_at": row["created_at"],
        "area": prefixes,
    }
    return signer.sign(doc)


def _write(db: GatewayStore, station_id: str, prefixes: list[str], now: datetime) -> dict[str, Any]:
    where, params = catalogue.area_where(prefixes)
    sql = (
        "SELECT h.*, h.version AS person_version, c.card_number, c.status, c.spec_version, c.bank,"
        " c.issue_date, c.expiry_date, c.version AS card_version"
        f" FROM holders h LEFT JOIN holder_cards c ON c.ssn = h.ssn WHERE {where}"
    )
    # One read transaction: the version, the count and the rows are of the same catalogue state
    # even while an import writes (a WAL reader / a REPEATABLE READ transaction sees one snapshot).
    with db.read() as conn:
        version = catalogue.current_version(conn)
        count = int(conn.execute(f"SELECT COUNT(*) FROM ({sql}) AS area_rows", params).fetchone()[0])
        header = {"format": FORMAT, "fields": list(catalogue.ROW_FIELDS), "version": version, "rows": count}
        comp = lzma.LZMACompressor(format=lzma.FORMAT_XZ, preset=XZ_PRESET)
        parts = [
            comp.compress((json.dumps({**header, "area": prefixes}, ensure_ascii=False) + "\n").encode())
        ]
        lines: list[str] = []
        for r in conn.execute(sql, params):
            lines.append(encode_row(dict(r)))
            if len(lines) >= 5000:
                parts.append(comp.compress(("\n".join(lines) + "\n").encode()))
                lines = []
        if lines:
            parts.append(comp.compress(("\n".join(lines) + "\n").encode()))
        parts.append(comp.flush())
    data = b"".join(parts)
    meta = {
        "snapshot_id": secrets.token_hex(16),
        "version": version,
        "rows": count,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "created_at": now.isoformat(timespec="seconds"),
    }
    with db.write(Lock.station(station_id)) as conn:
        # Keep the newest older one: a station may be half-way through it (resume).
        conn.execute(
            "DELETE FROM roster_snapshots WHERE station_id = ? AND snapshot_id NOT IN (SELECT snapshot_id"
            " FROM roster_snapshots WHERE station_id = ? ORDER BY version DESC LIMIT 1)",
            (station_id, station_id),
        )
        conn.execute(
            "INSERT INTO roster_snapshots(snapshot_id, station_id, version, rows, size, sha256, created_at, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                meta["snapshot_id"],
                station_id,
                version,
                count,
                meta["size"],
                meta["sha256"],
                meta["created_at"],
                data,
            ),
        )
    return meta


def chunk(db: GatewayStore, station_id: str, snapshot_id: str, offset: int, length: int) -> bytes | None:
    """Bytes [offset, offset+length) of the station's snapshot; None when it no longer exists.

    Read by range (SQLite incremental blob I/O, PostgreSQL substr): a county snapshot is tens of MB and is served in ranges.
    """
    row = db.one(
        "SELECT size FROM roster_snapshots WHERE snapshot_id = ? AND station_id = ?",
        (snapshot_id, station_id),
    )
    if row is None:
        return None
    start = min(offset, int(row["size"]))
    return db.blob_range(
        "roster_snapshots", "data", "snapshot_id", snapshot_id, start, min(length, int(row["size"]) - start)
    )


# --------------------------------------------------------------------------- HTTP (routes added in app.py)


async def meta_route(gateway: Any, request: Request) -> Response:
    who = await run_in_threadpool(gateway._authenticate, request, "-")
    if isinstance(who, Response):
        return who
    resume = request.query_params.get("resume", "")[:32]
    doc = await run_in_threadpool(
        build, gateway.db, gateway.keyring.downlink(), who[0], gateway.now(), resume
    )
    return JSONResponse(doc)


async def chunk_route(gateway: Any, request: Request) -> Response:
    who = await run_in_threadpool(gateway._authenticate, request, "-")
    if isinstance(who, Response):
        return who
    snapshot_id = str(request.path_params["snapshot_id"])
    if len(snapshot_id) != 32 or any(c not in "0123456789abcdef" for c in snapshot_id):
        raise ValueError("snapshot id must be 32 lowercase hex digits")
    offset = int(request.query_params.get("offset", "0"))
    length = min(MAX_RANGE, int(request.query_params.get("length", str(MAX_RANGE))))
    if offset < 0 or length <= 0:
        raise ValueError("bad range")
    data = await run_in_threadpool(chunk, gateway.db, who[0], snapshot_id, offset, length)
    if data is None:
        return JSONResponse(
            {"error": "gone", "detail": "snapshot replaced; fetch the meta again"}, status_code=410
        )
    return Response(data, media_type="application/octet-stream")
