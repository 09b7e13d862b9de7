"""The gateway store's schema: ordered, numbered migrations and the version they reached.

Why migrations and not "create if missing": a province runs the gateway for years, on SQLite
or PostgreSQL, and a new release must bring an existing store forward — columns added, tables
re-keyed, data carried over — in a known order, once. Each migration is a file
`sync/gateway/migrations/NNNN_name.sql` in SQLite's dialect; PostgreSQL gets the same text
translated (`pgdb.pg_ddl`), so the two engines cannot drift.

`schema_version` records every migration applied (version, name, when). `migrate()` runs in
the caller's write transaction — every pending migration and its record commit together or
not at all — which on PostgreSQL holds `Lock.SCHEMA`, so N workers starting at once migrate
once: the others wait, then find nothing to do. A store whose version is above what this code
knows is refused (a newer release wrote it; an older one must not touch it).

A store made before versions were recorded has no `schema_version`; its version is read off
its shape (`legacy_version`), the way the release that made it left it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Protocol

from offline.protocols import CardstationError
from offline.store import split_sql
from sync.gateway.db import Conn


class SchemaTooNew(CardstationError):
    """The store was migrated by a newer release than this one (Chinese message for the CLI)."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Every migration in order; the numbers run 1, 2, 3… with no gap or repeat."""
    found = []
    for entry in resources.files("sync.gateway.migrations").iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"gateway migrations must be numbered 1..N: {[m.version for m in found]}")
    return found


def latest() -> int:
    """The schema version this code writes."""
    return len(migrations())


class Engine(Protocol):
    """What the migrator needs of an engine: its DDL dialect and a look at an unversioned store."""

    def ddl(self, statement: str) -> str: ...
    def tables(self, conn: Conn) -> set[str]: ...
    def columns(self, conn: Conn, table: str) -> dict[str, bool]: ...


VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
)


def legacy_version(conn: Conn, engine: Engine) -> int:
    """The version of a store from before `schema_version`, read off its tables and columns.

    0: empty. 1: envelope ids global (the first release). 2: no catalogue yet. 3: no cipher
    suites yet. 4: everything earlier releases made (bank_changes may or may not exist: 0005
    creates it if missing).
    """
    tables = engine.tables(conn)
    if "envelopes" not in tables:
        return 0
    if [c for c, pk in engine.columns(conn, "envelopes").items() if pk] == ["envelope_id"]:
        return 1
    if "holders" not in tables:
        return 2
    if "suite" not in engine.columns(conn, "stations"):
        return 3
    return 4


def current_version(conn: Conn, engine: Engine) -> int:
    """The store's version: the highest recorded, else what its shape says."""
    if "schema_version" not in engine.tables(conn):
        return legacy_version(conn, engine)
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def too_new(have: int, know: int) -> SchemaTooNew:
    return SchemaTooNew(
        f"网关数据库的结构版本为 {have}，高于本程序支持的版本 {know}：它已被更新版本的 cardstation 升级过。"
        "请用同一版本（或更新版本）的 cardstation 打开，不要用旧版本启动网关。",
        code="schema_newer",
    )


def migrate(conn: Conn, engine: Engine, *, clock: Callable[[], datetime] | None = None) -> tuple[int, int]:
    """Apply every pending migration in the caller's transaction; (version before, version after)."""
    have = current_version(conn, engine)
    known = migrations()
    if have > len(known):
        raise too_new(have, len(known))
    unversioned = "schema_version" not in engine.tables(conn)
    conn.execute(engine.ddl(VERSION_TABLE))
    if unversioned and have:  # what the store already had, recorded as such
        conn.executemany(
            "INSERT INTO schema_version(version, name, applied_at) VALUES (?, ?, '')",
            [(m.version, m.name) for m in known[:have]],
        )
    at = (clock or (lambda: datetime.now(UTC)))().isoformat(timespec="seconds")
    for m in known[have:]:
        for statement in split_sql(m.sql):
            conn.execute(engine.ddl(statement))
        conn.execute(
            "INSERT INTO schema_version(version, name, applied_at) VALUES (?, ?, ?)", (m.version, m.name, at)
        )
    return have, len(known)
