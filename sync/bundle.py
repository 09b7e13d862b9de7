"""Sneakernet: the outbox carried out on a USB stick, the acknowledgements carried back.

Why: a village may have no link for weeks. Its sealed envelopes are already safe to carry —
each is encrypted to the card management system (HPKE) and signed by the station — so a lost
stick reveals nothing. What is added here is only packaging and exactly-once bookkeeping:

- **Outbox bundle** (station → centre), `cardstation outbox export`: one zip file with
  `manifest.json` (station, key id, every pending envelope's id, sequence, kind and SHA-256) signed
  with the station's Ed25519 key (`manifest.sig`), and the envelopes (business records and their
  blobs) as they sit in the outbox. Exporting changes nothing in the outbox: the envelopes stay
  pending until their acknowledgements arrive, by the link or by the return bundle.
- It is uploaded by the gateway itself (`cardstation gateway import-bundle`) or by any other
  enrolled station with a link (`cardstation sync --upload-bundle`): the gateway checks each
  envelope's own signature and stores it once by envelope id, so uploading a bundle twice, or
  uploading it and then syncing online, stores nothing twice.
- **Updates bundle** (centre → station), `cardstation gateway export-updates`: the gateway's signed
  acknowledgements of the station's envelopes plus its downlink updates, the whole file signed
  with the downlink key. `cardstation sync --import-updates` checks that signature and every
  acknowledgement against the pinned downlink key, marks the envelopes acknowledged, and applies
  the updates through the same path as an online pull (once each, by update id).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from offline import outbox
from offline.protocols import CardstationError
from offline.store import Store
from sync.envelope import canonical_json
from sync.keys import KeySetError, downlink_key, load_identity, verify_signed
from sync.suite import b64, get_suite, unb64

OUTBOX_FORMAT = "cardstation-outbox-bundle/1"
UPDATES_FORMAT = "cardstation-updates-bundle/1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"

MSG_NOT_BUNDLE = "文件 {path} 不是服务站导出的数据包（{reason}）。请确认拷贝的是 cardstation outbox export 生成的 .csb 文件。"
MSG_BAD_SIGNATURE = "数据包 {path} 的签名不对（文件被改动或不是本系统生成）：拒绝处理。请重新导出。"
MSG_OTHER_STATION = "回执包 {path} 是给服务站 {theirs} 的，本站是 {ours}：拒绝导入。"
MSG_NOT_UPDATES = (
    "文件 {path} 不是卡管系统导出的回执包（{reason}）。请确认拷贝的是 gateway export-updates 生成的文件。"
)


class BundleError(CardstationError):
    """A bundle that cannot be used; the message is Chinese and says what to do."""


@dataclass(frozen=True)
class BundleEntry:
    envelope_id: str
    seq: int
    kind: str
    parent_id: str | None
    sha256: str
    data: bytes


@dataclass(frozen=True)
class OutboxBundle:
    station_id: str
    key_id: str
    created_at: str
    bundle_id: str
    entries: tuple[BundleEntry, ...]
    manifest: dict[str, Any]
    signature: bytes

    def verify(self, public_key: bytes, suite: int = 1) -> None:
        """The manifest is signed by this station key of its pinned suite (BundleError otherwise)."""
        try:
            get_suite(suite).verify(public_key, self.signature, canonical_json(self.manifest))
        except Exception as exc:
            raise BundleError(MSG_BAD_SIGNATURE.format(path=self.bundle_id)) from exc


@dataclass
class ExportReport:
    path: Path
    envelopes: int
    bytes: int
    first_seq: int | None
    last_seq: int | None


@dataclass
class ImportReport:
    """What a return (updates) bundle did at the station."""

    acked: int = 0
    already: int = 0
    unknown: int = 0
    updates_applied: int = 0
    updates_seen: int = 0
    outcomes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- station → centre


def export_outbox(store: Store, folder: Path, *, now: datetime) -> ExportReport:
    """Write the pending envelopes as one signed bundle in `folder` (nothing in the outbox changes)."""
    ident = load_identity(store)
    pending = outbox.entries(store, states=(outbox.PENDING, outbox.SENDING), limit=10_000_000)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    bundle_id = f"{ident.station_id}-{stamp}"
    manifest: dict[str, Any] = {
        "format": OUTBOX_FORMAT,
        "station_id": ident.station_id,
        "key_id": ident.key_id,
        "created_at": now.isoformat(timespec="seconds"),
        "bundle_id": bundle_id,
        "envelopes": [
            {
                "envelope_id": e.envelope_id,
                "seq": e.seq,
                "kind": e.kind,
                "parent_id": e.parent_id,
                "size": e.size,
                "sha256": hashlib.sha256(e.envelope).hexdigest(),
            }
            for e in pending
        ],
    }
    signature = get_suite(ident.suite).sign(ident.signing_key, canonical_json(manifest))
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"outbox-{bundle_id}.csb"
    partial = final.with_name(final.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as z:  # sealed data: no gain
        z.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        z.writestr(SIGNATURE, b64(signature))
        for e in pending:
            z.writestr(f"envelopes/{e.seq:09d}-{e.envelope_id}.env", e.envelope)
    _fsync(partial)
    partial.replace(final)
    seqs = [e.seq for e in pending]
    return ExportReport(
        final, len(pending), final.stat().st_size, min(seqs, default=None), max(seqs, default=None)
    )


def read_outbox_bundle(path: Path) -> OutboxBundle:
    """Parse a bundle and check every envelope against the manifest's digests (not the signature)."""
    try:
        with zipfile.ZipFile(path) as z:
            manifest = json.loads(z.read(MANIFEST))
            signature = unb64(z.read(SIGNATURE).decode().strip())
            if not isinstance(manifest, dict) or manifest.get("format") != OUTBOX_FORMAT:
                raise BundleError(MSG_NOT_BUNDLE.format(path=path, reason="格式标记不符"))
            entries = []
            for item in manifest["envelopes"]:
                data = z.read(f"envelopes/{int(item['seq']):09d}-{item['envelope_id']}.env")
                if hashlib.sha256(data).hexdigest() != item["sha256"]:
                    raise BundleError(MSG_BAD_SIGNATURE.format(path=path))
                entries.append(
                    BundleEntry(
                        str(item["envelope_id"]),
                        int(item["seq"]),
                        str(item["kind"]),
                        item.get("parent_id"),
                        str(item["sha256"]),
                        data,
                    )
                )
    except BundleError:
        raise
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise BundleError(MSG_NOT_BUNDLE.format(path=path, reason=type(exc).__name__)) from exc
    return OutboxBundle(
        str(manifest["station_id"]),
        str(manifest["key_id"]),
        str(manifest["created_at"]),
        str(manifest["bundle_id"]),
        tuple(entries),
        manifest,
        signature,
    )


