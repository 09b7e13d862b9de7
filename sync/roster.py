"""Download and apply the area roster snapshot (the station's side; format in sync.gateway.snapshot).

Called at enrolment (`sync.enrol.enrol`) and by every sync run while a snapshot is still owed
(`pending`), so a link that drops half-way costs only the range in flight: the bytes received
are appended to `<store dir>/roster/<snapshot id>.part` (fsynced per range), and the next attempt
asks the gateway to keep that snapshot (`resume=`) and continues at the file's length.

Nothing is applied before the whole file matches the SHA-256 in the meta document, and the meta
must be signed by the pinned downlink key and name this station. Rows are applied in batches of
`APPLY_BATCH`, each in its own transaction: a killed process re-applies from the start on the
next run, which changes nothing twice (the version check of `offline.roster.apply_rows`).
"""

from __future__ import annotations

import hashlib
import json
import lzma
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from offline import roster as station_roster
from offline.protocols import CardstationError
from offline.store import Store
from sync.client import GatewayClient, LinkError
from sync.keys import KeySetError, downlink_key, load_identity, verify_signed

S_PENDING = station_roster.PENDING_KEY
S_APPLIED = "roster_snapshot"
RANGE = 256 * 1024
APPLY_BATCH = 5000
FORMAT = "cardstation-roster-1"


class RosterError(CardstationError):
    """The snapshot cannot be used (bad signature, wrong station, corrupt); `str()` is Chinese."""


@dataclass
class RosterReport:
    snapshot_id: str = ""
    version: int = 0
    rows: int = 0
    size: int = 0
    downloaded: int = 0
    resumed_at: int = 0
    applied: dict[str, int] | None = None
    seconds_download: float = 0.0
    seconds_apply: float = 0.0
    already: bool = False

    def line_zh(self) -> str:
        if self.already:
            return f"本片区持卡人名册已是最新（{self.rows} 条）。"
        a = self.applied or {}
        return (
            f"已下载本片区持卡人名册：{self.rows} 条（{self.size} 字节），新增人员 {a.get('persons_new', 0)}，"
            f"新增卡 {a.get('cards_new', 0)}，更新 {a.get('persons_updated', 0) + a.get('cards_updated', 0)}。"
        )


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def pending(store: Store) -> bool:
    return (store.setting(S_PENDING, "") or "") == "1"


def mark_pending(store: Store) -> None:
    with store.write() as conn:
        store.set_setting(conn, S_PENDING, "1")


def part_dir(store: Store) -> Path:
    return Path(store.path).parent / "roster"


def download_roster(
    store: Store,
    *,
    client: GatewayClient | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> RosterReport:
    """Fetch (resuming) and apply this station's area snapshot; LinkError when the link fails."""
    import time

    ident = load_identity(store)
    dl = downlink_key(store).public_key
    c = client or GatewayClient(store.setting("sync_url") or "", identity=ident, downlink_public_key=dl)
    try:
        started = time.monotonic()
        folder = part_dir(store)
        folder.mkdir(mode=0o700, exist_ok=True)
        parts = sorted(folder.glob("*.part"))
        resume = parts[-1].stem if parts else ""
        meta = _verified(c.roster_meta(resume), dl, ident.station_id)
        report = RosterReport(
            snapshot_id=str(meta["snapshot_id"]),
            version=int(meta["version"]),
            rows=int(meta["rows"]),
            size=int(meta["size"]),
        )
        applied = json.loads(store.setting(S_APPLIED, "") or "{}")
        if (
            applied.get("snapshot_id") == report.snapshot_id
            or int(applied.get("version", -1)) >= report.version
        ):
            report.already = True
            _done(store, report, applied)
            return report
        path = folder / f"{report.snapshot_id}.part"
        for old in parts:
            if old != path:
                old.unlink(missing_ok=True)
        have = path.stat().st_size if path.exists() else 0
        if have > report.size:
            path.unlink()
            have = 0
        report.resumed_at = have
        # Holders' personal data: owner-only, like the store and the key file.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as fh:
            while have < report.size:
                data = c.roster_chunk(report.snapshot_id, have, min(RANGE, report.size - have))
                if data is None:  # replaced at the gateway meanwhile: start over next time
                    fh.close()
                    path.unlink(missing_ok=True)
                    raise LinkError("server_error", "roster snapshot replaced")
                if not data:
                    raise LinkError("network", "empty roster range")
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
                have += len(data)
                report.downloaded += len(data)
                if on_progress is not None:
                    on_progress("roster", have, report.size)
        report.seconds_download = round(time.monotonic() - started, 3)
        if _sha256(path) != meta["sha256"]:
            path.unlink()
            raise RosterError("名册文件校验不符（已删除，下次同步重新下载）。")
        t = time.monotonic()
        report.applied = apply_file(store, path)
        report.seconds_apply = round(time.monotonic() - t, 3)
        _done(store, report, None)
        path.unlink(missing_ok=True)
        return report
    finally:
        if client is None:
            c.close()


def _done(store: Store, report: RosterReport, applied: dict[str, Any] | None) -> None:
    with store.write() as conn:
        if applied is None:
            store.set_setting(
                conn,
                S_APPLIED,
                json.dumps(
                    {
                        "snapshot_id": report.snapshot_id,
                        "version": report.version,
                        "rows": report.rows,
                        "applied_at": _now(),
                    }
                ),
            )
        store.set_setting(conn, S_PENDING, "0")


def _verified(doc: Any, key: bytes, station_id: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise RosterError("名册说明不是 JSON 对象。")
    try:
        body = verify_signed(doc, key)
    except KeySetError as exc:
        raise RosterError("名册签名无效：不是本站固定的卡管系统密钥签发的，未使用。") from exc
    if body.get("station_id") != station_id or body.get("format") != FORMAT:
        raise RosterError("名册不是发给本站的（站号或格式不符），未使用。")
    sid = str(body.get("snapshot_id", ""))
    if len(sid) != 32 or any(ch not in "0123456789abcdef" for ch in sid):
        raise RosterError("名册编号无效，未使用。")
    return body


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def apply_file(store: Store, path: Path) -> dict[str, int]:
    """Apply a complete snapshot file in batches (each its own transaction); summed counts."""
    total: dict[str, int] = {}
    at = _now()
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        header = json.loads(fh.readline())
        if header.get("format") != FORMAT or tuple(header.get("fields", ())) != station_roster.ROW_FIELDS:
            raise RosterError("名册格式版本不认识，请升级本站软件。")
        batch: list[dict[str, str]] = []
        for line in fh:
            if not line.strip():
                continue
            batch.append(station_roster.decode_line(line))
            if len(batch) >= APPLY_BATCH:
                _apply(store, batch, at, total)
                batch = []
        if batch:
            _apply(store, batch, at, total)
    return total


def _apply(store: Store, batch: list[dict[str, str]], at: str, total: dict[str, int]) -> None:
    with store.write() as conn:
        counts = station_roster.apply_rows(conn, batch, at)
    for k, v in counts.items():
        total[k] = total.get(k, 0) + v
