"""Operator accounts: individual, named, with a role (R-SEC-2, R-ID-6; HB 4, HB 49).

Every change is audited. Managing accounts needs 'operators.manage' (the station's
系统管理员); a person changes their own password with the old one. The station always
keeps at least one active administrator, or nobody could manage it any more.

Login itself (hashing, lockout) lives in `offline.auth`.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from offline import audit
from offline.auth import (
    hash_password,
    locked_until,
    lockout_policy,
    normalise_username,
    password_problems,
    verify_credentials,
)
from offline.business import Operator
from offline.errors import DomainError, Problem, ValidationError
from offline.permissions import ROLE_NAMES, require
from offline.sessions import end_sessions_of
from offline.store import Store

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
REAL_NAME_MIN, REAL_NAME_MAX = 2, 30

# Operator-facing text (Chinese), kept together.
LABEL_USERNAME, LABEL_REAL_NAME, LABEL_ROLE = "用户名", "真实姓名", "角色"
MSG_USERNAME_FORMAT = "用户名格式不正确"
FIX_USERNAME = "请使用 2-32 位小写字母、数字、下划线、点或横线，以字母开头（如 wangxh）。"
MSG_USERNAME_TAKEN = "用户名“{name}”已被使用"
FIX_USERNAME_TAKEN = "请换一个用户名；停用的账户可以重新启用。"
MSG_REAL_NAME = "必须填写操作员本人的真实姓名（{lo}-{hi} 个字，不含数字）"
FIX_REAL_NAME = "请按身份证件填写真实姓名，业务记录将以此署名。"
MSG_ROLE = "角色“{role}”不存在"
FIX_ROLE = "请选择：" + "、".join(f"{k}（{v}）" for k, v in ROLE_NAMES.items()) + "。"
MSG_NO_SUCH = "没有用户名为“{name}”的操作员"
FIX_NO_SUCH = "请用“cardstation operator list”查看现有操作员。"
MSG_LAST_ADMIN = "这是最后一个启用的系统管理员账户，不能停用"
FIX_LAST_ADMIN = "请先新建并启用另一个系统管理员账户。"
REASON_REVOKED_PREFIX = "卡管系统通知吊销"


@dataclass(frozen=True)
class OperatorInfo:
    """One account as the operator list shows it (never the hash)."""

    id: int
    username: str
    real_name: str
    role: str
    active: bool
    failed_attempts: int
    locked_until: str | None
    revoked_reason: str | None
    created_at: str

    @property
    def role_zh(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)

    def as_operator(self) -> Operator:
        return Operator(self.id, self.username, self.real_name, self.role)


def _iso(now: datetime) -> str:
    aware = now if now.tzinfo is not None else now.astimezone()
    return aware.isoformat(timespec="seconds")


def _info(row: sqlite3.Row) -> OperatorInfo:
    return OperatorInfo(
        id=int(row["id"]),
        username=str(row["username"]),
        real_name=str(row["real_name"]),
        role=str(row["role"]),
        active=bool(row["active"]),
        failed_attempts=int(row["failed_attempts"]),
        locked_until=row["locked_until"],
        revoked_reason=row["revoked_reason"],
        created_at=str(row["created_at"]),
    )


_COLUMNS = "id, username, real_name, role, active, failed_attempts, locked_until, revoked_reason, created_at"


def account_problems(username: str, real_name: str, role: str) -> list[Problem]:
    """Validate a new account's name, real name (R-ID-6) and role (R-SEC-2)."""
    found: list[Problem] = []
    if not USERNAME_RE.match(normalise_username(username)):
        found.append(Problem("username", "R-SEC-2", MSG_USERNAME_FORMAT, FIX_USERNAME, LABEL_USERNAME))
    name = real_name.strip()
    if not REAL_NAME_MIN <= len(name) <= REAL_NAME_MAX or any(c.isdigit() for c in name):
        found.append(
            Problem(
                "real_name",
                "R-ID-6",
                MSG_REAL_NAME.format(lo=REAL_NAME_MIN, hi=REAL_NAME_MAX),
                FIX_REAL_NAME,
                LABEL_REAL_NAME,
            )
        )
    if role not in ROLE_NAMES:
        found.append(Problem("role", "R-SEC-2", MSG_ROLE.format(role=role), FIX_ROLE, LABEL_ROLE))
    return found


