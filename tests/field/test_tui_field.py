"""The 上门发放 and 日报表 screens: Pilot runs through the real app and 80x24 snapshots."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offline import delivery as D
from tests.field.conftest import NOW, VILLAGE, Field, Seeded, chip_for

SIZE = (80, 24)


class Reader:
    """The portable reader: at most one emulated card."""

    def __init__(self) -> None:
        self.card: Any = None

    def provider(self) -> Any:
        if self.card is None:
            return None
        from devices import open_emulated_session

        return open_emulated_session(self.card)


def _app(field: Field, reader: Reader | None = None) -> Any:
    from tui.app import make_app
    from tui.context import AppServices

    services = AppServices(
        store=field.store,
        station=field.info,
        profile=field.profile,
        sealer=field.sealer,
        card_provider=(reader or Reader()).provider,
        reader_label="模拟读卡器 测试密钥",
        now=lambda: NOW,
        origin="tty1",
    )
    app = make_app(services)
    app.operator = field.operators["operator"]
    return app


async def _until(pilot: Any, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)


def _rows(pilot: Any) -> int:
    from textual.css.query import NoMatches
    from textual.widgets import DataTable

    try:
        return int(pilot.app.screen.query_one(DataTable).row_count)
    except NoMatches:  # the screen is still composing
        return -1


def _note(pilot: Any, selector: str = "#delivery-note") -> str:
    from textual.css.query import NoMatches

    try:
        return str(pilot.app.screen.query_one(selector).render())
    except NoMatches:
        return ""


@pytest.fixture
def prepared(field: Field) -> tuple[Field, list[Seeded], int]:
    seeded = [field.in_stock(seed) for seed in (1, 2, 3)]
    run = D.prepare_run(field.ctx(), village=VILLAGE, name="青山村上门")
    return field, seeded, run.id


async def test_R_ISS_7_pilot_open_run_not_at_home_deliver_close(
    prepared: tuple[Field, list[Seeded], int],
) -> None:
    from tui.screens.delivery import DeliverScreen, DeliveryScreen

    field, seeded, run_id = prepared
    reader = Reader()
    app = _app(field, reader)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(DeliveryScreen())
        await _until(pilot, lambda: isinstance(app.screen, DeliveryScreen) and _rows(pilot) == 1)
        await pilot.press("enter")
        await _until(pilot, lambda: app.screen.run_id == run_id and _rows(pilot) == 3)
        items = D.run_items(field.store, run_id)
        await pilot.press("h")  # first door: nobody at home
        await _until(pilot, lambda: D.run_items(field.store, run_id)[0].outcome == "not_at_home")
        await _until(pilot, lambda: "不在家" in _note(pilot))
        await pilot.press("down", "d")
        await _until(pilot, lambda: isinstance(app.screen, DeliverScreen))
        target = next(s for s in seeded if s.card_id == items[1].card_id)
        reader.card = chip_for(target)
        await pilot.press(*target.person.doc_number)
        await pilot.press(
            "tab", "tab", "tab", "tab", "tab", "space", "tab", "space", "tab", "space", "ctrl+s"
        )
        await _until(pilot, lambda: isinstance(app.screen, DeliveryScreen))
        await _until(pilot, lambda: D.run_items(field.store, run_id)[1].outcome == "delivered")
        card = field.store.one("SELECT status FROM cards WHERE id = ?", (target.card_id,))
        assert card is not None and card["status"] == "issued"
        await pilot.press("c")
        await _until(pilot, lambda: "再按 C" in _note(pilot))
        assert D.run_info(field.store, run_id).state == "open"  # type: ignore[union-attr]
        await pilot.press("c")
        await _until(pilot, lambda: D.run_info(field.store, run_id).state == "closed")  # type: ignore[union-attr]
        await pilot.press("escape")
        await _until(pilot, lambda: app.screen.run_id is None and _rows(pilot) == 1)


async def test_R_ISS_3_pilot_deliver_without_card_shows_the_problem(
    prepared: tuple[Field, list[Seeded], int],
) -> None:
    from tui.screens.delivery import DeliverScreen, DeliveryScreen

    field, _seeded, run_id = prepared
    app = _app(field)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(DeliveryScreen())
        await _until(pilot, lambda: isinstance(app.screen, DeliveryScreen) and _rows(pilot) == 1)
        await pilot.press("enter")
        await _until(pilot, lambda: _rows(pilot) == 3)
        await pilot.press("d")
        await _until(pilot, lambda: isinstance(app.screen, DeliverScreen))
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: "卡" in str(app.screen.query_one("#problems").render()))
        assert isinstance(app.screen, DeliverScreen)
        assert all(i.outcome == "pending" for i in D.run_items(field.store, run_id))
        await pilot.press("escape")
        await _until(pilot, lambda: isinstance(app.screen, DeliveryScreen))


async def test_R_ISS_7_pilot_prepare_a_run_from_the_screen(field: Field) -> None:
    from tui.screens.delivery import DeliveryScreen, PrepareRunScreen

    field.in_stock(1)
    app = _app(field)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(DeliveryScreen())
        await _until(pilot, lambda: isinstance(app.screen, DeliveryScreen))
        await pilot.press("n")
        await _until(pilot, lambda: isinstance(app.screen, PrepareRunScreen))
        await pilot.press(*VILLAGE, "tab", *"第一趟", "ctrl+s")
        await _until(pilot, lambda: isinstance(app.screen, DeliveryScreen) and _rows(pilot) == 1)
        assert "共 1 张" in _note(pilot)
    assert [r.name for r in D.list_runs(field.store)] == ["第一趟"]


async def test_R_SEC_3_pilot_report_moves_days_and_saves_pdf(field: Field) -> None:
    from tui.screens.report import ReportScreen, report_path

    field.in_stock(1)
    app = _app(field)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(ReportScreen())
        await _until(pilot, lambda: isinstance(app.screen, ReportScreen) and _rows(pilot) == 4)
        assert "共 2 笔" in _note(pilot, "#report-summary")
        await pilot.press("left")
        await _until(pilot, lambda: "当日无业务" in _note(pilot, "#report-summary"))
        await pilot.press("right", "s")
        path = report_path(Path(field.store.path), "2025-03-03")
        await _until(pilot, lambda: "已保存" in _note(pilot, "#report-note"))
        assert path.read_bytes().startswith(b"%PDF")
        assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o077 == 0  # names, IDs


async def test_R_SEC_2_report_screen_refuses_the_admin(field: Field) -> None:
    from tui.screens.report import ReportScreen

    app = _app(field)
    app.operator = field.operators["admin"]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(ReportScreen())
        await _until(pilot, lambda: "无权办理" in _note(pilot, "#report-note"))


# ---------------------------------------------------------------------- 80x24 snapshots


def _opened(screen_factory: Callable[[], Any], *keys: str, rows: int | None = None) -> Any:
    async def run_before(pilot: Any) -> None:
        await pilot.pause()
        pilot.app.push_screen(screen_factory())
        await _until(pilot, lambda: type(pilot.app.screen).__name__ != "LoginScreen")
        if rows is not None:
            await _until(pilot, lambda: _rows(pilot) >= 1)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.2)
        await pilot.pause(0.3)

    return run_before


def test_snapshot_delivery_runs(snap_compare: Any, prepared: tuple[Field, list[Seeded], int]) -> None:
    from tui.screens.delivery import DeliveryScreen

    field, _s, _r = prepared
    assert snap_compare(_app(field), terminal_size=SIZE, run_before=_opened(DeliveryScreen, rows=1))


def test_snapshot_delivery_items(snap_compare: Any, prepared: tuple[Field, list[Seeded], int]) -> None:
    from tui.screens.delivery import DeliveryScreen

    field, _s, run_id = prepared
    D.deliver(field.ctx(), run_id, D.run_items(field.store, run_id)[0].id, D.DeliverInput("moved"))
    assert snap_compare(_app(field), terminal_size=SIZE, run_before=_opened(DeliveryScreen, "enter", rows=1))


def test_snapshot_deliver_form(snap_compare: Any, prepared: tuple[Field, list[Seeded], int]) -> None:
    from tui.screens.delivery import DeliveryScreen

    field, _s, _r = prepared
    assert snap_compare(
        _app(field), terminal_size=SIZE, run_before=_opened(DeliveryScreen, "enter", "d", rows=1)
    )


def test_snapshot_daily_report(snap_compare: Any, field: Field) -> None:
    from tui.screens.report import ReportScreen

    field.in_stock(1)
    field.in_stock(2)
    assert snap_compare(_app(field), terminal_size=SIZE, run_before=_opened(ReportScreen, rows=1))
