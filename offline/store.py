"""The station's local SQLite store: one file, WAL, FULL sync, ordered migrations.

Why these settings (sync-protocol.md, architecture.md):
- WAL lets the county's SSH session read while a village assistant writes.
- `synchronous=FULL` so that a committed business survives a power cut.
- Every write runs in `BEGIN IMMEDIATE`: a deferred transaction that reads and then
  writes can fail with SQLITE_BUSY regardless of the busy timeout.
- A busy timeout makes a second writer wait instead of failing.

Connections are per thread (Textual workers run in threads), created lazily.

At rest (docs/threat-model.md): a store made by `init` is a SQLCipher database (AES-256, HMAC
per page) keyed from the station's key file (`offline.storekey`); an existing encrypted store
is recognised by its header and opened with that key. Only this connection factory knows: the
services see the same DB-API connection either way. `encrypt_in_place` turns a cleartext
store into an encrypted one (`init` on an existing plain store), with a backup first.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from importlib import resources
from pathlib import Path
from typing import Any

import sqlite_utils

from offline import storekey
from offline.errors import StoreError

BUSY_TIMEOUT_MS = 30_000
#: Retries of BEGIN IMMEDIATE beyond the busy timeout (a county session holding a long read-write).
IMMEDIATE_RETRIES = 20
#: What the operator reads when the disk fills mid-business (the transaction was rolled back whole).
MSG_DISK_FULL = "磁盘空间不足，本笔业务未保存（未写入任何数据）。请清理磁盘空间或联系技术支持后重新办理。"


def _cipher() -> Any:
    """The SQLCipher DB-API module (imported only for an encrypted store)."""
    import sqlcipher3

    return sqlcipher3


def operational_errors() -> tuple[type[Exception], ...]:
    """`OperationalError` of the stdlib driver and, when loaded, of SQLCipher's."""
    import sys

    cipher = sys.modules.get("sqlcipher3")
    return (sqlite3.OperationalError,) + ((cipher.OperationalError,) if cipher is not None else ())


def database_errors() -> tuple[type[Exception], ...]:
    import sys

    cipher = sys.modules.get("sqlcipher3")
    return (sqlite3.DatabaseError,) + ((cipher.DatabaseError,) if cipher is not None else ())


