"""The gateway's own SQLite store (a separate file; never the station's schema).

Same discipline as the station store: WAL, synchronous=FULL, every write in BEGIN IMMEDIATE,
per-thread connections (Starlette runs sync work in a thread pool). The envelope row and its
acknowledgement are written in one transaction, and envelope ids are kept forever — scoped per
station, so one station can never make another's envelope id `conflict`.

Growth an unauthenticated client could cause is bounded: outcomes are counted in
`event_counts` (one row per hour, code and station) and only the first few of each per hour
keep a detail row in `events`; partial blob uploads belong to a station (`blob_partials`,
appended as `blob_chunks`) and expire.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True)
class Lock:
    """A named lock a write transaction needs, held until it commits or rolls back.

    Why named locks and not one: on PostgreSQL many workers write at once, and only the
    read-then-write steps that really share state must wait for each other. Each is a
    transaction-scoped advisory lock (`pg_advisory_xact_lock(class, hashtext(key))`); SQLite has
    one writer anyway, so there every lock is a no-op.

    `rank` fixes the order locks are taken in (station < production < catalogue < feed <
    keyring): a transaction may only take a lock ranked above every lock it holds, so two
    transactions can never wait for each other in a cycle. `hold()` refuses a wrong order.
    """

    rank: int
    name: str
    key: str = ""

    #: Migrating or creating the schema (taken alone, at open).
    SCHEMA: ClassVar[Lock]
    #: Applications and card numbers: card production, re-production, the tick (R-ISS-3).
    PRODUCTION: ClassVar[Lock]
    #: The catalogue (roster) version tick: versions are handed out in commit order.
    CATALOGUE: ClassVar[Lock]
    #: The downlink feed: update row ids become visible in the order they were handed out.
    FEED: ClassVar[Lock]
    #: The server's own keys and the key-set version.
    KEYRING: ClassVar[Lock]

    @staticmethod
    def station(station_id: str) -> Lock:
        """One station's envelopes, uploads, keys, area and snapshots (seq checks, dedupe)."""
        return Lock(1, "station", station_id)


Lock.SCHEMA = Lock(0, "schema")
Lock.PRODUCTION = Lock(2, "production")
Lock.CATALOGUE = Lock(3, "catalogue")
Lock.FEED = Lock(4, "feed")
Lock.KEYRING = Lock(5, "keyring")


def hold(conn: Conn, *locks: Lock) -> None:
    """Take `locks` in the current write transaction (PostgreSQL); nothing to do on SQLite.

    For a step deep inside a transaction that only then knows what it touches (a card number,
    a catalogue version, a downlink update).
    """
    take = getattr(conn, "take", None)
    if take is not None:
        take(*locks)


