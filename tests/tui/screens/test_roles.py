"""Roles on the screen and in the services (R-SEC-2, R-SEC-1).

The 系统管理员 sees no business item and browses no personal data; a refused item opens no
form (the check comes before the typing, not after); the read services themselves refuse,
so a screen or command that forgot its check still shows nothing.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from offline.business import Operator
from offline.errors import PermissionDenied
from offline.services import reads


def _as(ctx: Any, role: str) -> Any:
    return dataclasses.replace(ctx, operator=Operator(ctx.operator.id, "x", "某管理员", role))


@pytest.mark.parametrize(
    ("fn", "args"),
    [
        (reads.find_persons, ("张",)),
        (reads.view_person, (1,)),
        (reads.delivery_runs, ()),
        (reads.delivery_run, (1,)),
    ],
)
def test_R_SEC_2_admin_reads_no_personal_data_in_the_services(
    station: Any, fn: Any, args: tuple[Any, ...]
) -> None:
    ctx = station.ctx()
    with pytest.raises(PermissionDenied):
        fn(_as(ctx, "admin"), *args)
    if fn is not reads.view_person:  # the county auditor (read-only) may read
        fn(_as(ctx, "auditor"), *args)


def test_R_SEC_2_every_surface_reads_through_the_services() -> None:
    """No screen or command reads persons or delivery lists from the store directly."""
    root = Path(__file__).parents[3]
    direct = ("search_persons(", "person_page(", "list_runs(", "run_items(", "run_info(")
    offenders = [
        f"{p.relative_to(root)}: {name}"
        for folder in ("tui", "cardstation")
        for p in (root / folder).rglob("*.py")
        for name in direct
        if name in p.read_text(encoding="utf-8")
    ]
    assert not offenders, offenders


async def test_R_SEC_2_admin_home_shows_no_items_and_a_form_is_refused_before_it_opens(
    station: Any, app_factory: Any
) -> None:
    from tui.screens.home import ItemMenu

    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        app.operator = Operator(app.operator.id, "admin", "管理员", "admin")
        await pilot.pause()
        from tui.screens.home import HomeScreen

        app.switch_screen(HomeScreen(alerts=[]))
        await pilot.pause()
        menu = app.screen.query_one(ItemMenu)
        assert menu.items == ()
        before = len(app.screen_stack)
        app.action_open_item("apply")
        app.action_open_search()
        await pilot.pause()
        assert len(app.screen_stack) == before  # nothing opened: no form to fill in vain
