"""Sessions (R-SEC-2, R-SEC-3): who works from where, idle expiry, dead processes."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from offline import sessions
from offline.business import Operator
from offline.store import Store
from tests.conftest import add_operator

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=8)))


@pytest.fixture
def wang(store: Store) -> Operator:
    return add_operator(store, "wangxh", "operator", "王小红")


def test_r_sec_2_open_list_touch_close(store: Store, wang: Operator) -> None:
    county = add_operator(store, "li", "auditor", "李审计")
    sid = sessions.open_session(store, wang, origin="/dev/tty1", pid=100, now=NOW)
    sid2 = sessions.open_session(
        store, county, origin="ssh 10.8.0.7", pid=101, now=NOW + timedelta(minutes=5)
    )
    listed = sessions.list_sessions(store)
    assert [s.id for s in listed] == [sid2, sid]  # newest first
    first = listed[1]
    assert (first.username, first.real_name, first.role_zh, first.origin) == (
        "wangxh",
        "王小红",
        "窗口经办员",
        "/dev/tty1",
    )
    assert first.started_at == first.last_seen_at == NOW.isoformat(timespec="seconds")
    assert sessions.touch(store, sid, NOW + timedelta(minutes=3))
    assert sessions.list_sessions(store)[1].last_seen_at == (NOW + timedelta(minutes=3)).isoformat()
    assert sessions.close_session(store, sid, "logout", now=NOW + timedelta(minutes=4))
    assert not sessions.close_session(store, sid, "logout")  # already ended
    assert not sessions.touch(store, sid, NOW + timedelta(minutes=5))  # UI learns it must log in again
    assert [s.id for s in sessions.list_sessions(store)] == [sid2]
    ended = next(s for s in sessions.list_sessions(store, open_only=False) if s.id == sid)
    assert ended.end_reason == "logout" and ended.end_reason_zh == "退出登录"
    actions = [r["action"] for r in store.query("SELECT action FROM audit ORDER BY seq")]
    assert actions == ["session.open", "session.open", "session.close"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SSH_CLIENT": "10.8.0.7 51234 22"}, "ssh 10.8.0.7"),
        ({"SSH_CONNECTION": "fe80::1 51234 10.0.0.2 22"}, "ssh fe80::1"),
        ({}, "/dev/pts/3"),
    ],
)
def test_session_origin_from_ssh_env_else_tty(env: dict[str, str], expected: str) -> None:
    assert sessions.session_origin(env, tty="/dev/pts/3") == expected


def test_is_idle_boundaries() -> None:
    assert not sessions.is_idle(NOW, NOW + timedelta(minutes=9, seconds=59), 10)
    assert sessions.is_idle(NOW, NOW + timedelta(minutes=10), 10)
    assert not sessions.is_idle(NOW, NOW + timedelta(days=1), 0)  # 0 disables the idle lock


def test_expire_idle_ends_idle_and_orphaned_sessions(store: Store, wang: Operator) -> None:
    idle = sessions.open_session(store, wang, origin="/dev/tty1", pid=1, now=NOW)
    busy = sessions.open_session(store, wang, origin="/dev/tty2", pid=2, now=NOW)
    orphan = sessions.open_session(store, wang, origin="ssh 10.8.0.7", pid=3, now=NOW + timedelta(minutes=29))
    sessions.touch(store, busy, NOW + timedelta(minutes=25))
    later = NOW + timedelta(minutes=30)
    ended = sessions.expire_idle(store, idle_minutes=15, now=later, alive=lambda pid: pid != 3)
    assert sorted(ended) == sorted([idle, orphan])
    reasons = {s.id: s.end_reason for s in sessions.list_sessions(store, open_only=False)}
    assert reasons == {idle: "idle", busy: None, orphan: "process_gone"}
    assert sessions.expire_idle(store, idle_minutes=15, now=later, alive=lambda pid: pid != 3) == []


def test_pid_alive_detects_a_finished_process() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not sessions.pid_alive(proc.pid)
    import os

    assert sessions.pid_alive(os.getpid())
