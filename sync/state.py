"""Sync bookkeeping in the store's settings, shared with the TUI in another process.

Written only when a value changes (the status bar of another process reads them; needless
writes would also wake WAL readers). Keys: sync_link_state, sync_last_success_at,
sync_last_error (JSON: code, message, at), sync_failures, sync_next_try_at,
sync_runner (pid:until), sync_requested_at (an on-demand request for the daemon).
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass

from offline import clock, outbox, settings
from offline.store import Store
from sync import messages

LINK_STATE = "sync_link_state"
LAST_SUCCESS = "sync_last_success_at"
LAST_ERROR = "sync_last_error"
FAILURES = "sync_failures"
NEXT_TRY = "sync_next_try_at"
RUNNER = "sync_runner"
REQUESTED = "sync_requested_at"


put_if_changed = settings.put_if_changed


# --------------------------------------------------------------------------- backoff


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter between base and cap (seconds)."""

    base_s: float = 5.0
    cap_s: float = 3600.0
    factor: float = 2.0

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """Delay after the n-th consecutive failure (n >= 1): uniform in [d/2, d]."""
        d = min(self.cap_s, self.base_s * self.factor ** max(0, failures - 1))
        r = (rng or random).random()
        return d / 2 + r * d / 2


def record_failure(store: Store, code: str, detail: str, backoff: Backoff, *, link_state: str) -> float:
    """Count the failure, schedule the next try, keep the last error; returns the delay."""
    failures = int(store.setting(FAILURES, "0") or 0) + 1
    delay = backoff.delay(failures)
    err = json.dumps(
        {"code": code, "message": messages.reason(code), "detail": detail[:200], "at": clock.now_iso()},
        ensure_ascii=False,
    )
    put_if_changed(
        store,
        {
            FAILURES: str(failures),
            NEXT_TRY: f"{time.time() + delay:.0f}",
            LAST_ERROR: err,
            LINK_STATE: link_state,
        },
    )
    return delay


def record_success(store: Store, *, link_state: str = "up") -> None:
    put_if_changed(
        store, {FAILURES: "0", NEXT_TRY: "0", LINK_STATE: link_state, LAST_SUCCESS: clock.now_iso()}
    )


def seconds_until_next_try(store: Store) -> float:
    return max(0.0, float(store.setting(NEXT_TRY, "0") or 0) - time.time())


def last_error(store: Store) -> dict[str, str] | None:
    raw = store.setting(LAST_ERROR)
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# --------------------------------------------------------------------------- one runner at a time


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def acquire_runner(store: Store, *, hold_seconds: float, token: str) -> bool:
    """Become the only sync runner of this store (TUI worker, daemon and `sync --once` share it).

    A runner that died (SIGKILL, power cut) leaves its envelopes leased 'sending'; whoever takes
    over after it releases them at once instead of waiting for the leases to run out.
    """
    me = f"{os.getpid()}:{token}"
    stale = False

    def claim(current: str | None) -> str | None:
        nonlocal stale
        if current:
            pid_s, _, rest = current.partition(":")
            holder_token, _, until_s = rest.partition(":")
            try:
                pid, until = int(pid_s), float(until_s)
            except ValueError:
                pid, until = 0, 0.0
            if f"{pid}:{holder_token}" != me and until > time.time() and _alive(pid):
                return None
            stale = not _alive(pid) or until <= time.time()
        return f"{me}:{time.time() + hold_seconds:.0f}"

    if settings.update(store, RUNNER, claim) is None:
        return False
    if stale:
        leased = [e.envelope_id for e in outbox.entries(store, states=(outbox.SENDING,), limit=100_000)]
        if leased:
            outbox.release(store, leased)
    return True


def runner_active(store: Store) -> bool:
    """Someone (this process or another) holds the runner lease right now: a sync is under way."""
    value = store.setting(RUNNER, "") or ""
    pid_s, _, rest = value.partition(":")
    _, _, until_s = rest.partition(":")
    try:
        pid, until = int(pid_s), float(until_s)
    except ValueError:
        return False
    return until > time.time() and _alive(pid)


def release_runner(store: Store, *, token: str) -> None:
    me = f"{os.getpid()}:{token}:"
    settings.update(store, RUNNER, lambda current: "" if (current or "").startswith(me) else None)
