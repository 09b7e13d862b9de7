"""Pilot helpers shared by the shell's tests."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Pause until `condition()` holds (workers run in threads), failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)


def screen_name(pilot: Pilot[None]) -> str:
    return type(pilot.app.screen).__name__


async def log_in(pilot: Pilot[None], username: str, password: str) -> None:
    """Type the credentials the way an operator does (name, Enter, password, Enter)."""
    await wait_for(pilot, lambda: screen_name(pilot) == "LoginScreen")
    await pilot.press(*username, "enter", *password, "enter")
