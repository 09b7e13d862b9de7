"""Passwords and login: argon2id hashes, the password policy, lockout (R-SEC-2).

Why these choices:

- argon2id is memory-hard, so a stolen station store (thin clients get lost) cannot be
  brute-forced cheaply on GPUs. Parameters: 46 MiB, 2 passes, 1 lane (OWASP's first
  argon2id recommendation is 46 MiB / 1 pass; we take 2 passes). Measured: 0.07 s per
  verify on a server core (AMD EPYC); thin clients (Celeron/Atom class, about 2-3x slower
  single-threaded) land at roughly 0.15-0.25 s — noticeable once per login, never per
  keystroke. One lane, because a county SSH login must not steal every core of the station
  PC while the window works. Older hashes are upgraded on the next successful login.
- Lockout after `lockout_attempts` failures for `lockout_minutes` (defaults 5 and 15, or the
  province profile's). Names that are not accounts are counted and locked the same way (table
  `login_failures`) and cost the same hash work, so the login screen says nothing about
  which user names exist.
- The login is verified outside any write transaction (the hash takes a while); only the
  counter update is a short IMMEDIATE write.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from offline import audit
from offline.business import Operator
from offline.errors import AuthError, Problem
from offline.profiles import Profile
from offline.store import Store

TIME_COST = 2
MEMORY_COST_KIB = 46 * 1024
PARALLELISM = 1
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
DEFAULT_LOCKOUT_ATTEMPTS = 5
DEFAULT_LOCKOUT_MINUTES = 15
#: Rows of `login_failures` untouched for this long are forgotten.
FORGET_UNKNOWN_AFTER = timedelta(days=1)

HASHER = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM)

# Operator-facing text (Chinese), kept together.
MSG_BAD_CREDENTIALS = "用户名或密码不正确。再错 {left} 次，账户将锁定 {minutes} 分钟。"
MSG_LOCKED = "登录失败次数过多，账户已锁定，请约 {minutes} 分钟后（{until} 后）再试，或请系统管理员解锁。"
MSG_INACTIVE = "该账户已停用{reason}，请联系系统管理员。"
MSG_PASSWORD_SHORT = "密码少于 {n} 位"
MSG_PASSWORD_LONG = "密码超过 {n} 位"
MSG_PASSWORD_IS_USERNAME = "密码不能与用户名相同"
FIX_PASSWORD = "请重新设置至少 {n} 位、不同于用户名的密码，建议字母与数字混合。"
LABEL_PASSWORD = "密码"


@dataclass(frozen=True)
class LockoutPolicy:
    attempts: int = DEFAULT_LOCKOUT_ATTEMPTS
    minutes: int = DEFAULT_LOCKOUT_MINUTES


def lockout_policy(
    profile: Profile | None = None, *, attempts: int | None = None, minutes: int | None = None
) -> LockoutPolicy:
    """Explicit values win, then the profile's `lockout_attempts`/`lockout_minutes`, then defaults."""
    if attempts is None:
        attempts = profile.lockout_attempts if profile is not None else DEFAULT_LOCKOUT_ATTEMPTS
    if minutes is None:
        minutes = profile.lockout_minutes if profile is not None else DEFAULT_LOCKOUT_MINUTES
    return LockoutPolicy(attempts=max(1, attempts), minutes=max(1, minutes))


# --------------------------------------------------------------------------- hashing


def hash_password(password: str) -> str:
    """argon2id hash in PHC string form (`$argon2id$v=19$m=...`)."""
    return HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if `password` matches; False for a wrong password or an unusable hash."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown names, so they cost the same time (computed once)."""
    return HASHER.hash("cardstation-dummy-password")


