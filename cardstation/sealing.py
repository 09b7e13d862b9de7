"""`station_sealer(store)`: the one place service CLIs and the TUI get a real sealer from.

Kept outside `sync/` so callers need not know where keys live; the import of
cryptography happens only when a sealer is asked for.
"""

from __future__ import annotations

from offline.protocols import Sealer
from offline.store import Store


def station_sealer(store: Store) -> Sealer:
    """Sealer for this store's station. Raises `sync.keys.NotEnrolled` (Chinese message) if not enrolled."""
    from sync.keys import sealer_for

    return sealer_for(store)
