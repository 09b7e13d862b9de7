"""The gateway store on PostgreSQL: what a province runs, with replication and many workers.

Why one SQL text for both engines: every gateway module (intake, blobs, keyring, catalogue,
production, flows, ...) keeps its `?`-placeholder SQL; a thin connection wrapper rewrites it for
psycopg 3 (`?` → `%s`, a literal `%` doubled) and hands back rows readable by name or position
like `sqlite3.Row`. Client-side binding (`ClientCursor`) keeps SQLite's forgiving typing: an int
bound for a TEXT column is an assignment cast, a str is an untyped literal.

Locking model. There is no gateway-wide lock: workers write in parallel at READ COMMITTED, and
only the read-then-write steps that share state wait for each other, each on a *named*
transaction-scoped advisory lock (`db.Lock`, `pg_advisory_xact_lock(class, hashtext(key))`),
released at commit or rollback:

- `Lock.station(id)`: intake of that station's envelopes (the existing-envelope and seq checks
  before the insert), its blob uploads, keys, area and snapshots. Station A never waits for B.
- `Lock.PRODUCTION`: applications and card numbers (intake of a business, the production tick,
  re-production), so two workers never give out one card number or produce one card twice.
- `Lock.CATALOGUE`: the catalogue (roster) version tick; versions are handed out in commit
  order, so a station that holds version V has every change up to V.
- `Lock.FEED`: taken just before a downlink update is queued; update ids (the stations'
  cursors) then become visible in the order they were handed out, never one behind another.
- `Lock.KEYRING`: the server keys and the key-set version.

Locks are taken in rank order (station < production < catalogue < feed < keyring; `PgConn.take`
refuses anything else), so no two transactions wait for each other in a cycle. Exactly-once does
not rest on a lock at all: (station, envelope id) and (station, seq) are unique keys, and the
acknowledgement is written in the same transaction as the envelope — a racing duplicate that
slipped past the station lock would fail on the constraint and roll back whole. Decryption,
signature checks and ack signing run before the business step takes the shared locks.

READ COMMITTED suffices: each statement after a lock is granted sees everything committed
before the lock was released. `read()` alone runs at REPEATABLE READ (one snapshot for the
roster's version, count and rows).

The schema is the SQLite schema translated (`pg_ddl`): one definition, so the two cannot drift.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offline.protocols import CardstationError
from sync.gateway.db import Conn, GatewayDB, Lock, StoreOps

if TYPE_CHECKING:  # psycopg is imported only when a PostgreSQL store is opened: SQLite needs none
    import psycopg
    from psycopg.rows import RowMaker
    from psycopg_pool import ConnectionPool

#: First argument of pg_advisory_xact_lock(int, int) for each named lock ("cs" in ASCII + rank).
LOCK_CLASS = 0x63730000
POOL_MAX = 16
CONNECT_TIMEOUT_S = 15.0


class DatabaseUnreachable(CardstationError):
    """The PostgreSQL server could not be reached or refused the login (Chinese message for the CLI)."""


def default_kek_path() -> Path:
    """Where a PostgreSQL gateway keeps its key-encryption key unless told (`--kek`)."""
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "cardstation" / "gateway-pg.kek"


def redact(dsn: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", dsn)


_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"])*\"|\?|%")


def is_postgres_url(target: str | Path) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


@lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """SQLite SQL as the modules write it → psycopg SQL (placeholders; DDL types when CREATE)."""

    def sub(m: re.Match[str]) -> str:
        tok = m.group(0)
        return "%s" if tok == "?" else tok.replace("%", "%%")  # also a % inside a literal

    out = _TOKEN.sub(sub, sql)
    if out.lstrip().upper().startswith("CREATE TABLE"):
        out = pg_ddl(out)
    return out


def pg_ddl(ddl: str) -> str:
    """The SQLite DDL of the gateway in PostgreSQL's types: BYTEA, BIGINT, BIGSERIAL."""
    out = re.sub(r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b", "BIGSERIAL PRIMARY KEY", ddl)
    out = re.sub(r"\bid INTEGER PRIMARY KEY\b", "id BIGSERIAL PRIMARY KEY", out)
    out = re.sub(r"\bBLOB\b", "BYTEA", out)
    return re.sub(r"\bINTEGER\b", "BIGINT", out)


class PgRow:
    """A row read by column name or by position, like sqlite3.Row (`dict(row)` works)."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: Sequence[Any]) -> None:
        self._index = index
        self._values = values

    def __getitem__(self, key: int | str, /) -> Any:
        return self._values[self._index[key] if isinstance(key, str) else key]

    def keys(self) -> list[str]:
        return list(self._index)

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)


def pg_row(cursor: Any) -> RowMaker[PgRow]:
    index: dict[str, int] = {}
    for i, col in enumerate(cursor.description or ()):
        index.setdefault(col.name, i)  # first of a repeated name, as sqlite3.Row
    return lambda values: PgRow(index, values)


def _params(params: Any) -> Any:
    """SQLite stores a bool as 0/1 in an INTEGER column; so does this."""
    if isinstance(params, dict):
        return {k: int(v) if isinstance(v, bool) else v for k, v in params.items()}
    return [int(v) if isinstance(v, bool) else v for v in params]


class PgConn:
    """A psycopg connection speaking the modules' SQLite dialect (`execute`, `executemany`)."""

    def __init__(self, raw: psycopg.Connection[PgRow]) -> None:
        self.raw = raw
        self.held: set[Lock] = set()

    def take(self, *locks: Lock) -> None:
        """Take advisory locks for the rest of this transaction, in rank order (see module doc)."""
        for lock in sorted(locks, key=lambda lk: (lk.rank, lk.key)):
            if lock in self.held:
                continue
            top = max((h.rank for h in self.held), default=-1)
            if lock.rank <= top:
                raise RuntimeError(f"lock {lock.name} taken after a lock of rank {top}: deadlock-prone order")
            self.raw.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (LOCK_CLASS + lock.rank, lock.key)
            )
            self.held.add(lock)

    def execute(self, sql: str, parameters: Any = (), /) -> psycopg.Cursor[PgRow]:
        return self.raw.execute(translate(sql), _params(parameters))

    def executemany(self, sql: str, parameters: Any, /) -> psycopg.Cursor[PgRow]:
        cur = self.raw.cursor()
        cur.executemany(translate(sql), [_params(p) for p in parameters])
        return cur


