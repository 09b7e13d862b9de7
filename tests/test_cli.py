"""The `cardstation` command: every sub-command documented, help is fast, operator flows work."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cardstation.cli import build_parser, main

ROOT = Path(__file__).parents[1]
CARDSTATION = Path(sys.executable).with_name("cardstation")
SP = "42010200100100001"


def _subparser_actions(parser: argparse.ArgumentParser) -> list[argparse._SubParsersAction]:  # type: ignore[type-arg]
    return [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]


def _walk(parser: argparse.ArgumentParser, path: str = "cardstation") -> list[tuple[str, str]]:
    """(command path, help text) of every sub-command, at every depth."""
    found: list[tuple[str, str]] = []
    for action in _subparser_actions(parser):
        helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
        for name, sub in action.choices.items():
            found.append((f"{path} {name}", helps.get(name, "")))
            found += _walk(sub, f"{path} {name}")
    return found


def test_every_sub_command_has_help_text() -> None:
    commands = _walk(build_parser())
    names = {c for c, _ in commands}
    assert {"cardstation init", "cardstation operator add", "cardstation audit verify"} <= names
    missing = [c for c, h in commands if not h.strip()]
    assert missing == []


def test_help_runs_fast_and_loads_no_heavy_module() -> None:
    t0 = time.perf_counter()
    out = subprocess.run([str(CARDSTATION), "--help"], capture_output=True, text=True, timeout=30)
    elapsed = time.perf_counter() - t0
    assert out.returncode == 0 and "init" in out.stdout
    assert elapsed < 1.5, elapsed  # measured ~0.05 s on the build server
    probe = (
        "import sys, cardstation.cli as c; c.build_parser(); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'textual', 'httpx', 'smartcard', 'cryptography', 'argon2'}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "station.db"
    monkeypatch.setenv("CARDSTATION_ADMIN_PASSWORD", "admin-pass-1")
    assert (
        main(
            [
                "--db",
                str(path),
                "init",
                "--province",
                "hubei",
                "--service-point",
                SP,
                "--admin",
                "admin",
                "--admin-name",
                "张管理",
            ]
        )
        == 0
    )
    monkeypatch.setenv("CARDSTATION_PASSWORD", "admin-pass-1")
    monkeypatch.setenv("CARDSTATION_NEW_PASSWORD", "wang-pass-1")
    return str(path)


def _list(db: str, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, object]]:
    capsys.readouterr()
    assert main(["--db", db, "operator", "list", "--as", "admin", "--json"]) == 0
    return {r["username"]: r for r in json.loads(capsys.readouterr().out)}


def test_operator_add_list_disable_enable(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "--db",
                db,
                "operator",
                "add",
                "wangxh",
                "--name",
                "王小红",
                "--role",
                "operator",
                "--as",
                "admin",
            ]
        )
        == 0
    )
    assert "已新建操作员 wangxh（王小红，窗口经办员）" in capsys.readouterr().out
    rows = _list(db, capsys)
    assert rows["wangxh"]["role"] == "operator" and rows["wangxh"]["active"] is True
    assert main(["--db", db, "operator", "disable", "wangxh", "--reason", "调岗", "--as", "admin"]) == 0
    assert _list(db, capsys)["wangxh"]["active"] is False
    assert main(["--db", db, "operator", "enable", "wangxh", "--as", "admin"]) == 0
    assert _list(db, capsys)["wangxh"]["active"] is True
    capsys.readouterr()
    assert main(["--db", db, "operator", "list", "--as", "admin"]) == 0
    table = capsys.readouterr().out
    assert "王小红\t窗口经办员\t启用" in table


def test_operator_reset_password_and_unlock(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cardstation.wiring import now
    from offline.auth import DEFAULT_LOCKOUT_ATTEMPTS, authenticate
    from offline.errors import AuthError
    from offline.store import Store

    assert (
        main(
            [
                "--db",
                db,
                "operator",
                "add",
                "wangxh",
                "--name",
                "王小红",
                "--role",
                "supervisor",
                "--as",
                "admin",
            ]
        )
        == 0
    )
    store = Store.open(db)
    try:
        for _ in range(DEFAULT_LOCKOUT_ATTEMPTS):
            with pytest.raises(AuthError):
                authenticate(store, "wangxh", "wrong-pass", now=now())
        with pytest.raises(AuthError, match="锁定"):
            authenticate(store, "wangxh", "wang-pass-1", now=now())
        assert main(["--db", db, "operator", "unlock", "wangxh", "--as", "admin"]) == 0
        assert authenticate(store, "wangxh", "wang-pass-1", now=now()).role == "supervisor"
        monkeypatch.setenv("CARDSTATION_NEW_PASSWORD", "new-pass-22")
        assert main(["--db", db, "operator", "reset-password", "wangxh", "--as", "admin"]) == 0
        assert authenticate(store, "wangxh", "new-pass-22", now=now()).username == "wangxh"
    finally:
        store.close()


def test_operator_commands_refuse_without_admin_rights(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARDSTATION_PASSWORD", "wrong-pass")
    assert main(["--db", db, "operator", "list", "--as", "admin"]) == 1
    assert "用户名或密码不正确" in capsys.readouterr().err
    monkeypatch.setenv("CARDSTATION_PASSWORD", "admin-pass-1")
    assert (
        main(
            [
                "--db",
                db,
                "operator",
                "add",
                "wangxh",
                "--name",
                "王小红",
                "--role",
                "operator",
                "--as",
                "admin",
            ]
        )
        == 0
    )
    monkeypatch.setenv("CARDSTATION_PASSWORD", "wang-pass-1")
    capsys.readouterr()
    assert (
        main(["--db", db, "operator", "add", "li", "--name", "李四", "--role", "admin", "--as", "wangxh"])
        == 1
    )
    err = capsys.readouterr().err
    assert "R-SEC-2" in err and "窗口经办员" in err
    monkeypatch.delenv("CARDSTATION_PASSWORD")
    assert main(["--db", db, "operator", "list", "--as", "admin"]) == 2
    assert "CARDSTATION_PASSWORD" in capsys.readouterr().err


def test_commands_on_an_uninitialised_store_say_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "none.db"
    assert main(["--db", str(db), "operator", "list", "--as", "admin"]) == 1
    assert "请先运行 cardstation init" in capsys.readouterr().err
    assert not db.exists()


def test_resolve_db_path_prefers_flag_then_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cardstation.wiring import resolve_db_path

    monkeypatch.setenv("CARDSTATION_DB", str(tmp_path / "env.db"))
    assert resolve_db_path(str(tmp_path / "flag.db")) == tmp_path / "flag.db"
    assert resolve_db_path(None) == tmp_path / "env.db"
    monkeypatch.delenv("CARDSTATION_DB")
    assert resolve_db_path(None).name == "station.db" and "cardstation" in str(resolve_db_path(None))


def test_wiring_context_and_session_for_a_logged_in_operator(db: str) -> None:
    from cardstation.wiring import make_context, open_station, start_session
    from offline.sessions import list_sessions
    from tests.conftest import RecordingSealer

    store, station = open_station(Path(db))
    try:
        with store.write() as conn:  # a session left behind by a process that no longer exists
            conn.execute(
                "INSERT INTO sessions(id, operator_id, origin, pid, started_at, last_seen_at) "
                "VALUES ('ghost', 1, 'ssh 10.0.0.1', 2147483646, '2026-01-01T00:00:00+08:00', "
                "'2026-01-01T00:00:00+08:00')"
            )
        op = start_session(store, station, "admin", "admin-pass-1")
        assert op.session_id and op.role == "admin"
        assert [s.id for s in list_sessions(store)] == [op.session_id]
        ctx = make_context(store, station, op, sealer=RecordingSealer())
        assert (ctx.station_id, ctx.service_point, ctx.terminal) == (SP + "01", SP, "01")
        assert ctx.operator.session_id == op.session_id and ctx.profile.province == "hubei"
    finally:
        store.close()
