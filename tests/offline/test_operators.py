"""Operator accounts and login (R-SEC-2, R-ID-6): argon2id, lockout, audit of every change."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher

from offline import audit, auth, operators, sessions
from offline.business import Operator
from offline.errors import AuthError, DomainError, PermissionDenied, ValidationError
from offline.profiles import load_profile
from offline.station import init_station
from offline.store import Store

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=8)))
ADMIN_PW, OP_PW = "admin-pass-1", "wang-pass-1"


@pytest.fixture
def admin(store: Store) -> Operator:
    init_station(
        store,
        province="hubei",
        service_point="42010200100100001",
        admin_username="admin",
        admin_real_name="张管理",
        admin_password=ADMIN_PW,
        now=NOW,
    )
    return auth.authenticate(store, "admin", ADMIN_PW, now=NOW)


@pytest.fixture
def wang(store: Store, admin: Operator) -> Operator:
    return operators.create_operator(
        store, username="wangxh", real_name="王小红", role="operator", password=OP_PW, by=admin, now=NOW
    )


def _actions(store: Store) -> list[str]:
    return [str(r["action"]) for r in store.query("SELECT action FROM audit ORDER BY seq")]


def test_r_sec_2_hash_is_argon2id_with_documented_parameters(store: Store, wang: Operator) -> None:
    stored = str(store.one("SELECT password_hash FROM operators WHERE id = ?", (wang.id,))["password_hash"])  # type: ignore[index]
    assert stored.startswith("$argon2id$v=19$")
    assert f"m={auth.MEMORY_COST_KIB},t={auth.TIME_COST},p={auth.PARALLELISM}" in stored
    assert OP_PW not in stored
    assert auth.verify_password(stored, OP_PW) and not auth.verify_password(stored, "wang-pass-2")


def test_r_sec_2_login_returns_named_operator_and_is_audited(store: Store, wang: Operator) -> None:
    t0 = time.perf_counter()
    op = auth.authenticate(store, " WangXH ", OP_PW, now=NOW)
    elapsed = time.perf_counter() - t0
    assert (op.username, op.real_name, op.role) == ("wangxh", "王小红", "operator")
    assert _actions(store)[-1] == "auth.login"
    assert elapsed < 2.0  # measured ~0.07 s on the build server; a sanity ceiling only


def test_r_sec_2_messages_do_not_reveal_whether_a_name_exists(store: Store, wang: Operator) -> None:
    with pytest.raises(AuthError) as wrong_pw:
        auth.authenticate(store, "wangxh", "not-it-000", now=NOW)
    with pytest.raises(AuthError) as no_user:
        auth.authenticate(store, "ghost", "not-it-000", now=NOW)
    assert wrong_pw.value.code == no_user.value.code == "bad_credentials"
    assert wrong_pw.value.message_zh == no_user.value.message_zh
    assert "用户名或密码不正确" in no_user.value.message_zh
    assert "ghost" not in no_user.value.message_zh


def test_r_sec_2_lockout_after_n_failures_then_unlock_after_the_time(store: Store, wang: Operator) -> None:
    for i in range(auth.DEFAULT_LOCKOUT_ATTEMPTS - 1):
        with pytest.raises(AuthError) as err:
            auth.authenticate(store, "wangxh", "wrong-pass", now=NOW + timedelta(seconds=i))
        assert err.value.code == "bad_credentials"
        assert f"再错 {auth.DEFAULT_LOCKOUT_ATTEMPTS - 1 - i} 次" in err.value.message_zh
    with pytest.raises(AuthError) as err:
        auth.authenticate(store, "wangxh", "wrong-pass", now=NOW + timedelta(seconds=10))
    assert err.value.code == "locked" and "锁定" in err.value.message_zh and "15 分钟" in err.value.message_zh
    # Locked: even the right password is refused until the time has passed.
    with pytest.raises(AuthError) as err:
        auth.authenticate(store, "wangxh", OP_PW, now=NOW + timedelta(minutes=14))
    assert err.value.code == "locked"
    assert (
        auth.authenticate(store, "wangxh", OP_PW, now=NOW + timedelta(minutes=15, seconds=11)).id == wang.id
    )
    assert "auth.locked" in _actions(store)
    row = store.one("SELECT failed_attempts, locked_until FROM operators WHERE id = ?", (wang.id,))
    assert row is not None and row["failed_attempts"] == 0 and row["locked_until"] is None


def test_r_sec_2_unknown_names_lock_exactly_like_real_ones(store: Store, wang: Operator) -> None:
    codes = []
    for name in ("ghost", "wangxh"):
        for _ in range(auth.DEFAULT_LOCKOUT_ATTEMPTS):
            with pytest.raises(AuthError) as err:
                auth.authenticate(store, name, "wrong-pass", now=NOW)
            codes.append(err.value.code)
        with pytest.raises(AuthError) as err:
            auth.authenticate(store, name, "wrong-pass", now=NOW + timedelta(minutes=1))
        codes.append(err.value.code)
    half = len(codes) // 2
    assert codes[:half] == codes[half:] == ["bad_credentials"] * 4 + ["locked", "locked"]


def test_r_sec_2_lockout_settings_come_from_the_profile(store: Store, wang: Operator) -> None:
    profile = dataclasses.replace(load_profile("hunan"), lockout_attempts=2, lockout_minutes=1)
    with pytest.raises(AuthError):
        auth.authenticate(store, "wangxh", "wrong-pass", now=NOW, profile=profile)
    with pytest.raises(AuthError) as err:
        auth.authenticate(store, "wangxh", "wrong-pass", now=NOW, profile=profile)
    assert err.value.code == "locked" and "1 分钟" in err.value.message_zh
    assert auth.authenticate(store, "wangxh", OP_PW, now=NOW + timedelta(minutes=1, seconds=1)).id == wang.id

    hubei = auth.lockout_policy(load_profile("hubei"))
    assert (hubei.attempts, hubei.minutes) == (
        load_profile("hubei").lockout_attempts,
        load_profile("hubei").lockout_minutes,
    )


def test_r_sec_2_admin_unlocks_before_the_time(store: Store, admin: Operator, wang: Operator) -> None:
    for _ in range(auth.DEFAULT_LOCKOUT_ATTEMPTS):
        with pytest.raises(AuthError):
            auth.authenticate(store, "wangxh", "wrong-pass", now=NOW)
    operators.unlock_operator(store, "wangxh", by=admin, now=NOW)
    assert auth.authenticate(store, "wangxh", OP_PW, now=NOW).id == wang.id
    assert "operator.unlock" in _actions(store)


@pytest.mark.parametrize("real_name", ["", "  ", "王", "王小红2"])
def test_r_id_6_real_name_required(store: Store, admin: Operator, real_name: str) -> None:
    with pytest.raises(ValidationError) as err:
        operators.create_operator(
            store,
            username="li",
            real_name=real_name,
            role="operator",
            password="li-pass-123",
            by=admin,
            now=NOW,
        )
    assert "R-ID-6" in err.value.rules and "真实姓名" in str(err.value)
    assert operators.get_operator(store, "li") is None


@pytest.mark.parametrize(
    ("username", "password", "fragment"),
    [
        ("li", "short1", "少于 8 位"),
        ("lisi1234", "LiSi1234", "不能与用户名相同"),
        ("9li", "li-pass-123", "用户名格式"),
    ],
)
def test_r_sec_2_password_and_username_policy(
    store: Store, admin: Operator, username: str, password: str, fragment: str
) -> None:
    with pytest.raises(ValidationError) as err:
        operators.create_operator(
            store, username=username, real_name="李四", role="operator", password=password, by=admin, now=NOW
        )
    assert fragment in str(err.value) and "R-SEC-2" in err.value.rules


def test_r_sec_2_duplicate_name_and_unknown_role_refused(
    store: Store, admin: Operator, wang: Operator
) -> None:
    with pytest.raises(ValidationError, match="已被使用"):
        operators.create_operator(
            store,
            username="WANGXH",
            real_name="王二",
            role="operator",
            password="another-123",
            by=admin,
            now=NOW,
        )
    with pytest.raises(ValidationError, match="角色"):
        operators.create_operator(
            store, username="zhao", real_name="赵六", role="boss", password="another-123", by=admin, now=NOW
        )


def test_r_sec_2_only_admin_manages_operators(store: Store, wang: Operator) -> None:
    with pytest.raises(PermissionDenied, match="操作员管理"):
        operators.create_operator(
            store, username="li", real_name="李四", role="admin", password="li-pass-123", by=wang, now=NOW
        )
    with pytest.raises(PermissionDenied):
        operators.reset_password(store, "admin", "takeover-123", by=wang, now=NOW)


def test_r_sec_2_disable_refuses_login_ends_sessions_and_enable_restores(
    store: Store, admin: Operator, wang: Operator
) -> None:
    sid = sessions.open_session(store, wang, origin="/dev/tty1", pid=1, now=NOW)
    operators.deactivate_operator(store, "wangxh", by=admin, now=NOW, reason="调岗")
    assert not sessions.is_open(store, sid)
    with pytest.raises(AuthError) as err:
        auth.authenticate(store, "wangxh", OP_PW, now=NOW)
    assert err.value.code == "inactive" and "停用" in err.value.message_zh and "调岗" in err.value.message_zh
    operators.reactivate_operator(store, "wangxh", by=admin, now=NOW)
    assert auth.authenticate(store, "wangxh", OP_PW, now=NOW).id == wang.id
    info = operators.get_operator(store, "wangxh")
    assert info is not None and info.active and info.revoked_reason is None


def test_r_sec_2_last_active_admin_cannot_be_disabled(store: Store, admin: Operator) -> None:
    with pytest.raises(DomainError, match="最后一个"):
        operators.deactivate_operator(store, "admin", by=admin, now=NOW)
    operators.create_operator(
        store, username="admin2", real_name="刘备用", role="admin", password="admin2-pass", by=admin, now=NOW
    )
    operators.deactivate_operator(store, "admin", by=admin, now=NOW)
    assert [o.username for o in operators.list_operators(store, include_inactive=False)] == ["admin2"]


def test_r_sec_2_change_password_needs_the_old_one(store: Store, wang: Operator) -> None:
    with pytest.raises(AuthError):
        operators.change_password(store, "wangxh", "wrong-old-1", "brand-new-1", now=NOW)
    row = store.one("SELECT failed_attempts FROM operators WHERE id = ?", (wang.id,))
    assert row is not None and row["failed_attempts"] == 1  # counts towards lockout
    operators.change_password(store, "wangxh", OP_PW, "brand-new-1", now=NOW)
    with pytest.raises(AuthError):
        auth.authenticate(store, "wangxh", OP_PW, now=NOW)
    assert auth.authenticate(store, "wangxh", "brand-new-1", now=NOW).id == wang.id


def test_r_sec_2_reset_password_by_admin_clears_lock(store: Store, admin: Operator, wang: Operator) -> None:
    for _ in range(auth.DEFAULT_LOCKOUT_ATTEMPTS):
        with pytest.raises(AuthError):
            auth.authenticate(store, "wangxh", "wrong-pass", now=NOW)
    operators.reset_password(store, "wangxh", "fresh-pass-9", by=admin, now=NOW)
    assert auth.authenticate(store, "wangxh", "fresh-pass-9", now=NOW).id == wang.id
    with pytest.raises(DomainError, match="没有用户名"):
        operators.reset_password(store, "nobody", "fresh-pass-9", by=admin, now=NOW)


def test_r_sec_2_revoke_operator_in_the_callers_transaction(
    store: Store, admin: Operator, wang: Operator
) -> None:
    sid = sessions.open_session(store, wang, origin="ssh 10.0.0.9", pid=1, now=NOW)
    with pytest.raises(RuntimeError), store.write() as conn:  # the downlink transaction fails later
        assert operators.revoke_operator(conn, "wangxh", "离职", at=NOW.isoformat())
        raise RuntimeError("cursor write failed")
    assert sessions.is_open(store, sid)
    assert auth.authenticate(store, "wangxh", OP_PW, now=NOW).id == wang.id
    with store.write() as conn:
        assert operators.revoke_operator(conn, "wangxh", "离职", at=NOW.isoformat())
        assert not operators.revoke_operator(conn, "ghost", "离职")
    assert not sessions.is_open(store, sid)
    info = operators.get_operator(store, "wangxh")
    assert info is not None and not info.active and "离职" in (info.revoked_reason or "")
    with pytest.raises(AuthError) as err:
        auth.authenticate(store, "wangxh", OP_PW, now=NOW)
    assert err.value.code == "inactive" and "吊销" in err.value.message_zh


def test_r_sec_3_every_account_change_is_audited_and_chained(
    store: Store, admin: Operator, wang: Operator
) -> None:
    operators.unlock_operator(store, "wangxh", by=admin, now=NOW)
    operators.reset_password(store, "wangxh", "fresh-pass-9", by=admin, now=NOW)
    operators.change_password(store, "wangxh", "fresh-pass-9", "fresh-pass-10", now=NOW)
    operators.deactivate_operator(store, "wangxh", by=admin, now=NOW)
    operators.reactivate_operator(store, "wangxh", by=admin, now=NOW)
    acts = _actions(store)
    for action in (
        "station.init",
        "operator.create",
        "operator.unlock",
        "operator.password_reset",
        "operator.password_change",
        "operator.disable",
        "operator.enable",
        "auth.login",
    ):
        assert action in acts, action
    report = audit.verify(store.connection())
    assert report.ok and report.entries == len(acts)
    assert not any("pass" in str(r["details"]) for r in store.query("SELECT details FROM audit"))


def test_r_sec_2_old_hash_parameters_are_upgraded_on_login(store: Store, wang: Operator) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(OP_PW)
    with store.write() as conn:
        conn.execute("UPDATE operators SET password_hash = ? WHERE id = ?", (weak, wang.id))
    auth.authenticate(store, "wangxh", OP_PW, now=NOW)
    row = store.one("SELECT password_hash FROM operators WHERE id = ?", (wang.id,))
    assert row is not None and f"m={auth.MEMORY_COST_KIB}" in row["password_hash"]
