"""What the TUI's status bar and sync screen show, read from the store (any process)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from offline import outbox
from offline.store import Store
from sync import messages, state


@dataclass(frozen=True)
class SyncStatus:
    link_state: str  # 'unknown' | 'up' | 'down' | 'portal' | 'refused'
    queue_depth: int
    oldest_unsent_age_s: float | None
    last_success_at: str | None
    last_error: dict[str, str] | None  # {code, message (Chinese), detail, at}
    quarantine_count: int
    conflicts: int

    def line_zh(self) -> str:
        """One line for the status bar."""
        age = ""
        if self.oldest_unsent_age_s is not None and self.oldest_unsent_age_s >= 3600:
            age = messages.STATUS_AGE.format(hours=int(self.oldest_unsent_age_s // 3600))
        return messages.STATUS_LINE.format(
            link=messages.LINK_STATES.get(self.link_state, self.link_state),
            depth=self.queue_depth,
            age=age,
            quarantine=self.quarantine_count,
            conflicts=self.conflicts,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sync_status(store: Store, now: datetime | None = None) -> SyncStatus:
    st = outbox.status(store)
    age: float | None = None
    if st.oldest_unsent_at:
        moment = now or datetime.now().astimezone()
        age = max(0.0, (moment - datetime.fromisoformat(st.oldest_unsent_at)).total_seconds())
    return SyncStatus(
        link_state=store.setting(state.LINK_STATE, "unknown") or "unknown",
        queue_depth=st.pending,
        oldest_unsent_age_s=age,
        last_success_at=store.setting(state.LAST_SUCCESS) or None,
        last_error=state.last_error(store),
        quarantine_count=st.quarantined,
        conflicts=st.conflicts,
    )
