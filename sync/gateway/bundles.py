"""The gateway's side of the sneakernet: take in an outbox bundle, write a station's return bundle.

No web stack here: a county office machine with the gateway's database imports a USB stick
directly. Every envelope still goes through `intake.process` — the same signature checks, the
same store-once-by-envelope-id — so a bundle imported twice, or imported and then also uploaded
online, is stored once and every repeat gets the stored acknowledgement.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sync.bundle import UPDATES_FORMAT, BundleError, read_outbox_bundle
from sync.gateway import intake, production
from sync.gateway.db import GatewayStore
from sync.gateway.keyring import Keyring

MSG_UNKNOWN_STATION = "数据包来自服务站 {station}，网关不认识该站或已停用：拒绝导入。"
MSG_UNKNOWN_KEY = "数据包用站点密钥 {kid} 签名，网关没有该站的这把密钥：拒绝导入。"


@dataclass(frozen=True)
class BundleIntake:
    station_id: str
    bundle_id: str
    counts: dict[str, int]
    codes: dict[str, int]


def import_outbox_bundle(
    db: GatewayStore, keyring: Keyring, config: intake.IntakeConfig, path: Path, now: datetime
) -> BundleIntake:
    """Check the manifest's station signature, then take in every envelope once."""
    bundle = read_outbox_bundle(path)
    keys = keyring.station_keys(bundle.station_id)
    if not keys or all(k.status == "revoked" for k in keys):
        raise BundleError(MSG_UNKNOWN_STATION.format(station=bundle.station_id))
    key = next((k for k in keys if k.key_id == bundle.key_id), None)
    if key is None:
        raise BundleError(MSG_UNKNOWN_KEY.format(kid=bundle.key_id))
    bundle.verify(key.public_key, key.suite)
    counts: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    for entry in sorted(bundle.entries, key=lambda e: (e.parent_id is not None, e.seq)):
        result = intake.process(db, keyring, entry.data, now, config)
        counts[str(result["status"])] += 1
        if result.get("code"):
            codes[str(result["code"])] += 1
    return BundleIntake(bundle.station_id, bundle.bundle_id, dict(counts), dict(codes))


def export_updates(db: GatewayStore, keyring: Keyring, station_id: str, now: datetime) -> dict[str, Any]:
    """Every acknowledgement of the station's envelopes and its downlink updates, signed as one file."""
    if keyring.station_keys(station_id) is None:
        raise BundleError(MSG_UNKNOWN_STATION.format(station=station_id))
    acks = [
        {"envelope_id": r["envelope_id"], "ack": r["ack"]}
        for r in db.query(
            "SELECT envelope_id, ack FROM envelopes WHERE station_id = ? ORDER BY seq", (station_id,)
        )
    ]
    updates: list[dict[str, Any]] = []
    cursor = ""
    signer = keyring.downlink()
    while True:
        page = production.updates_after(db, signer, station_id, cursor, 200, now)
        updates.extend(page["updates"])
        cursor = page["cursor"]
        if not page["more"] or not page["updates"]:
            break
    doc = {
        "format": UPDATES_FORMAT,
        "station_id": station_id,
        "created_at": now.isoformat(timespec="seconds"),
        "acks": acks,
        "updates": updates,
    }
    return signer.sign(doc)


def write_updates(doc: dict[str, Any], folder: Path, now: datetime) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"updates-{doc['station_id']}-{now:%Y%m%d-%H%M%S}.json"
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path
