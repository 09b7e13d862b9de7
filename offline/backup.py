"""Backups of the station store, and restoring one, without stopping the station.

Why: a village station may have no link for days; until the card management system has
acknowledged them, the store is the only copy of every business taken. So:

- `backup_store` copies the *running* store with SQLite's online backup API (the TUI and the
  sync daemon keep writing: the copy is one consistent snapshot), into a file opened through
  the store's own connection factory (`Store(path).connection()`), so that a store encrypted at
  rest gives an encrypted copy with the same key. The copy is then checked (`PRAGMA
  quick_check`, the audit chain, the station id) before it gets its final name; only the last
  `keep` copies of the station are kept. With a second folder configured (a second disk or a
  USB stick, setting `backup.mirror_dir`) the same verified copy goes there too.
- `restore_backup` refuses a copy of another station (receipt numbers and the audit chain carry
  the station's identity) or a damaged one, and never overwrites a store without first backing
  up what it replaces. It copies with the same backup API into the live file, so a process that
  still has the store open sees the restored content rather than a deleted inode.

File names: `station-<station id>-<YYYYmmdd-HHMMSS>[-label].db`, owner-only (R-SEC-1).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from offline import audit, outbox
from offline.errors import StoreError
from offline.store import Store

S_LAST_AT, S_LAST_FILE = "backup.last_at", "backup.last_file"
S_DIR, S_MIRROR, S_KEEP = "backup.dir", "backup.mirror_dir", "backup.keep"
DEFAULT_KEEP = 14

MSG_NOT_STATION = "数据库 {path} 不是已初始化的服务站，无法备份。"
MSG_BAD_COPY = "备份文件 {path} 校验未通过：{reason}。请换一个备份文件，或联系技术支持。"
MSG_OTHER_STATION = (
    "备份文件 {path} 属于服务站 {theirs}，本机是服务站 {ours}：拒绝恢复（会把别站的业务当成本站的）。"
)
MSG_NEED_STATION = (
    "本机还没有数据库，无法核对站号：请用 --station-id 写明本机的站号（17 位服务点编号 + 2 位终端号）。"
)
MSG_NEWER = "备份文件 {path} 由更新版本的 cardstation 写成（数据库版本 {have} > {know}），请先升级本机程序。"
MSG_NO_FILE = "找不到备份文件 {path}。"
MSG_IO = "无法读写 {path}：{error}。请检查目录是否存在、U盘是否插好、磁盘是否已满。"


@dataclass(frozen=True)
class CopyCheck:
    """What a copy holds: its station, its size in businesses and audit entries, and if it is sound."""

    station_id: str | None
    businesses: int
    audit_entries: int
    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    check: CopyCheck
    seconds: float
    removed: tuple[Path, ...]
    mirror: Path | None = None
    mirror_error: str = ""


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    check: CopyCheck
    safety_copy: Path | None


def default_backup_dir(store: Store) -> Path:
    """The configured folder, else `backups/` next to the store (inside the one writable folder)."""
    configured = store.setting(S_DIR)
    return Path(configured) if configured else store.path.parent / "backups"


def check_connection(conn: sqlite3.Connection) -> CopyCheck:
    """Integrity (quick_check), the audit chain (R-SEC-3) and the station id of an open copy."""
    quick = conn.execute("PRAGMA quick_check").fetchone()
    if quick is None or quick[0] != "ok":
        return CopyCheck(None, 0, 0, False, f"数据库结构损坏（{quick[0] if quick else '无结果'}）")
    try:
        station = conn.execute("SELECT value FROM settings WHERE key = 'station_id'").fetchone()
        businesses = int(conn.execute("SELECT COUNT(*) FROM businesses").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        return CopyCheck(None, 0, 0, False, f"不是服务站数据库（{exc}）")
    chain = audit.verify(conn)
    station_id = None if station is None else str(station[0])
    if not chain.ok:
        reason = f"审计链第 {chain.first_bad_seq} 条有问题：{chain.reason}"
        return CopyCheck(station_id, businesses, chain.entries, False, reason)
    return CopyCheck(station_id, businesses, chain.entries, True)


def backup_store(
    store: Store,
    dest_dir: Path | None = None,
    *,
    now: datetime,
    keep: int | None = None,
    label: str = "",
    mirror: bool = True,
) -> BackupResult:
    """Copy the running store consistently into `dest_dir`, verify the copy, keep the last `keep`.

    A folder that cannot be written is a refusal with a Chinese message (nothing half-written
    keeps a final name: the copy is renamed only once verified).
    """
    try:
        return _backup_store(store, dest_dir, now=now, keep=keep, label=label, mirror=mirror)
    except OSError as exc:
        raise StoreError(
            "backup_io", MSG_IO.format(error=exc.strerror or exc, path=exc.filename or dest_dir)
        ) from exc


def _backup_store(
    store: Store,
    dest_dir: Path | None = None,
    *,
    now: datetime,
    keep: int | None = None,
    label: str = "",
    mirror: bool = True,
) -> BackupResult:
    started = datetime.now()
    station_id = store.setting("station_id")
    if not station_id:
        raise StoreError("not_station", MSG_NOT_STATION.format(path=store.path))
    folder = Path(dest_dir) if dest_dir is not None else default_backup_dir(store)
    _private_dir(folder)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    name = f"station-{station_id}-{stamp}{'-' + label if label else ''}.db"
    final = _unique(folder / name)
    check = _copy_verified(store.connection(), final)
    keep_n = keep if keep is not None else int(store.setting(S_KEEP) or DEFAULT_KEEP)
    removed = prune(folder, station_id, keep_n)
    mirror_path, mirror_error = None, ""
    mirror_dir = store.setting(S_MIRROR) if mirror else None
    if mirror_dir and Path(mirror_dir).resolve() != folder.resolve():
        mirror_path, mirror_error = _mirror(final, Path(mirror_dir), station_id, keep_n)
    with store.write() as conn:
        store.set_setting(conn, S_LAST_AT, now.isoformat(timespec="seconds"))
        store.set_setting(conn, S_LAST_FILE, str(final))
    seconds = (datetime.now() - started).total_seconds()
    return BackupResult(final, check, seconds, removed, mirror_path, mirror_error)


def _copy_verified(source: sqlite3.Connection, final: Path) -> CopyCheck:
    """Online backup into `<final>.partial`, check it, then give it its final name (atomic)."""
    partial = final.with_name(final.name + ".partial")
    for stale in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        stale.unlink(missing_ok=True)
    target = Store(partial)
    _create_private_file(partial)
    try:
        conn = target.connection()
        # One step: in WAL mode it reads one snapshot while writers go on appending to the WAL (no
        # restart when they commit, as a stepwise copy would have).
        source.backup(conn)
        conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        check = check_connection(conn)
    finally:
        target.close()
    if not check.ok:
        partial.unlink(missing_ok=True)
        raise StoreError("backup_bad", MSG_BAD_COPY.format(path=final, reason=check.reason))
    _fsync(partial)
    os.replace(partial, final)
    _fsync(final.parent)
    return check


def _mirror(copy: Path, mirror_dir: Path, station_id: str, keep: int) -> tuple[Path | None, str]:
    """Put the verified copy on the second disk; a missing stick is reported, not fatal."""
    if not mirror_dir.is_dir():
        return None, f"第二备份目录 {mirror_dir} 不存在或未挂载（U盘未插入？），本次只备份到本机。"
    dest = _unique(mirror_dir / copy.name)
    partial = dest.with_name(dest.name + ".partial")
    try:
        _create_private_file(partial)
        shutil.copyfile(copy, partial)
        _fsync(partial)
        os.replace(partial, dest)
        prune(mirror_dir, station_id, keep)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        return None, f"写入第二备份目录 {mirror_dir} 失败：{exc.strerror or exc}。"
    return dest, ""


def list_backups(folder: Path, station_id: str) -> list[Path]:
    """This station's copies in `folder`, oldest first (names sort by time)."""
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"station-{station_id}-*.db"))