def insert_operator(
    conn: sqlite3.Connection,
    *,
    username: str,
    real_name: str,
    role: str,
    password: str,
    now: datetime,
    by_id: int | None,
) -> Operator:
    """Validate and insert an account inside the caller's transaction (station init uses it directly).

    Hashing happens here, so callers that care about lock time should validate first.
    """
    name = normalise_username(username)
    problems = account_problems(name, real_name, role) + password_problems(name, password)
    if problems:
        raise ValidationError(problems)
    if conn.execute("SELECT 1 FROM operators WHERE username = ?", (name,)).fetchone():
        raise ValidationError(
            Problem(
                "username",
                "R-SEC-2",
                MSG_USERNAME_TAKEN.format(name=name),
                FIX_USERNAME_TAKEN,
                LABEL_USERNAME,
            )
        )
    cur = conn.execute(
        "INSERT INTO operators(username, real_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        (name, real_name.strip(), role, hash_password(password), _iso(now)),
    )
    new_id = int(cur.lastrowid or 0)
    audit.append(
        conn,
        at=_iso(now),
        operator_id=by_id,
        action="operator.create",
        target=name,
        details={"id": new_id, "role": role},
    )
    return Operator(new_id, name, real_name.strip(), role)


def create_operator(
    store: Store, *, username: str, real_name: str, role: str, password: str, by: Operator, now: datetime
) -> Operator:
    """Create an account (R-SEC-2: individual and named; R-ID-6: real name required)."""
    require(by, "operators.manage")
    problems = account_problems(username, real_name, role) + password_problems(username, password)
    if problems:  # fail before taking the write lock
        raise ValidationError(problems)
    with store.write() as conn:
        return insert_operator(
            conn, username=username, real_name=real_name, role=role, password=password, now=now, by_id=by.id
        )


def get_operator(store: Store, username: str) -> OperatorInfo | None:
    row = store.one(f"SELECT {_COLUMNS} FROM operators WHERE username = ?", (normalise_username(username),))
    return None if row is None else _info(row)


def list_operators(store: Store, *, include_inactive: bool = True) -> list[OperatorInfo]:
    """All accounts, active first, then by user name."""
    where = "" if include_inactive else "WHERE active = 1"
    rows = store.query(f"SELECT {_COLUMNS} FROM operators {where} ORDER BY active DESC, username")
    return [_info(r) for r in rows]


def _existing(conn: sqlite3.Connection, username: str) -> sqlite3.Row:
    name = normalise_username(username)
    row: sqlite3.Row | None = conn.execute(
        f"SELECT {_COLUMNS} FROM operators WHERE username = ?", (name,)
    ).fetchone()
    if row is None:
        raise DomainError.one(
            "username", "R-SEC-2", MSG_NO_SUCH.format(name=name), FIX_NO_SUCH, LABEL_USERNAME
        )
    return row


def _refuse_last_admin(conn: sqlite3.Connection, row: sqlite3.Row) -> None:
    if row["role"] != "admin" or not row["active"]:
        return
    others = conn.execute(
        "SELECT COUNT(*) FROM operators WHERE role = 'admin' AND active = 1 AND id != ?", (row["id"],)
    ).fetchone()[0]
    if not others:
        raise DomainError.one("username", "R-SEC-2", MSG_LAST_ADMIN, FIX_LAST_ADMIN, LABEL_USERNAME)


def deactivate_operator(
    store: Store, username: str, *, by: Operator, now: datetime, reason: str = ""
) -> None:
    """Disable an account (leaves its history intact); its open sessions end at once."""
    require(by, "operators.manage")
    at = _iso(now)
    with store.write() as conn:
        row = _existing(conn, username)
        _refuse_last_admin(conn, row)
        conn.execute(
            "UPDATE operators SET active = 0, revoked_reason = ? WHERE id = ?",
            (reason.strip() or None, row["id"]),
        )
        ended = end_sessions_of(conn, int(row["id"]), "disabled", at)
        audit.append(
            conn,
            at=at,
            operator_id=by.id,
            action="operator.disable",
            target=row["username"],
            details={"reason": reason.strip(), "sessions_ended": ended},
        )


