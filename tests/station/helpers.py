"""Helpers shared by the station-operations tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def station_connection(path: Path) -> sqlite3.Connection:
    """A connection through the store's own factory (so it follows the store's encryption, if any)."""
    from offline.store import Store

    return Store(path).connection()
