"""Sync that runs by itself (tui/autosync.py): with a real gateway process, the TUI uploads what
waits at start (link-up), then a business committed while it runs, without S ever being pressed;
the sync screen shows the automatic run and the status bar never says 已联网 over a stuck queue."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from cardstation import demo_setup as ds
from cardstation.commands.run import build_services
from offline import outbox
from offline.store import Store
from tests.sync.helpers import commit_apply, ssn_for
from tests.tui.shell.helpers import log_in, screen_name, wait_for
from tui.app import make_app
from tui.config import Config
from tui.widgets.statusbar import StatusBar


async def test_tui_uploads_without_a_keypress(tmp_path: Path) -> None:
    gateway = ds.Gateway(tmp_path / "gateway.db")
    gateway.start()
    try:
        db = tmp_path / "station.db"
        store = Store.open(db)
        info = ds.create_station(store, datetime.now().astimezone())
        ds.enrol_station(store, gateway, info.station_id, roster=False)
        for i in range(3):
            commit_apply(store, ssn_for(600 + i))
        assert outbox.status(store).pending == 3
        config = Config(sync_url=gateway.url)
        services = build_services(db, config, use_pcsc=False)
        app = make_app(services, config=config)
        async with app.run_test(size=(100, 24)) as pilot:
            await log_in(pilot, ds.DEMO_OPERATORS[1][0], ds.DEMO_OPERATORS[1][1])
            await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
            # link-up: what waited is uploaded with no keypress
            await wait_for(pilot, lambda: outbox.status(store).acked == 3, timeout=30)
            await pilot.press("f8")
            await wait_for(pilot, lambda: screen_name(pilot) == "SyncScreen")
            screen: Any = app.screen
            progress = screen.query_one("#sync-progress")
            # a business committed while the terminal runs leaves within seconds, still no S
            commit_apply(store, ssn_for(700))
            await wait_for(pilot, lambda: outbox.status(store).acked == 4, timeout=20)
            await wait_for(pilot, lambda: "自动同步" in str(progress.render()), timeout=10)
            assert "上传 1" in str(progress.render()) or "确认 1" in str(progress.render()), str(
                progress.render()
            )
            bar = screen.query_one(StatusBar)
            await wait_for(pilot, lambda: "待传 0" in bar.text and "已联网" in bar.text, timeout=10)
            queue = screen.query_one("#sync-queue")
            await wait_for(pilot, lambda: queue.row_count == 0, timeout=10)
        store.close()
    finally:
        gateway.stop()


def test_status_bar_says_stalled_not_online_over_a_queue_nobody_sends(tmp_path: Path) -> None:
    """A link last seen up, a queue over a minute old and no runner: not 已联网 (the freeze trap)."""
    from datetime import timedelta

    from sync import state
    from tui.widgets.statusbar import read_status, status_text

    gateway = ds.Gateway(tmp_path / "gateway.db")
    gateway.start()
    try:
        db = tmp_path / "station.db"
        store = Store.open(db)
        info = ds.create_station(store, datetime.now().astimezone())
        ds.enrol_station(store, gateway, info.station_id, roster=False)
        commit_apply(store, ssn_for(800))
        state.record_success(store)  # the link was up at the last run
        services = build_services(db, Config(sync_url=gateway.url), use_pcsc=False)
        assert "已联网" in status_text(read_status(services, "王小红"))  # fresh queue: fine
        services.now = lambda: datetime.now().astimezone() + timedelta(minutes=5)
        text = status_text(read_status(services, "王小红"))
        assert "联网但未上传" in text and "已联网" not in text, text
        store.close()
    finally:
        gateway.stop()
