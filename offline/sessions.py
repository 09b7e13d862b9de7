"""Login sessions: who is working on this station, from where, since when (R-SEC-2, R-SEC-3).

A station PC serves its window and, over SSH, the county office; the session list shows
both. A session is opened after a successful login and ended by logout, by the idle
expiry, when its process is gone (a dropped SSH link kills the process; the session must
not look alive for ever), or when the account is disabled or revoked.

`touch()` is a single-row UPDATE; the UI calls it at most once a minute while the operator
types, so a session's `last_seen_at` is accurate to about a minute. Businesses carry the
session id (businesses.session_id), so the audit can tell a window session from SSH.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from offline import audit
from offline.business import Operator
from offline.permissions import ROLE_NAMES
from offline.store import Store

#: end_reason codes → Chinese, for the session list.
END_REASONS: dict[str, str] = {
    "logout": "退出登录",
    "idle": "空闲超时",
    "process_gone": "连接已断开",
    "disabled": "账户被停用",
    "revoked": "账户被吊销",
}


@dataclass(frozen=True)
class SessionInfo:
    id: str
    operator_id: int
    username: str
    real_name: str
    role: str
    origin: str
    pid: int | None
    started_at: str
    last_seen_at: str
    ended_at: str | None
    end_reason: str | None

    @property
    def role_zh(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)

    @property
    def end_reason_zh(self) -> str:
        return END_REASONS.get(self.end_reason or "", self.end_reason or "")


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.astimezone()


def _iso(dt: datetime) -> str:
    return _aware(dt).isoformat(timespec="seconds")


def session_origin(environ: Mapping[str, str] | None = None, tty: str | None = None) -> str:
    """Where this process is driven from: 'ssh <client address>' or the terminal's name.

    `SSH_CLIENT` is "addr port lport", `SSH_CONNECTION` is "addr port saddr sport"; both start
    with the client's address. Without SSH, the controlling tty (e.g. /dev/tty1), else 'local'.
    """
    env = os.environ if environ is None else environ
    for key in ("SSH_CLIENT", "SSH_CONNECTION"):
        parts = env.get(key, "").split()
        if parts:
            return f"ssh {parts[0]}"
    if tty is not None:
        return tty
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd):
                return os.ttyname(fd)
        except OSError:
            continue
    return "local"


def open_session(store: Store, operator: Operator, *, origin: str, pid: int, now: datetime) -> str:
    """Start a session for a logged-in operator; returns its id (put it in Operator.session_id)."""
    session_id = uuid.uuid4().hex
    at = _iso(now)
    with store.write() as conn:
        conn.execute(
            "INSERT INTO sessions(id, operator_id, origin, pid, started_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
            (session_id, operator.id, origin, pid, at, at),
        )
        audit.append(
            conn,
            at=at,
            operator_id=operator.id,
            action="session.open",
            target=session_id,
            details={"origin": origin, "pid": pid},
        )
    return session_id


def touch(store: Store, session_id: str, now: datetime) -> bool:
    """Record activity. Returns False when the session has been ended meanwhile (log in again)."""
    with store.write() as conn:
        cur = conn.execute(
            "UPDATE sessions SET last_seen_at = ? WHERE id = ? AND ended_at IS NULL", (_iso(now), session_id)
        )
    return cur.rowcount == 1


def _end(conn: sqlite3.Connection, session_id: str, reason: str, at: str) -> bool:
    cur = conn.execute(
        "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL",
        (at, reason, session_id),
    )
    if cur.rowcount != 1:
        return False
    row = conn.execute("SELECT operator_id FROM sessions WHERE id = ?", (session_id,)).fetchone()
    audit.append(
        conn,
        at=at,
        operator_id=int(row[0]),
        action="session.close",
        target=session_id,
        details={"reason": reason},
    )
    return True


def end_sessions_of(conn: sqlite3.Connection, operator_id: int, reason: str, at: str) -> int:
    """End every open session of an account inside the caller's transaction (disable, revoke)."""
    rows = conn.execute(
        "SELECT id FROM sessions WHERE operator_id = ? AND ended_at IS NULL", (operator_id,)
    ).fetchall()
    return sum(_end(conn, str(r[0]), reason, at) for r in rows)


def close_session(
    store: Store, session_id: str, reason: str = "logout", *, now: datetime | None = None
) -> bool:
    """End a session (audited). Returns False if it was already ended."""
    at = _iso(now or datetime.now())
    with store.write() as conn:
        return _end(conn, session_id, reason, at)


def is_open(store: Store, session_id: str) -> bool:
    row = store.one("SELECT ended_at FROM sessions WHERE id = ?", (session_id,))
    return row is not None and row["ended_at"] is None


def list_sessions(store: Store, *, open_only: bool = True) -> list[SessionInfo]:
    """Sessions with who, role, from where, since when and last seen; newest first."""
    where = "WHERE s.ended_at IS NULL" if open_only else ""
    rows = store.query(
        "SELECT s.id, s.operator_id, o.username, o.real_name, o.role, s.origin, s.pid, s.started_at,"
        " s.last_seen_at, s.ended_at, s.end_reason FROM sessions s JOIN operators o ON o.id = s.operator_id "
        f"{where} ORDER BY s.started_at DESC, s.rowid DESC"
    )
    return [
        SessionInfo(
            id=str(r["id"]),
            operator_id=int(r["operator_id"]),
            username=str(r["username"]),
            real_name=str(r["real_name"]),
            role=str(r["role"]),
            origin=str(r["origin"]),
            pid=None if r["pid"] is None else int(r["pid"]),
            started_at=str(r["started_at"]),
            last_seen_at=str(r["last_seen_at"]),
            ended_at=r["ended_at"],
            end_reason=r["end_reason"],
        )
        for r in rows
    ]


def is_idle(last_activity: datetime, now: datetime, minutes: int) -> bool:
    """True when `minutes` or more passed since the last activity; `minutes <= 0` disables it."""
    if minutes <= 0:
        return False
    return _aware(now) - _aware(last_activity) >= timedelta(minutes=minutes)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine (signal 0 probes without harm)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    except OSError:
        return False
    return True


def expire_idle(
    store: Store, *, idle_minutes: int, now: datetime, alive: Callable[[int], bool] = pid_alive
) -> list[str]:
    """End sessions whose process is gone or that were idle `idle_minutes` or more.

    Returns the ids ended. Safe to run from every process at start-up and now and then: each
    ending is a conditional UPDATE, so two processes never end the same session twice.
    """
    ended: list[str] = []
    candidates = store.query("SELECT id, pid, last_seen_at FROM sessions WHERE ended_at IS NULL")
    reasons: list[tuple[str, str]] = []
    for row in candidates:
        if row["pid"] is not None and not alive(int(row["pid"])):
            reasons.append((str(row["id"]), "process_gone"))
        elif is_idle(datetime.fromisoformat(str(row["last_seen_at"])), now, idle_minutes):
            reasons.append((str(row["id"]), "idle"))
    if not reasons:
        return ended
    at = _iso(now)
    with store.write() as conn:
        for session_id, reason in reasons:
            if _end(conn, session_id, reason, at):
                ended.append(session_id)
    return ended