class _Result:
    """Rows fetched inside a pooled call, after the connection went back to the pool."""

    def __init__(self, rows: list[PgRow], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> PgRow | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[PgRow]:
        return list(self._rows)

    def __iter__(self) -> Iterator[PgRow]:
        return iter(self._rows)


class PooledConn:
    """Outside a transaction: each statement on a pooled connection in autocommit."""

    def __init__(self, run: Callable[[str, Any, bool], _Result]) -> None:
        self._run = run

    def execute(self, sql: str, parameters: Any = (), /) -> _Result:
        return self._run(sql, parameters, False)

    def executemany(self, sql: str, parameters: Any, /) -> _Result:
        return self._run(sql, parameters, True)


class PostgresGatewayDB(StoreOps):
    """The gateway store in one PostgreSQL database, shared by every worker process.

    `kek_path` is the local file the key-encryption key of the server's private keys sits beside
    (`<kek_path>.kek`, or $CARDSTATION_GATEWAY_KEK_FILE): every worker must read the same one.
    """

    def __init__(self, dsn: str, kek_path: str | Path, *, max_size: int = POOL_MAX) -> None:
        self.dsn = dsn
        kek = Path(kek_path)
        # kek.load_kek reads `<path>.kek`: `--kek /etc/gw.kek` and `--kek /etc/gw` name the same file.
        self.path = kek.with_name(kek.name.removesuffix(".kek"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        if importlib.util.find_spec("psycopg") is None or importlib.util.find_spec("psycopg_pool") is None:
            raise DatabaseUnreachable(
                "使用 PostgreSQL 数据库需要安装 psycopg：pip install 'cardstation[gateway]'"
                "（或 pip install 'psycopg[binary,pool]'）。",
                code="psycopg_missing",
            )
        import psycopg_pool
        from psycopg import ClientCursor

        # The pool logs each failed connection attempt; with no logging configured Python would
        # print those English lines on stderr. A NullHandler stops that fallback, while a configured
        # gateway log still receives them; the caller reports the failure once, in Chinese.
        logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())
        self.pool: ConnectionPool[psycopg.Connection[PgRow]] = psycopg_pool.ConnectionPool(
            dsn,
            min_size=1,
            max_size=max_size,
            kwargs={"autocommit": True, "row_factory": pg_row, "cursor_factory": ClientCursor},
            open=True,
            timeout=60.0,
            name="cardstation-gateway",
        )
        try:
            self.pool.wait(timeout=CONNECT_TIMEOUT_S)
        except psycopg_pool.PoolTimeout as exc:
            self.pool.close()
            raise DatabaseUnreachable(
                f"连不上网关数据库 {redact(dsn)}：请检查地址、端口、用户名与口令，并确认 PostgreSQL 正在运行。",
                code="database_unreachable",
            ) from exc
        from sync.gateway.schema import migrate

        with self.write(Lock.SCHEMA) as conn:  # workers starting together: one migrates, the rest wait
            self.schema = migrate(conn, self)

    # ------------------------------------------------------------------ the migrator's view (schema.Engine)

    def ddl(self, statement: str) -> str:
        return pg_ddl(statement)

    def tables(self, conn: Conn) -> set[str]:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        return {str(r[0]) for r in rows}

    def columns(self, conn: Conn, table: str) -> dict[str, bool]:
        """Column name → part of the primary key."""
        rows = conn.execute(
            "SELECT c.column_name, EXISTS (SELECT 1 FROM information_schema.key_column_usage k"
            " JOIN information_schema.table_constraints t ON t.constraint_name = k.constraint_name"
            " AND t.table_schema = k.table_schema AND t.constraint_type = 'PRIMARY KEY'"
            " WHERE k.table_schema = c.table_schema AND k.table_name = c.table_name"
            " AND k.column_name = c.column_name) FROM information_schema.columns c"
            " WHERE c.table_schema = current_schema() AND c.table_name = ?",
            (table,),
        )
        return {str(r[0]): bool(r[1]) for r in rows}

    def _run(self, sql: str, params: Any, many: bool) -> _Result:
        with self.pool.connection() as raw:
            conn = PgConn(raw)
            cur = conn.executemany(sql, params) if many else conn.execute(sql, params)
            rows = cur.fetchall() if cur.description is not None else []
            return _Result(rows, cur.rowcount)

    def connection(self) -> PgConn | PooledConn:
        current: PgConn | None = getattr(self._local, "conn", None)
        return current if current is not None else PooledConn(self._run)

    @contextmanager
    def _transaction(self, locks: tuple[Lock, ...], *, read_only: bool) -> Iterator[PgConn]:
        current: PgConn | None = getattr(self._local, "conn", None)
        if current is not None:
            current.take(*locks)
            yield current
            return
        with self.pool.connection() as raw, raw.transaction():
            conn = PgConn(raw)
            if read_only:
                raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            conn.take(*locks)
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None

    def write(self, *locks: Lock) -> Any:
        """One READ COMMITTED transaction holding `locks`; rolled back on any exception."""
        return self._transaction(locks, read_only=False)

    def read(self) -> Any:
        """One REPEATABLE READ snapshot (the roster snapshot reads version, count and rows in it)."""
        return self._transaction((), read_only=True)

    def query(self, sql: str, params: Any = ()) -> list[PgRow]:
        return self.connection().execute(sql, params).fetchall()

    def one(self, sql: str, params: Any = ()) -> PgRow | None:
        row: PgRow | None = self.connection().execute(sql, params).fetchone()
        return row

    def blob_range(self, table: str, column: str, key: str, key_value: str, start: int, length: int) -> bytes:
        row = self.one(
            f"SELECT substr({column}, ?, ?) AS part FROM {table} WHERE {key} = ?",
            (start + 1, max(0, length), key_value),
        )
        return b"" if row is None else bytes(row["part"])

    def close(self) -> None:
        self.pool.close()


def open_gateway_db(
    target: str | Path, *, kek_path: str | Path | None = None
) -> GatewayDB | PostgresGatewayDB:
    """`postgresql://...` → PostgreSQL; anything else is the SQLite file path."""
    if is_postgres_url(target):
        return PostgresGatewayDB(str(target), kek_path or default_kek_path())
    return GatewayDB(target)
