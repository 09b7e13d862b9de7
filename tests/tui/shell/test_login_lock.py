"""Login (R-SEC-2: success, wrong password, lockout), sessions, idle lock keeping a half-typed form."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import Input

from offline.sessions import list_sessions
from tests.tui.shell.conftest import PASSWORD
from tests.tui.shell.helpers import log_in, screen_name, wait_for
from tui.app import StationApp, make_app
from tui.config import Config
from tui.context import AppServices
from tui.widgets.compact import CompactInput, ProblemList


async def test_login_success_opens_home_and_a_session(services: AppServices) -> None:
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "wangxh", PASSWORD)
        await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
        assert app.operator is not None and app.operator.real_name == "王小红"
        assert app.operator.session_id
        sessions = list_sessions(services.store)
        assert [s.username for s in sessions] == ["wangxh"]
        assert sessions[0].origin == "tty1"
        await pilot.press("ctrl+q")
    assert list_sessions(services.store) == []  # quitting closes the session


async def test_wrong_password_shows_chinese_reason_and_stays(services: AppServices) -> None:
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "wangxh", "not-the-password")
        problems = app.screen.query_one(ProblemList)
        await wait_for(pilot, lambda: bool(problems.text))
        assert "用户名或密码不正确" in problems.text
        assert screen_name(pilot) == "LoginScreen"
        assert app.operator is None
        assert app.screen.query_one("#login-password", Input).value == ""


async def test_lockout_after_repeated_failures(services: AppServices) -> None:
    app = make_app(services)
    attempts = services.profile.lockout_attempts
    async with app.run_test(size=(80, 24)) as pilot:
        problems = app.screen.query_one(ProblemList)
        await log_in(pilot, "wangxh", "bad-password-0")
        for i in range(1, attempts + 1):
            await wait_for(pilot, lambda: bool(problems.text) and app.focused is not None)
            if i == attempts:
                break
            before = problems.text
            await pilot.press(*f"bad-password-{i}", "enter")
            await wait_for(pilot, lambda before=before: problems.text != before)  # type: ignore[misc]
        await wait_for(pilot, lambda: "锁定" in problems.text and "再试" in problems.text)
        # Even the right password is refused while locked.
        await pilot.press(*PASSWORD, "enter")
        await pilot.pause(0.5)
        assert app.operator is None
        assert "锁定" in problems.text


class HalfTypedForm(Screen[None]):
    """Stands in for a business form: two inputs, one half typed."""

    BINDINGS: ClassVar[list[BindingType]] = []

    def compose(self) -> ComposeResult:
        yield CompactInput(id="f-name")
        yield CompactInput(id="f-phone")


async def _login_and_type(app: StationApp, pilot: object) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await log_in(pilot, "wangxh", PASSWORD)
    await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
    await app.push_screen(HalfTypedForm())
    await pilot.press(*"欧阳", "tab", *"1380")


async def test_idle_lock_keeps_the_half_typed_form(services: AppServices) -> None:
    app = make_app(services, config=Config(idle_lock_minutes=1))
    async with app.run_test(size=(80, 24)) as pilot:
        await _login_and_type(app, pilot)
        app._last_input -= 61  # a minute without keys
        app._check_idle()
        await wait_for(pilot, lambda: screen_name(pilot) == "LockScreen")
        assert app.locked
        # Business keys are off while locked.
        await pilot.press("f8")
        assert screen_name(pilot) == "LockScreen"
        await pilot.press(*"wrong-one", "enter")
        problems = app.screen.query_one(ProblemList)
        await wait_for(pilot, lambda: "密码错误" in problems.text)
        await pilot.press(*PASSWORD, "enter")
        await wait_for(pilot, lambda: screen_name(pilot) == "HalfTypedForm")
        assert not app.locked
        assert app.screen.query_one("#f-name", Input).value == "欧阳"
        assert app.screen.query_one("#f-phone", Input).value == "1380"


async def test_ctrl_l_locks_and_idle_limit_comes_from_profile(services: AppServices) -> None:
    app = make_app(services)
    assert app.idle_lock_seconds() == services.profile.idle_lock_minutes * 60
    async with app.run_test(size=(80, 24)) as pilot:
        await _login_and_type(app, pilot)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: screen_name(pilot) == "LockScreen")
        await pilot.press("escape")  # Esc does not leave the lock
        assert screen_name(pilot) == "LockScreen"