class Row(Protocol):
    """A result row read by column name or position (sqlite3.Row, or pgdb.PgRow)."""

    def __getitem__(self, key: int | str, /) -> Any: ...
    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    """What the gateway modules use of a cursor: fetch, iterate, count changed rows."""

    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Conn(Protocol):
    """A connection as the gateway modules use it: `?` placeholders, one SQL text for both engines."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...
    def executemany(self, sql: str, parameters: Any, /) -> Cursor: ...


class GatewayStore(Protocol):
    """The gateway's storage seam: SQLite (`GatewayDB`) or PostgreSQL (`pgdb.PostgresGatewayDB`).

    `write(*locks)` is one transaction in which the envelope and its acknowledgement land
    together, holding the named `Lock`s it needs on PostgreSQL; `read()` is one consistent snapshot. `path` names the local file the key-encryption key sits
    beside (sync/gateway/kek.py).
    """

    path: Path
    #: (schema version found, schema version now) at open: sync/gateway/schema.py.
    schema: tuple[int, int]

    def connection(self) -> Conn: ...
    def write(self, *locks: Lock) -> AbstractContextManager[Conn]: ...
    def read(self) -> AbstractContextManager[Conn]: ...
    def query(self, sql: str, params: Any = ()) -> list[Any]: ...
    def one(self, sql: str, params: Any = ()) -> Any: ...
    def meta(self, key: str, default: str = "") -> str: ...
    def set_meta(self, conn: Conn, key: str, value: str) -> None: ...
    def count_event(
        self, conn: Conn, code: str, at: str, *, station_id: str = "", envelope_id: str = "", detail: str = ""
    ) -> None: ...
    def event_totals(self) -> dict[str, int]: ...
    def blob_range(
        self, table: str, column: str, key: str, key_value: str, start: int, length: int
    ) -> bytes: ...
    def close(self) -> None: ...


EVENT_DETAILS_PER_HOUR = 20  # per code and station; the rest only counts


class StoreOps:
    """What both engines do with the same SQL: meta values and the outcome roll-up."""

    def one(self, sql: str, params: Any = ()) -> Any:
        raise NotImplementedError

    def query(self, sql: str, params: Any = ()) -> list[Any]:
        raise NotImplementedError

    def meta(self, key: str, default: str = "") -> str:
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return default if row is None else str(row["value"])

    def set_meta(self, conn: Conn, key: str, value: str) -> None:
        conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def count_event(
        self,
        conn: Conn,
        code: str,
        at: str,
        *,
        station_id: str = "",
        envelope_id: str = "",
        detail: str = "",
    ) -> None:
        """Count an outcome in its hourly roll-up; keep a detail row only for the first few."""
        hour = at[:13]
        n = conn.execute(
            "INSERT INTO event_counts(hour, code, station_id, n) VALUES (?, ?, ?, 1)"
            " ON CONFLICT(hour, code, station_id) DO UPDATE SET n = event_counts.n + 1 RETURNING n",
            (hour, code, station_id),
        ).fetchone()[0]
        if n <= EVENT_DETAILS_PER_HOUR or code == "accepted":  # accepted rows: bounded by envelopes
            conn.execute(
                "INSERT INTO events(at, code, station_id, envelope_id, detail) VALUES (?, ?, ?, ?, ?)",
                (at, code, station_id, envelope_id, detail[:200]),
            )

    def event_totals(self) -> dict[str, int]:
        """Outcome counts by code since the store began (GET /v1/stats, `gateway stats`)."""
        rows = self.query("SELECT code, SUM(n) AS n FROM event_counts GROUP BY code ORDER BY code")
        return {str(r["code"]): int(r["n"]) for r in rows}


class GatewayDB(StoreOps):
    """One gateway store file (SQLite)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # The gateway store holds the server's private keys: owner-only, like the station key file.
        # SQLite gives its -wal and -shm files the mode of the database file.
        # (Never open+close an existing file: that would drop SQLite's POSIX locks in this process.)
        try:
            os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
        except FileExistsError:
            os.chmod(self.path, 0o600)
        self._local = threading.local()
        from sync.gateway.schema import migrate  # the migrator imports this module

        with self.write() as conn:  # every pending migration, or none (SQLite DDL is transactional)
            self.schema = migrate(conn, self)

    # ------------------------------------------------------------------ the migrator's view (schema.Engine)

    def ddl(self, statement: str) -> str:
        return statement  # the migrations are written in SQLite's dialect

    def tables(self, conn: Conn) -> set[str]:
        return {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def columns(self, conn: Conn, table: str) -> dict[str, bool]:
        """Column name → part of the primary key."""
        return {str(r[1]): bool(r[5]) for r in conn.execute(f"PRAGMA table_info({table})")}

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self, *locks: Lock) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: SQLite's one writer already serialises what `locks` name (ignored)."""
        conn = self.connection()
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every statement sees the same state (a WAL reader's snapshot)."""
        conn = self.connection()
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def blob_range(self, table: str, column: str, key: str, key_value: str, start: int, length: int) -> bytes:
        """Bytes [start, start+length) of one BLOB, read with incremental blob I/O (no whole copy)."""
        row = self.one(f"SELECT rowid FROM {table} WHERE {key} = ?", (key_value,))
        if row is None:
            return b""
        with self.connection().blobopen(table, column, int(row["rowid"]), readonly=True) as blob:
            blob.seek(start)
            return blob.read(max(0, length))

    def query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        return list(self.connection().execute(sql, params))

    def one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.connection().execute(sql, params).fetchone()
        return row

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