def migrations() -> list[tuple[int, str, str]]:
    """Ordered (version, name, sql) read from `offline/migrations/NNNN_name.sql`."""
    found: list[tuple[int, str, str]] = []
    for entry in resources.files("offline.migrations").iterdir():
        name = entry.name
        if not name.endswith(".sql"):
            continue
        number, _, rest = name.partition("_")
        found.append((int(number), rest[:-4], entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise StoreError("schema_duplicate", f"two migrations share a number: {versions}")
    return found


def schema_version() -> int:
    """The schema version this code writes (numbers may skip: areas own their own numbers)."""
    return max(v for v, _, _ in migrations())


def default_db_path() -> Path:
    """`CARDSTATION_DB`, else the platform data dir."""
    env = os.environ.get("CARDSTATION_DB")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("cardstation")) / "station.db"


class Store:
    """A station store. Open it with `Store.open(path)`; use `write()` for every change."""

    def __init__(self, path: Path, key: bytes | None = None) -> None:
        self.path = Path(path)
        self.key = key  # SQLCipher raw key; None for a cleartext store
        self._local = threading.local()

    # ----------------------------------------------------------------- lifecycle

    @classmethod
    def open(
        cls, path: str | os.PathLike[str] | None = None, *, migrate: bool = True, encrypt: bool = False
    ) -> Store:
        """Open (creating if needed) and migrate; refuse a store written by a newer release.

        An existing encrypted store is opened with the station's key; a new (empty) file is
        encrypted when `encrypt` is set (`init`, the demo), which also creates the key file.
        """
        p = Path(path) if path is not None else default_db_path()
        p.parent.mkdir(parents=True, exist_ok=True)
        # The store holds people's identities (R-SEC-1): owner-only. SQLite gives its -wal and
        # -shm files the mode of the database file.
        # Never open+close an existing database file here: closing any descriptor of a file
        # drops every POSIX lock this process holds on it, including SQLite's own.
        _create_private(p)
        size = p.stat().st_size
        key = None
        if size and not storekey.is_plain_sqlite(p):
            key = storekey.store_key(p)
        elif not size and encrypt:
            key = storekey.store_key(p, create=True)
        store = cls(p, key)
        if migrate:
            store.migrate()
        else:
            store.check_version()
        return store

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, with the pragmas every connection needs."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self.key is None:
                conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
                conn.row_factory = sqlite3.Row
            else:
                cipher = _cipher()
                conn = cipher.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
                conn.row_factory = cipher.Row
                # SQLCipher logs a wrong key or a foreign file to stderr; the caller says it in Chinese.
                conn.execute("PRAGMA cipher_log_level = NONE")
                conn.execute(f"PRAGMA key = \"x'{self.key.hex()}'\"")  # raw key: no KDF per open
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils view of this thread's connection (reads, and writes inside `write()`)."""
        d: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if d is None:
            d = sqlite_utils.Database(self.connection())
            self._local.db = d
        return d

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
            self._local.db = None

    # ----------------------------------------------------------------- schema

    def user_version(self) -> int:
        return int(self.connection().execute("PRAGMA user_version").fetchone()[0])

    def check_version(self) -> None:
        """Refuse to work on a store newer than this code (it could lose data we don't know of)."""
        have, know = self.user_version(), schema_version()
        if have > know:
            raise StoreError(
                "schema_newer",
                f"数据库版本 {have} 高于本程序支持的版本 {know}，请升级 cardstation 后再打开。",
            )

    def migrate(self) -> int:
        """Apply pending migrations in order, each in its own immediate transaction."""
        self.check_version()
        applied = 0
        for version, _name, sql in migrations():
            with self.write() as conn:
                current = int(conn.execute("PRAGMA user_version").fetchone()[0])
                if current >= version:
                    continue
                for statement in split_sql(sql):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version={version}")
                applied += 1
        return applied

    # ----------------------------------------------------------------- transactions

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: commits on success, rolls back on any exception.

        Nested use joins the outer transaction (a service calling another service).
        """
        conn = self.connection()
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield conn
            finally:
                self._local.depth = depth
            return
        self._begin_immediate(conn)
        self._local.depth = 1
        try:
            yield conn
        except BaseException as exc:
            self._local.depth = 0
            _rollback(conn)
            if _disk_full(exc):
                raise StoreError("disk_full", MSG_DISK_FULL) from exc
            raise
        else:
            self._local.depth = 0
            try:
                conn.execute("COMMIT")
            except operational_errors() as exc:
                _rollback(conn)  # a failed COMMIT leaves the transaction open
                if _disk_full(exc):
                    raise StoreError("disk_full", MSG_DISK_FULL) from exc
                raise

    @staticmethod
    def _begin_immediate(conn: sqlite3.Connection) -> None:
        last: Exception | None = None
        for _ in range(IMMEDIATE_RETRIES):
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except operational_errors() as exc:  # busy beyond the timeout
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                last = exc
        raise StoreError("busy", "数据库正忙（另一会话长时间占用），请稍后重试。") from last

    # ----------------------------------------------------------------- helpers

    def query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        """Read rows (outside or inside a write)."""
        return list(self.connection().execute(sql, params))

    def one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.connection().execute(sql, params).fetchone()
        return row

    def setting(self, key: str, default: str | None = None) -> str | None:
        row = self.one("SELECT value FROM settings WHERE key = ?", (key,))
        return default if row is None else str(row["value"])

    def set_setting(self, conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def integrity_ok(self) -> bool:
        row = self.one("PRAGMA integrity_check")
        return row is not None and row[0] == "ok"


def _disk_full(exc: BaseException) -> bool:
    """SQLITE_FULL: the file system (or the store's size limit) has no room for the transaction."""
    return isinstance(exc, operational_errors()) and (
        getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
        or "database or disk is full" in str(exc)
    )


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is open; a failing rollback must not hide the original error."""
    if conn.in_transaction:
        with suppress(*database_errors()):
            conn.execute("ROLLBACK")


def _create_private(path: Path) -> None:
    """Create `path` empty with mode 0600 if it is missing; tighten the mode if it is loose."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)


def split_sql(sql: str) -> list[str]:
    """Split a migration file on ';' at line ends (our migrations hold no triggers with bodies)."""
    parts, buf = [], []
    for line in sql.splitlines():
        if line.strip().startswith("--"):
            continue
        buf.append(line)
        if line.rstrip().endswith(";"):
            stmt = "\n".join(buf).strip()
            if stmt.strip(";").strip():
                parts.append(stmt)
            buf = []
    tail = "\n".join(buf).strip()
    if tail:
        parts.append(tail)
    return parts


MSG_NOT_PLAIN = "数据库 {path} 已经加密，无需再转换。"
MSG_VERIFY_FAILED = "加密后的数据库核对不一致，原数据库未改动，明文备份保留在 {backup}。请联系技术支持。"


def encrypt_in_place(path: Path) -> None:
    """Turn a cleartext store into a SQLCipher store at the same path (`init` on a plain store).

    Order, so that no step can lose data: settle the WAL into the file; back it up (SQLite
    backup API, 0600); export into a new encrypted file; verify it (integrity check, schema
    version, row count of every table); swap it in with a rename. The cleartext backup is
    removed only after the check passed — a copy left behind would defeat the point. Run it
    with the station stopped (`init` is).
    """
    path = Path(path)
    if not storekey.is_plain_sqlite(path):
        raise StoreError("not_plain", MSG_NOT_PLAIN.format(path=path))
    key = storekey.store_key(path, create=True)
    with closing(sqlite3.connect(path)) as plain:
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        version = int(plain.execute("PRAGMA user_version").fetchone()[0])
        counts = _row_counts(plain)
        backup = path.with_name(path.name + ".before-encryption")
        _create_private(backup)
        with closing(sqlite3.connect(backup)) as copy:
            plain.backup(copy)
    tmp = path.with_name(path.name + ".encrypting")
    tmp.unlink(missing_ok=True)
    _create_private(tmp)
    cipher = _cipher()
    with closing(cipher.connect(str(path), isolation_level=None)) as conn:
        target = str(tmp).replace("'", "''")
        conn.execute(f"ATTACH DATABASE '{target}' AS enc KEY \"x'{key.hex()}'\"")
        conn.execute("SELECT sqlcipher_export('enc')")
        conn.execute(f"PRAGMA enc.user_version = {version}")
        conn.execute("DETACH DATABASE enc")
    check = Store(tmp, key)
    try:
        same = check.integrity_ok() and check.user_version() == version
        same = same and _row_counts(check.connection()) == counts
    finally:
        check.close()
    if not same:
        tmp.unlink(missing_ok=True)
        raise StoreError("encrypt_failed", MSG_VERIFY_FAILED.format(backup=backup))
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    backup.unlink()


def _row_counts(conn: Any) -> dict[str, int]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: int(conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]) for t in tables}