def upload_bundle(store: Store, path: Path, *, url: str | None = None) -> dict[str, int]:
    """Upload another station's bundle through this station's link (the gateway checks each envelope).

    The acknowledgements are checked against this station's pinned downlink key (same centre) and
    counted; they reach the exporting station by its updates bundle or its own next sync.
    """
    from sync.client import GatewayClient
    from sync.engine import BLOB_PATH_MIN

    bundle = read_outbox_bundle(path)
    target = url or store.setting("sync_url")
    if not target:
        from sync import messages

        raise BundleError(messages.NO_URL)
    client = GatewayClient(target, downlink_public_key=downlink_key(store).public_key)
    counts = {"acked": 0, "duplicate": 0, "conflict": 0, "rejected": 0}
    try:
        entries = [_as_outbox_entry(e) for e in bundle.entries]
        small = [e for e in entries if e.size <= BLOB_PATH_MIN]
        for e in entries:
            if e.size > BLOB_PATH_MIN:
                # A relay is not the envelope's station, and a resumable blob upload belongs to the
                # station that began it (gateway: partials are bound to their station); so a large
                # envelope travels alone in a batch of one, which any station may send.
                for result in client.upload_batch([e]):
                    counts[result.status] += 1
        for i in range(0, len(small), 20):
            for result in client.upload_batch(small[i : i + 20]):
                counts[result.status] += 1
    finally:
        client.close()
    return counts


def _as_outbox_entry(e: BundleEntry) -> outbox.OutboxEntry:
    return outbox.OutboxEntry(
        seq=e.seq,
        envelope_id=e.envelope_id,
        kind=e.kind,
        business_id=None,
        parent_id=e.parent_id,
        envelope=e.data,
        size=len(e.data),
        state=outbox.PENDING,
        attempts=1,
        created_at="",
    )


# --------------------------------------------------------------------------- centre → station


def import_updates(store: Store, path: Path) -> ImportReport:
    """Apply a return bundle: acknowledgements first (each checked), then the downlink updates."""
    from offline import downlink as offline_downlink
    from sync.downlink import _verified

    ident = load_identity(store)
    key = downlink_key(store).public_key
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != UPDATES_FORMAT:
            raise BundleError(MSG_NOT_UPDATES.format(path=path, reason="格式标记不符"))
    except (OSError, ValueError) as exc:
        raise BundleError(MSG_NOT_UPDATES.format(path=path, reason=type(exc).__name__)) from exc
    try:
        body = verify_signed(doc, key)
    except KeySetError as exc:
        raise BundleError(MSG_BAD_SIGNATURE.format(path=path)) from exc
    if body.get("station_id") != ident.station_id:
        raise BundleError(
            MSG_OTHER_STATION.format(path=path, theirs=body.get("station_id"), ours=ident.station_id)
        )
    report = ImportReport()
    states = outbox.states_of(store)
    lost_seq = 0
    for item in body.get("acks", []):
        eid, ack = str(item.get("envelope_id", "")), str(item.get("ack", ""))
        try:
            signed = verify_signed(json.loads(ack), key)
        except (KeySetError, ValueError, AttributeError) as exc:
            raise BundleError(MSG_BAD_SIGNATURE.format(path=path)) from exc
        if signed.get("envelope_id") != eid or signed.get("station_id") != ident.station_id:
            raise BundleError(MSG_BAD_SIGNATURE.format(path=path))
        state = states.get(eid)
        if state is None:  # the centre holds an envelope this store lost (restored from a backup)
            report.unknown += 1
            lost_seq = max(lost_seq, int(signed.get("seq", 0) or 0))
        elif state == outbox.ACKED:
            report.already += 1
        else:
            outbox.mark_acked(store, eid, ack)
            report.acked += 1
    if lost_seq:
        with store.write() as conn:
            outbox.raise_seq_floor(conn, lost_seq)
    for update_doc in body.get("updates", []):
        update = _verified(update_doc, key, ident.station_id)
        if update is None:
            raise BundleError(MSG_BAD_SIGNATURE.format(path=path))
        report.updates_seen += 1
        outcome = offline_downlink.apply_update(
            store,
            offline_downlink.DownlinkUpdate(
                str(update["update_id"]), str(update["kind"]), dict(update["payload"])
            ),
            cursor=str(update["cursor"]),
        )
        if outcome != offline_downlink.DUPLICATE:
            report.updates_applied += 1
            report.outcomes.append(outcome)
    return report


def _fsync(path: Path) -> None:
    import os

    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
