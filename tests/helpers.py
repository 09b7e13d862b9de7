"""Small helpers every test area shares (import as `from tests.helpers import one`)."""

from __future__ import annotations

import sqlite3
from typing import Any, Protocol


class Queryable(Protocol):
    """The station store (`offline.store.Store`) or the gateway's database (`GatewayDB`)."""

    def one(self, sql: str, params: Any = ()) -> sqlite3.Row | None: ...


def one(db: Queryable, sql: str, params: Any = ()) -> Any:
    """A row that must exist (tests read back what a service or a screen wrote).

    Typed loosely on purpose so that assertions can index the row without a cast.
    """
    row = db.one(sql, params)
    assert row is not None, sql
    return row
