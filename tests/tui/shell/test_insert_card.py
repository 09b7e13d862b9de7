"""模拟插卡 (Ctrl+O, demo only): the picker puts a blank temporary card *from the stock* or a
holder's own card (made from the holder's record) in the emulated reader; a real station has no
such key."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from cardstation import demo_setup as ds
from cardstation.commands.run import build_services
from offline.store import Store
from tests.tui.shell.helpers import log_in, screen_name, wait_for
from tui.app import make_app
from tui.config import Config


async def test_demo_insert_card_picker(tmp_path: Path) -> None:
    gateway = ds.Gateway(tmp_path / "gateway.db")
    gateway.start()
    try:
        db = tmp_path / "station.db"
        store = Store.open(db)
        info = ds.create_station(store, datetime.now().astimezone())
        ds.enrol_station(store, gateway, info.station_id, roster=False)
        ds.seed(store, info, sync_url=gateway.url, persons=3)
        in_stock = {r[0] for r in store.query("SELECT card_number FROM temp_cards WHERE state = 'in_stock'")}
        holder = store.one(
            "SELECT p.name, p.ssn, c.card_number FROM cards c JOIN persons p ON p.id = c.person_id LIMIT 1"
        )
        assert in_stock and holder is not None
        store.close()
        config = Config(sync_url=gateway.url)
        provider = ds.in_process_card_provider(tmp_path / "card.json")
        services = build_services(
            db,
            config,
            card_provider=provider,
            reader_label="模拟读卡器（进程内） 测试密钥",
            demo=True,
            use_pcsc=False,
        )
        assert services.demo_reader is not None and provider() is None  # the reader starts empty
        app = make_app(services, config=config)
        async with app.run_test(size=(100, 30)) as pilot:
            await log_in(pilot, ds.DEMO_OPERATORS[1][0], ds.DEMO_OPERATORS[1][1])
            await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
            await pilot.press("ctrl+o")
            await wait_for(pilot, lambda: screen_name(pilot) == "InsertCardScreen")
            screen: Any = app.screen
            await wait_for(pilot, lambda: bool(screen.choices))
            first = screen.choices[0]
            assert first.kind == "temp" and first.card_number in in_stock  # blank cards are stock cards
            await pilot.press("down", "enter")
            await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
            chip = provider().read_card()
            assert chip.card_number == first.card_number and chip.holder is None
            assert app.reader_state.card_number == first.card_number
            # a holder's card, found by name
            await pilot.press("ctrl+o")
            await wait_for(pilot, lambda: screen_name(pilot) == "InsertCardScreen")
            screen = app.screen
            await pilot.press(*holder["ssn"])
            await wait_for(pilot, lambda: any(c.card_number == holder["card_number"] for c in screen.choices))
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
            chip = provider().read_card()
            assert chip.card_number == holder["card_number"]
            assert chip.holder is not None and (chip.holder.ssn, chip.holder.name) == (
                holder["ssn"],
                holder["name"],
            )
            assert provider().check_genuine()  # the security module accepts it like a real card
            # Ctrl+X takes it out
            await pilot.press("ctrl+o")
            await wait_for(pilot, lambda: screen_name(pilot) == "InsertCardScreen")
            await pilot.press("ctrl+x")
            await wait_for(pilot, lambda: provider() is None)
    finally:
        gateway.stop()


async def test_no_insert_card_key_on_a_real_station(tmp_path: Path) -> None:
    gateway = ds.Gateway(tmp_path / "gateway.db")
    gateway.start()
    try:
        db = tmp_path / "station.db"
        store = Store.open(db)
        info = ds.create_station(store, datetime.now().astimezone())
        ds.enrol_station(store, gateway, info.station_id, roster=False)
        store.close()
        services = build_services(db, Config(sync_url=gateway.url), use_pcsc=False)
        assert services.demo_reader is None
        app = make_app(services, config=Config(sync_url=gateway.url))
        async with app.run_test(size=(100, 30)) as pilot:
            await log_in(pilot, ds.DEMO_OPERATORS[1][0], ds.DEMO_OPERATORS[1][1])
            await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
            await pilot.press("ctrl+o")
            await pilot.pause(0.3)
            assert screen_name(pilot) == "HomeScreen"
    finally:
        gateway.stop()