def prune(folder: Path, station_id: str, keep: int) -> tuple[Path, ...]:
    """Delete all but the newest `keep` copies of this station (never another station's files)."""
    copies = list_backups(folder, station_id)
    old = copies[: max(0, len(copies) - max(1, keep))]
    for path in old:
        path.unlink(missing_ok=True)
    return tuple(old)


def inspect_copy(path: Path) -> CopyCheck:
    """Check a copy without touching it: it is read from a private scratch copy."""
    scratch = _stage(path, Path(path).parent if os.access(Path(path).parent, os.W_OK) else None)
    try:
        return _check_staged(scratch, path)[1]
    finally:
        _remove(scratch)


def restore_backup(
    candidate: Path,
    db_path: Path,
    *,
    now: datetime,
    station_id: str | None = None,
    backup_dir: Path | None = None,
) -> RestoreResult:
    """Put `candidate` in place of the store at `db_path`, refusing another station's copy.

    The current store, if any, is first backed up (label `before-restore`); if that fails,
    nothing is replaced.
    """
    candidate = Path(candidate)
    if not candidate.is_file():
        raise StoreError("no_file", MSG_NO_FILE.format(path=candidate))
    try:
        return _restore(candidate, Path(db_path), now=now, station_id=station_id, backup_dir=backup_dir)
    except OSError as exc:
        raise StoreError(
            "backup_io", MSG_IO.format(error=exc.strerror or exc, path=exc.filename or db_path)
        ) from exc


