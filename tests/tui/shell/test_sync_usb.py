"""The sync screen's USB route: U exports the queue to the folder, the county imports it and
exports the return bundle into the same folder, H imports it; the queue goes to zero. The county
gateway runs on both storage engines (tests/sync/backends.py)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cardstation import demo_setup as ds
from cardstation.commands.run import build_services
from offline.store import Store
from tests.sync.backends import Backend, backend  # noqa: F401 (fixture)
from tests.tui.shell.helpers import log_in, screen_name, wait_for
from tui.app import make_app
from tui.config import Config
from tui.widgets.statusbar import StatusBar


def cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cardstation.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


async def test_sync_screen_exports_to_usb_and_imports_the_return(
    tmp_path: Path,
    backend: Backend,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gateway = backend.demo_gateway(tmp_path / "gw", monkeypatch)  # the county's CLI finds its key file
    gateway.start()
    try:
        db = tmp_path / "station.db"
        store = Store.open(db)
        info = ds.create_station(store, datetime.now().astimezone())
        ds.enrol_station(store, gateway, info.station_id)
        ds.seed(store, info, sync_url=None, persons=2)
        store.close()
        usb = tmp_path / "usb"
        usb.mkdir()
        config = Config(sync_url="http://127.0.0.1:9")  # the village has no link
        services = build_services(db, config, use_pcsc=False)
        app = make_app(services, config=config)
        async with app.run_test(size=(80, 24)) as pilot:
            await log_in(pilot, ds.DEMO_OPERATORS[1][0], ds.DEMO_OPERATORS[1][1])
            await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
            await pilot.press("f8")
            await wait_for(pilot, lambda: screen_name(pilot) == "SyncScreen")
            screen: Any = app.screen
            progress = screen.query_one("#sync-progress")
            folder = screen.query_one("#sync-folder")
            await wait_for(pilot, lambda: folder.value == "/media/usb")
            await pilot.press("u")  # the default folder is not mounted here: said, nothing written
            await wait_for(pilot, lambda: "不存在" in str(progress.render()))
            folder.value = str(usb)
            await pilot.press("u")
            await wait_for(pilot, lambda: "已导出" in str(progress.render()), timeout=20)
            (bundle,) = usb.glob("outbox-*.csb")
            bar = screen.query_one(StatusBar)
            assert "待传 0" not in bar.text  # still queued until the acknowledgements come back
            # At the county office: import the stick, write the return bundle onto it.
            cli("gateway", "import-bundle", str(bundle), "--db", str(gateway.db))
            cli(
                "gateway",
                "export-updates",
                "--station",
                info.station_id,
                "--db",
                str(gateway.db),
                "--to",
                str(usb),
            )
            await pilot.press("h")
            await wait_for(pilot, lambda: "已导入回执" in str(progress.render()), timeout=20)
            text = str(progress.render())
            assert "确认上传 0" not in text, text
            await wait_for(pilot, lambda: "待传 0" in bar.text, timeout=10)
        check = Store.open(db)
        assert check.setting("sneakernet.folder") == str(usb)
        check.close()
    finally:
        gateway.stop()
