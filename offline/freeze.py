"""Freeze rules: stop taking new applications when the station has drifted too far from the centre.

Why (MOSIP-style registration-client freeze): a station offline for weeks keeps accepting
applications that the card management system has never seen, so one person one card (R-APP-3)
cannot be checked centrally and a disk failure would lose more and more unsent work. A full disk
is worse: SQLite cannot commit, and a half-finished day is lost. So:

- R-FRZ-1 the oldest envelope not yet acknowledged waited longer than `profile.freeze_unsynced_days`
  → frozen; longer than `profile.freeze_warn_days` → warning.
- R-FRZ-2 free disk space of the store's directory below `profile.disk_floor_mb` → frozen;
  below `profile.disk_warn_mb` → warning.
- R-FRZ-3 a supervisor may override a freeze for one business (`freeze.override` permission);
  the override is written to the audit chain in the business's own transaction.

Only *new applications* are refused: losses, queries, issuance and the rest go on, because they
protect the holder and do not add load the centre has not seen.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from offline.profiles import Profile

from offline.errors import Problem, ValidationError
from offline.store import Store

OK, WARNING, FROZEN = "ok", "warning", "frozen"

MSG_UNSYNCED = "最早一笔未确认上传的业务已等待 {days} 天（上限 {limit} 天）"
MSG_UNSYNCED_WARN = "最早一笔未确认上传的业务已等待 {days} 天，{limit} 天后将停止受理新申领"
MSG_DISK = "磁盘剩余空间 {free} MB，低于下限 {limit} MB"
MSG_DISK_WARN = "磁盘剩余空间 {free} MB，低于提醒线 {limit} MB"
FIX_FROZEN = "请尽快联网同步、清理磁盘；确需办理的，请主管登录授权本笔业务。"


@dataclass(frozen=True)
class FreezeState:
    """Where the station stands; `reasons` are Chinese lines for the status bar and the refusal."""

    level: str  # ok | warning | frozen
    reasons: tuple[str, ...]
    rules: tuple[str, ...]
    oldest_unacked_at: str | None
    unsynced_days: float
    free_mb: int

    @property
    def frozen(self) -> bool:
        return self.level == FROZEN


def _oldest_unacked(store: Store) -> str | None:
    row = store.one("SELECT MIN(created_at) FROM outbox WHERE state != 'acked'")
    return None if row is None or row[0] is None else str(row[0])


def freeze_state(
    store: Store, profile: Profile, *, now: datetime, disk_path: Path | str | None = None
) -> FreezeState:
    """Compute ok / warning / frozen (R-FRZ-1, R-FRZ-2). Reads only; cheap enough for every commit."""
    reasons: list[str] = []
    rules: list[str] = []
    level = OK

    def raise_to(new: str) -> None:
        nonlocal level
        if new == FROZEN or (new == WARNING and level == OK):
            level = new

    oldest = _oldest_unacked(store)
    days = 0.0
    if oldest is not None:
        started = datetime.fromisoformat(oldest)
        if started.tzinfo is None and now.tzinfo is not None:
            started = started.replace(tzinfo=now.tzinfo)
        days = max(0.0, (now - started).total_seconds() / 86400)
        limit, warn = profile.freeze_unsynced_days, profile.freeze_warn_days
        if days > limit:
            raise_to(FROZEN)
            reasons.append(MSG_UNSYNCED.format(days=int(days), limit=limit))
            rules.append("R-FRZ-1")
        elif days > warn:
            raise_to(WARNING)
            reasons.append(MSG_UNSYNCED_WARN.format(days=int(days), limit=limit))
            rules.append("R-FRZ-1")

    path = Path(disk_path) if disk_path is not None else store.path.parent
    free_mb = int(shutil.disk_usage(path).free // (1024 * 1024))
    if free_mb < profile.disk_floor_mb:
        raise_to(FROZEN)
        reasons.append(MSG_DISK.format(free=free_mb, limit=profile.disk_floor_mb))
        rules.append("R-FRZ-2")
    elif free_mb < profile.disk_warn_mb:
        raise_to(WARNING)
        reasons.append(MSG_DISK_WARN.format(free=free_mb, limit=profile.disk_warn_mb))
        rules.append("R-FRZ-2")
    return FreezeState(level, tuple(reasons), tuple(rules), oldest, days, free_mb)


def check_not_frozen(state: FreezeState, override_by: Any) -> None:
    """Refuse a new application while frozen, unless a supervisor overrides (R-FRZ-3).

    `override_by` is the supervisor's `Operator` (the screen logs the supervisor in); their
    permission is checked here, in the service layer.
    """
    if not state.frozen:
        return
    if override_by is None:
        raise ValidationError(
            [
                Problem("freeze", rule, "本站已暂停受理新申领：" + reason, FIX_FROZEN, "暂停受理")
                for rule, reason in zip(state.rules, state.reasons, strict=True)
            ]
        )
    from offline.permissions import require

    require(override_by, "freeze.override")


def override_details(state: FreezeState, override_by: Any) -> dict[str, Any]:
    """The audit details of a supervisor's override (R-FRZ-3), written in the business transaction
    (`Business.audit("freeze.override", ...)`, right after the business's own entry)."""
    return {
        "supervisor_id": override_by.id,
        "supervisor": override_by.username,
        "rules": list(state.rules),
        "reasons": list(state.reasons),
    }
