"""Thin calls from the shell into `offline/` services, each run in a thread worker by the caller.

Why a module of its own: the screens stay free of import details (lazy imports keep the cold
start fast: argon2, the profile loader and the alert queries load only when first used), and
the places where the shell depends on a colleague's API are in one file.
Nothing here touches SQL directly: it only calls `offline/`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from offline.business import Operator
    from tui.context import AppServices


def authenticate(services: AppServices, username: str, password: str) -> Operator:
    """Log in (R-SEC-2) with the profile's lockout policy; raises AuthError (Chinese message)."""
    from offline.auth import authenticate as _authenticate

    return _authenticate(services.store, username, password, now=services.now(), profile=services.profile)


def open_session(services: AppServices, operator: Operator) -> str:
    from offline.sessions import open_session as _open

    return _open(
        services.store, operator, origin=services.origin or "local", pid=os.getpid(), now=services.now()
    )


def touch_session(services: AppServices, session_id: str) -> bool:
    from offline.sessions import touch

    return touch(services.store, session_id, services.now())


def close_session(services: AppServices, session_id: str, reason: str) -> None:
    from offline.sessions import close_session as _close

    _close(services.store, session_id, reason, now=services.now())


def list_sessions(services: AppServices) -> list[Any]:
    from offline.sessions import list_sessions as _list

    return list(_list(services.store, open_only=True))


@dataclass(frozen=True)
class PendingDraft:
    form: str
    updated_at: str
    data: dict[str, str]


def pending_drafts(services: AppServices, operator_id: int) -> list[PendingDraft]:
    """This operator's saved drafts with their data (read once at login, kept in memory)."""
    from offline.drafts import list_drafts, load_draft

    out: list[PendingDraft] = []
    for info in list_drafts(services.store, operator_id):
        data = load_draft(services.store, operator_id, info.form)
        if data:
            out.append(PendingDraft(info.form, info.updated_at, data))
    return out


def discard_drafts(services: AppServices, operator_id: int, forms: list[str]) -> None:
    from offline.drafts import discard_draft

    for form in forms:
        discard_draft(services.store, operator_id, form)


def idle_lock_seconds(services: AppServices, override_minutes: float | None) -> float:
    """Config override, else the profile's `idle_lock_minutes`; 0 disables."""
    if override_minutes is not None:
        return max(0.0, float(override_minutes) * 60)
    return float(services.profile.idle_lock_minutes) * 60


@dataclass(frozen=True)
class AlertLine:
    """One alert for the home summary and the alerts screen (Chinese text, count, severity)."""

    key: str
    text: str
    count: int = 0
    severity: str = "info"  # info | warn | error


def read_alerts(services: AppServices) -> list[AlertLine]:
    """The alerts of business-rules R-ISS-2, R-ISS-6, temp stock, sync queue, quarantine, PIN locks."""
    from offline.services.alerts import alerts

    return [
        AlertLine(key=a.kind, text=a.message_zh, count=a.count, severity=a.severity)
        for a in alerts(services.store, services.profile, today=services.now().date())
    ]
