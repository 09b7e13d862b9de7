"""Compare-and-write on the store's `settings` table, for callers outside `offline/`.

`sync/` keeps its bookkeeping (link state, backoff, the one-runner lease) in settings that a
TUI in another process reads. It must not hold SQL of its own (architecture.md: `sync/` reaches
the store only through `offline`), so the two shapes it needs live here: write only what
changed, and read-decide-write one key inside a single IMMEDIATE transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from offline.store import Store


def put_if_changed(store: Store, values: dict[str, str]) -> bool:
    """Write the settings that differ from what is stored; True when anything was written.

    Unchanged values are not written: needless writes would wake every WAL reader.
    """
    changed = {k: v for k, v in values.items() if store.setting(k) != v}
    if not changed:
        return False
    with store.write() as conn:
        for k, v in changed.items():
            store.set_setting(conn, k, v)
    return True


def update(store: Store, key: str, decide: Callable[[str | None], str | None]) -> str | None:
    """Read `key`, let `decide` choose its new value, write it — all under one write lock.

    `decide` gets the current value (None when unset) and returns the value to store, or None
    to leave it as it is. Returns what was written (None when nothing was). Two processes
    racing for the same key (a lease) therefore never both win.
    """
    with store.write() as conn:
        new = decide(store.setting(key))
        if new is not None:
            store.set_setting(conn, key, new)
        return new