def password_problems(username: str, password: str) -> list[Problem]:
    """The password policy (R-SEC-2): at least 8 characters, not the user name."""
    fix = FIX_PASSWORD.format(n=MIN_PASSWORD_LENGTH)
    found: list[Problem] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        found.append(
            Problem(
                "password", "R-SEC-2", MSG_PASSWORD_SHORT.format(n=MIN_PASSWORD_LENGTH), fix, LABEL_PASSWORD
            )
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        found.append(
            Problem(
                "password", "R-SEC-2", MSG_PASSWORD_LONG.format(n=MAX_PASSWORD_LENGTH), fix, LABEL_PASSWORD
            )
        )
    if password.strip().lower() == normalise_username(username):
        found.append(Problem("password", "R-SEC-2", MSG_PASSWORD_IS_USERNAME, fix, LABEL_PASSWORD))
    return found


def normalise_username(username: str) -> str:
    """User names are case-insensitive and trimmed: 'Wang ' and 'wang' are one account."""
    return username.strip().lower()


# --------------------------------------------------------------------------- login


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.astimezone()


def _iso(dt: datetime) -> str:
    return _aware(dt).isoformat(timespec="seconds")


def locked_until(value: str | None, now: datetime) -> datetime | None:
    """The lock's end if `value` (stored ISO time) is still in the future, else None."""
    if not value:
        return None
    until = _aware(datetime.fromisoformat(value))
    return until if until > _aware(now) else None


def _locked_error(until: datetime, now: datetime) -> AuthError:
    minutes = max(1, math.ceil((until - _aware(now)).total_seconds() / 60))
    return AuthError("locked", MSG_LOCKED.format(minutes=minutes, until=until.strftime("%H:%M")))


def _count_failure(
    conn: sqlite3.Connection, table: str, key_sql: str, key: object, policy: LockoutPolicy, now: datetime
) -> tuple[int, datetime | None]:
    """Add one failure; lock when the limit is reached. Returns (failures so far, lock end)."""
    conn.execute(f"UPDATE {table} SET failed_attempts = failed_attempts + 1 WHERE {key_sql} = ?", (key,))
    row = conn.execute(f"SELECT failed_attempts FROM {table} WHERE {key_sql} = ?", (key,)).fetchone()
    failures = int(row[0])
    if failures < policy.attempts:
        return failures, None
    until = _aware(now) + timedelta(minutes=policy.minutes)
    conn.execute(
        f"UPDATE {table} SET failed_attempts = 0, locked_until = ? WHERE {key_sql} = ?", (_iso(until), key)
    )
    return failures, until


def _fail(
    store: Store, name: str, operator_id: int | None, policy: LockoutPolicy, now: datetime
) -> AuthError:
    """Record a failed login (known or unknown name alike) and return the error to raise."""
    at = _iso(now)
    with store.write() as conn:
        if operator_id is None:
            conn.execute("DELETE FROM login_failures WHERE last_at < ?", (_iso(now - FORGET_UNKNOWN_AFTER),))
            conn.execute(
                "INSERT INTO login_failures(username, failed_attempts, last_at) VALUES (?, 0, ?) "
                "ON CONFLICT(username) DO UPDATE SET last_at = excluded.last_at",
                (name, at),
            )
            failures, until = _count_failure(conn, "login_failures", "username", name, policy, now)
        else:
            failures, until = _count_failure(conn, "operators", "id", operator_id, policy, now)
        action = "auth.locked" if until else "auth.failed"
        audit.append(
            conn, at=at, operator_id=operator_id, action=action, target=name, details={"failures": failures}
        )
    if until is not None:
        return _locked_error(until, now)
    return AuthError(
        "bad_credentials", MSG_BAD_CREDENTIALS.format(left=policy.attempts - failures, minutes=policy.minutes)
    )


def verify_credentials(
    store: Store, username: str, password: str, *, now: datetime, policy: LockoutPolicy | None = None
) -> sqlite3.Row:
    """Check a user name and password with lockout; return the operator row or raise AuthError.

    Used by `authenticate()` and by password change (which must count failures too).
    """
    policy = policy or LockoutPolicy()
    name = normalise_username(username)
    row = store.one(
        "SELECT id, username, real_name, role, password_hash, locked_until, active, revoked_reason "
        "FROM operators WHERE username = ?",
        (name,),
    )
    if row is None:
        verify_password(_dummy_hash(), password)
        unknown = store.one("SELECT locked_until FROM login_failures WHERE username = ?", (name,))
        until = locked_until(unknown["locked_until"] if unknown else None, now)
        if until is not None:
            raise _locked_error(until, now)
        raise _fail(store, name, None, policy, now)
    until = locked_until(row["locked_until"], now)
    if until is not None:
        verify_password(_dummy_hash(), password)
        raise _locked_error(until, now)
    if not verify_password(str(row["password_hash"]), password):
        raise _fail(store, name, int(row["id"]), policy, now)
    if not row["active"]:
        reason = f"（{row['revoked_reason']}）" if row["revoked_reason"] else ""
        raise AuthError("inactive", MSG_INACTIVE.format(reason=reason))
    return row


def authenticate(
    store: Store,
    username: str,
    password: str,
    *,
    now: datetime,
    profile: Profile | None = None,
    lockout_attempts: int | None = None,
    lockout_minutes: int | None = None,
) -> Operator:
    """Log in (R-SEC-2): return the Operator, or raise AuthError with a Chinese message.

    Messages never tell whether the name exists: unknown names fail, count and lock exactly
    like wrong passwords. On success the failure counter is cleared, the hash is upgraded if
    the parameters changed, and 'auth.login' is audited.
    """
    policy = lockout_policy(profile, attempts=lockout_attempts, minutes=lockout_minutes)
    row = verify_credentials(store, username, password, now=now, policy=policy)
    new_hash = hash_password(password) if HASHER.check_needs_rehash(str(row["password_hash"])) else None
    with store.write() as conn:
        conn.execute(
            "UPDATE operators SET failed_attempts = 0, locked_until = NULL, "
            "password_hash = COALESCE(?, password_hash) WHERE id = ?",
            (new_hash, row["id"]),
        )
        audit.append(
            conn,
            at=_iso(now),
            operator_id=int(row["id"]),
            action="auth.login",
            target=str(row["username"]),
            details={"rehashed": new_hash is not None},
        )
    return Operator(int(row["id"]), str(row["username"]), str(row["real_name"]), str(row["role"]))
