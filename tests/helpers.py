"""Small helpers every test area shares (import as `from tests.helpers import one`)."""

from __future__ import annotations

from typing import Any

from offline.store import Store


def one(store: Store, sql: str, params: Any = ()) -> Any:
    """A row that must exist (tests read back what a service or a screen wrote).

    Typed loosely on purpose so that assertions can index the row without a cast.
    """
    row = store.one(sql, params)
    assert row is not None, sql
    return row