def _restore(
    candidate: Path, db_path: Path, *, now: datetime, station_id: str | None, backup_dir: Path | None
) -> RestoreResult:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    staged = _stage(candidate, db_path.parent)
    safety: Path | None = None
    try:
        staged_store, check = _check_staged(staged, candidate)
        try:
            if not check.ok:
                raise StoreError("backup_bad", MSG_BAD_COPY.format(path=candidate, reason=check.reason))
            current = Store.open(db_path, migrate=False) if db_path.exists() else None
            try:
                ours = (current.setting("station_id") if current is not None else None) or station_id
                if not ours:
                    raise StoreError("need_station", MSG_NEED_STATION)
                if station_id and ours != station_id:
                    raise StoreError(
                        "other_station",
                        MSG_OTHER_STATION.format(path=db_path, theirs=ours, ours=station_id),
                    )
                if check.station_id != ours:
                    raise StoreError(
                        "other_station",
                        MSG_OTHER_STATION.format(path=candidate, theirs=check.station_id, ours=ours),
                    )
                if current is not None and current.setting("station_id"):
                    safety = backup_store(
                        current, backup_dir, now=now, label="before-restore", keep=10_000, mirror=False
                    ).path
                # What the replaced store had already queued may be at the centre: continue above it.
                floor, counters = _numbers_of(current) if current is not None else (0, [])
                target = current if current is not None else Store.open(db_path, migrate=False)
                staged_store.connection().backup(target.connection())
                with target.write() as conn:
                    if floor:
                        outbox.raise_seq_floor(conn, floor)
                    # Receipt numbers handed out since the copy was made are never handed out again (R-APP-8).
                    conn.executemany(
                        "INSERT INTO receipt_counters(day, last) VALUES (?, ?)"
                        " ON CONFLICT(day) DO UPDATE SET last = MAX(last, excluded.last)",
                        counters,
                    )
                target.close()
            finally:
                if current is not None:
                    current.close()
        finally:
            staged_store.close()
    finally:
        _remove(staged)
    Store.open(db_path).close()  # an older copy is brought up to this release's schema
    return RestoreResult(candidate, check, safety)


def _numbers_of(store: Store) -> tuple[int, list[tuple[str, int]]]:
    """The replaced store's highest envelope sequence and its receipt counters (empty if unreadable)."""
    try:
        counters = [(str(r[0]), int(r[1])) for r in store.query("SELECT day, last FROM receipt_counters")]
        return outbox.max_seq(store), counters
    except sqlite3.DatabaseError:
        return 0, []


def _check_staged(staged: Path, original: Path) -> tuple[Store, CopyCheck]:
    from offline.store import schema_version

    store = Store(staged)
    try:
        have = int(store.connection().execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        store.close()
        raise StoreError(
            "backup_bad", MSG_BAD_COPY.format(path=original, reason=f"不是数据库文件（{exc}）")
        ) from exc
    if have > schema_version():
        store.close()
        raise StoreError("schema_newer", MSG_NEWER.format(path=original, have=have, know=schema_version()))
    try:
        return store, check_connection(store.connection())
    except sqlite3.DatabaseError as exc:
        store.close()
        raise StoreError("backup_bad", MSG_BAD_COPY.format(path=original, reason=str(exc))) from exc


def _stage(path: Path, folder: Path | None) -> Path:
    """A private scratch copy of `path` (a USB stick may be read-only; never modify the original)."""
    import tempfile

    where = folder if folder is not None else Path(tempfile.gettempdir())
    staged = where / f".restore-{uuid.uuid4().hex}.db"
    _create_private_file(staged)
    shutil.copyfile(path, staged)
    return staged


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        p.unlink(missing_ok=True)


def _private_dir(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)


def _create_private_file(path: Path) -> None:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _unique(path: Path) -> Path:
    n, candidate = 1, path
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
