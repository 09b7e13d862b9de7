"""The sync screen runs a real sync against the reference gateway (a subprocess) and shows the
acknowledgement; the status bar's queue goes to zero. The gateway's store is either engine
(tests/sync/backends.py): a SQLite file or a PostgreSQL database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from cardstation import demo_setup as ds
from cardstation.commands.run import build_services
from offline import outbox
from offline.store import Store
from tests.sync.backends import Backend, backend  # noqa: F401 (fixture)
from tests.tui.shell.helpers import log_in, screen_name, wait_for
from tui.app import make_app
from tui.config import Config
from tui.widgets.statusbar import StatusBar


async def test_sync_screen_uploads_to_gateway_and_shows_ack(
    tmp_path: Path,
    backend: Backend,  # noqa: F811
) -> None:
    gateway = backend.demo_gateway(tmp_path / "gw")
    gateway.start()
    try:
        db = tmp_path / "station.db"
        store = Store.open(db)
        info = ds.create_station(store, datetime.now().astimezone())
        ds.enrol_station(store, gateway, info.station_id, roster=False)
        report = ds.seed(store, info, sync_url=None, persons=2)
        assert any("受理申领" in line for line in report.lines), report.problems
        config = Config(sync_url=gateway.url)
        services = build_services(db, config, use_pcsc=False)
        app = make_app(services, config=config)
        async with app.run_test(size=(80, 24)) as pilot:
            await log_in(pilot, ds.DEMO_OPERATORS[1][0], ds.DEMO_OPERATORS[1][1])
            await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
            await pilot.press("f8")
            await wait_for(pilot, lambda: screen_name(pilot) == "SyncScreen")
            screen: Any = app.screen
            await pilot.press("s")  # with auto-sync running, S asks that runner for a run now
            progress = screen.query_one("#sync-progress")
            await wait_for(pilot, lambda: "自动同步" in str(progress.render()), timeout=30)
            text = str(progress.render())
            assert "已确认" in text, text
            st = outbox.status(store)
            assert st.acked > 0 and st.pending == 0, st
            bar = screen.query_one(StatusBar)
            await wait_for(pilot, lambda: "待传 0" in bar.text and "已联网" in bar.text, timeout=10)
        gw_db = gateway.open()
        try:  # what the screen says is what the gateway holds
            held = gw_db.one("SELECT COUNT(*) AS n FROM envelopes WHERE station_id = ?", (info.station_id,))
        finally:
            gw_db.close()
        assert int(held["n"]) == outbox.status(store).acked
    finally:
        gateway.stop()