def reactivate_operator(store: Store, username: str, *, by: Operator, now: datetime) -> None:
    """Re-enable a disabled account, clearing its failures and lock."""
    require(by, "operators.manage")
    with store.write() as conn:
        row = _existing(conn, username)
        conn.execute(
            "UPDATE operators SET active = 1, revoked_reason = NULL, failed_attempts = 0, locked_until = NULL "
            "WHERE id = ?",
            (row["id"],),
        )
        audit.append(conn, at=_iso(now), operator_id=by.id, action="operator.enable", target=row["username"])


def unlock_operator(store: Store, username: str, *, by: Operator, now: datetime) -> None:
    """Lift a lockout before its time (the admin has checked who is asking)."""
    require(by, "operators.manage")
    with store.write() as conn:
        row = _existing(conn, username)
        conn.execute(
            "UPDATE operators SET failed_attempts = 0, locked_until = NULL WHERE id = ?", (row["id"],)
        )
        audit.append(
            conn,
            at=_iso(now),
            operator_id=by.id,
            action="operator.unlock",
            target=row["username"],
            details={"was_locked": locked_until(row["locked_until"], now) is not None},
        )


def _set_password(conn: sqlite3.Connection, operator_id: int, password_hash: str) -> None:
    conn.execute(
        "UPDATE operators SET password_hash = ?, failed_attempts = 0, locked_until = NULL WHERE id = ?",
        (password_hash, operator_id),
    )


def change_password(
    store: Store,
    username: str,
    old_password: str,
    new_password: str,
    *,
    now: datetime,
    lockout_attempts: int | None = None,
    lockout_minutes: int | None = None,
) -> None:
    """A person changes their own password; a wrong old password counts towards lockout."""
    problems = password_problems(username, new_password)
    if problems:
        raise ValidationError(problems)
    policy = lockout_policy(attempts=lockout_attempts, minutes=lockout_minutes)
    row = verify_credentials(store, username, old_password, now=now, policy=policy)
    new_hash = hash_password(new_password)
    with store.write() as conn:
        _set_password(conn, int(row["id"]), new_hash)
        audit.append(
            conn,
            at=_iso(now),
            operator_id=int(row["id"]),
            action="operator.password_change",
            target=str(row["username"]),
        )


def reset_password(store: Store, username: str, new_password: str, *, by: Operator, now: datetime) -> None:
    """The administrator sets a new password for someone who forgot theirs; clears any lock."""
    require(by, "operators.manage")
    problems = password_problems(username, new_password)
    if problems:
        raise ValidationError(problems)
    new_hash = hash_password(new_password)
    with store.write() as conn:
        row = _existing(conn, username)
        _set_password(conn, int(row["id"]), new_hash)
        audit.append(
            conn, at=_iso(now), operator_id=by.id, action="operator.password_reset", target=row["username"]
        )


def revoke_operator(conn: sqlite3.Connection, username: str, reason: str, *, at: str | None = None) -> bool:
    """Apply the downlink update "operator revoked" inside the caller's (inbox) transaction.

    Disables the account and ends its sessions, even if it is the last administrator: the card
    management system's decision wins. Returns False when no such account exists here.
    """
    when = at or _iso(datetime.now())
    row = conn.execute(
        "SELECT id, username FROM operators WHERE username = ?", (normalise_username(username),)
    ).fetchone()
    if row is None:
        return False
    text = f"{REASON_REVOKED_PREFIX}：{reason}" if reason else REASON_REVOKED_PREFIX
    conn.execute("UPDATE operators SET active = 0, revoked_reason = ? WHERE id = ?", (text, row["id"]))
    ended = end_sessions_of(conn, int(row["id"]), "revoked", when)
    audit.append(
        conn,
        at=when,
        operator_id=None,
        action="operator.revoke",
        target=str(row["username"]),
        details={"reason": reason, "sessions_ended": ended},
    )
    return True
