"""The station's wall clock: local time with its UTC offset, the one place that reads it.

Every service receives `now` through its context (tests inject a fixed clock); the modules that
stamp rows outside a business (outbox leases, journal entries, downlink cursors, sync
bookkeeping) call `clock.now()` through this module, so a test can move the clock for all of
them with one `monkeypatch.setattr(clock, "now", ...)`.
"""

from __future__ import annotations

from datetime import datetime


def now() -> datetime:
    """Local wall-clock time with its offset (what every service receives as `now`)."""
    return datetime.now().astimezone()


def now_iso() -> str:
    """`now()` as ISO 8601 to the second, the form stored in every `*_at` column."""
    return now().isoformat(timespec="seconds")
