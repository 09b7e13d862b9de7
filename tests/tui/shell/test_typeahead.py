"""Typed-ahead keys land where the operator meant them, even across a focus or screen change.

Over SSH a burst like "wangxh<Tab>secret<Enter>1" arrives in one read. Without the key
sequencer (tui/typeahead.py) the password went into the user-name field and the menu key was
lost while the login was checked in a worker thread.
"""

from __future__ import annotations

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.shell.conftest import PASSWORD
from tests.tui.shell.helpers import screen_name, wait_for
from tui.app import make_app
from tui.context import AppServices

CHARS = {"tab": "\t", "enter": "\r"}


def _burst(pilot: Pilot[None], keys: list[str]) -> None:
    """Queue every key at once, as a terminal read would deliver them (no waiting in between)."""
    driver = pilot.app._driver
    assert driver is not None
    for key in keys:
        char = CHARS.get(key, key if len(key) == 1 else None)
        event = events.Key(key, char)
        event.set_sender(pilot.app)
        driver.send_message(event)


async def test_burst_of_credentials_and_menu_key_is_not_scrambled(services: AppServices) -> None:
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_name(pilot) == "LoginScreen")
        _burst(pilot, [*"wangxh", "tab", *PASSWORD, "enter"])
        await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
        assert app.operator is not None and app.operator.username == "wangxh"


async def test_keys_typed_during_login_check_reach_the_home_screen(services: AppServices) -> None:
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_name(pilot) == "LoginScreen")
        # '1' opens 申领 on the home screen; then the name goes into its first field.
        _burst(pilot, [*"wangxh", "tab", *PASSWORD, "enter", "1", *"abc"])
        await wait_for(pilot, lambda: screen_name(pilot) not in ("LoginScreen", "HomeScreen"), timeout=15)
        await wait_for(
            pilot, lambda: isinstance(app.focused, Input) and app.focused.value == "abc", timeout=15
        )
