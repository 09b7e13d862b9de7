"""Cards in hand end to end with a real gateway process (R-HLD-1..3): station A's application made
a card at the card management system; at station B, which never knew the holder, that card goes
in the reader, the PIN change goes ahead, the auto-sync uploads the 持卡登记 and brings back the
verdict — confirmed with the catalogue's bank. A card the catalogue does not know comes back
refused (alert + person page), and a card replaced meanwhile comes back corrected to cancelled.
The gateway process runs on both storage engines (tests/sync/backends.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from cardstation import demo_setup as ds
from cardstation.commands.run import build_services
from devices import open_emulated_session
from devices.emulator.card import EmulatedCard
from devices.emulator.factory import make_card
from offline.protocols import ChipHolder, card_number_check_char
from offline.store import Store
from sync.engine import SyncEngine
from tests.sync.backends import Backend, backend  # noqa: F401 (fixture)
from tests.sync.helpers import commit_apply
from tests.tui.shell.helpers import log_in, screen_name, wait_for
from tui.app import make_app
from tui.config import Config
from tui.screens.forms.pins import PinChangeScreen

SSN_KNOWN = "430121198805170035"
SSN_REPLACED = "430121197002140026"


def _chip(ssn: str, name: str, number: str) -> EmulatedCard:
    holder = ChipHolder(ssn=ssn, name=name, sex="1", ethnicity="01", birthplace=ssn[:6], birth_date=ssn[6:14])
    return EmulatedCard(
        make_card(holder=holder, serial=9, issue_date="20200301", expiry_date="20300301", card_number=number)
    )


def _gateway_card(gateway: ds.Gateway, ssn: str) -> str:
    db = gateway.open()
    try:
        row = db.one("SELECT card_number FROM applications WHERE ssn = ?", (ssn,))
    finally:
        db.close()
    assert row is not None
    return str(row["card_number"])


def _station(tmp: Path, gateway: ds.Gateway, service_point: str) -> Path:
    tmp.mkdir()
    store = Store.open(tmp / "station.db")
    info = ds.create_station(store, datetime.now().astimezone())
    if service_point != ds.SERVICE_POINT:  # a second station of the county: its own id
        from offline.station import station_info

        with store.write() as conn:
            store.set_setting(conn, "service_point", service_point)
            store.set_setting(conn, "station_id", service_point + info.terminal)
        info = station_info(store)
        assert info is not None
    ds.enrol_station(store, gateway, info.station_id, roster=False)
    store.close()
    return tmp / "station.db"


async def test_card_in_hand_confirmed_refused_and_corrected_via_gateway(
    tmp_path: Path,
    backend: Backend,  # noqa: F811
) -> None:
    gateway = backend.demo_gateway(tmp_path / "gw")
    gateway.start()
    try:
        # station A: two applications; the demo gateway produces at once
        db_a = _station(tmp_path / "a", gateway, ds.SERVICE_POINT)
        store_a = Store.open(db_a)
        commit_apply(store_a, SSN_KNOWN)
        commit_apply(store_a, SSN_REPLACED)
        assert SyncEngine(store_a).run_once().acked == 2
        known = _gateway_card(gateway, SSN_KNOWN)
        replaced = _gateway_card(gateway, SSN_REPLACED)
        commit_apply(store_a, SSN_REPLACED, item="replace")  # the card is replaced: the old one is dead
        assert SyncEngine(store_a).run_once().acked == 1
        store_a.close()
        unknown = "Z1234567" + card_number_check_char("Z1234567")

        db_b = _station(tmp_path / "b", gateway, "43012100200100001")
        chips = [
            _chip(SSN_KNOWN, "符建军", known),
            _chip(SSN_REPLACED, "雷淑芬", replaced),
            _chip("430121199201010011", "龚一鸣", unknown),
        ]
        reader: dict[str, Any] = {"card": None}
        config = Config(sync_url=gateway.url)
        services = build_services(
            db_b,
            config,
            card_provider=lambda: open_emulated_session(reader["card"]) if reader["card"] else None,
            reader_label="模拟读卡器 测试密钥",
            use_pcsc=False,
        )
        app = make_app(services, config=config)
        async with app.run_test(size=(100, 30)) as pilot:
            await log_in(pilot, ds.DEMO_OPERATORS[1][0], ds.DEMO_OPERATORS[1][1])
            await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
            for chip in chips:
                reader["card"] = chip
                app.push_screen(PinChangeScreen())
                await wait_for(pilot, lambda: screen_name(pilot) == "PinChangeScreen")
                await pilot.pause()
                await app.workers.wait_for_complete()
                await pilot.pause()
                form: Any = app.screen
                form.fill({"old_pin": "666666", "new_pin": "482913", "new_pin_again": "482913"}, secrets=True)
                await pilot.press("ctrl+s")
                await wait_for(pilot, lambda: screen_name(pilot) == "ReceiptScreen", timeout=15)
                await pilot.press("escape")
                await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
            store = services.store

            def states() -> dict[str, str]:
                return {r[0]: r[1] for r in store.query("SELECT card_number, state FROM card_in_hand")}

            # no keypress: auto-sync uploads the 持卡登记 and pulls the verdicts
            await wait_for(
                pilot, lambda: "pending" not in states().values() and len(states()) == 3, timeout=40
            )
            assert states() == {known: "confirmed", replaced: "corrected", unknown: "refused"}
            bank = store.one("SELECT bank, status FROM cards WHERE card_number = ?", (known,))
            assert bank is not None and bank["bank"] == "工商银行" and bank["status"] == "issued"
            dead = store.one("SELECT status FROM cards WHERE card_number = ?", (replaced,))
            assert dead is not None and dead["status"] == "cancelled"
            why = store.one("SELECT reason FROM card_in_hand WHERE card_number = ?", (unknown,))
            assert why is not None and "没有此卡号" in why["reason"]
            await pilot.press("f10")
            await wait_for(pilot, lambda: screen_name(pilot) == "AlertsScreen")
            await pilot.pause(0.5)
            await app.workers.wait_for_complete()
            await pilot.pause()
            text = " ".join(str(w.render()) for w in app.screen.query("Static"))
            assert "未被卡管系统认可" in text, text
    finally:
        gateway.stop()


def test_card_in_hand_checked_against_the_roster(tmp_path: Path, backend: Backend) -> None:  # noqa: F811
    """With a province roster in the gateway: a station registered without an area (so no snapshot)
    adopts two roster holders' cards; the verdicts carry the roster's bank, and the card the roster
    has as formally lost comes back corrected to lost (R-HLD-3)."""
    from cardstation.demo_roster import write_demo_roster
    from cardstation.sealing import station_sealer
    from cardstation.wiring import make_context, open_station
    from offline.business import Operator
    from offline.operators import get_operator
    from offline.services.card_in_hand import adopt_card_in_hand
    from sync.gateway.roster import import_roster as roster_import

    roster = write_demo_roster(tmp_path / "roster.csv", count=50)
    gateway = backend.demo_gateway(tmp_path / "gw")
    gw_db = gateway.open()
    roster_import(gw_db, roster.path)
    gw_db.close()
    gateway.start()
    try:
        db = _station(tmp_path / "b", gateway, "43012100300100001")
        store, info = open_station(db)
        op = get_operator(store, ds.DEMO_OPERATORS[1][0])
        assert op is not None
        ctx = make_context(
            store, info, Operator(op.id, op.username, op.real_name, op.role), sealer=station_sealer(store)
        )
        normal, lost = roster.featured["pin_change"], roster.featured["replace"]  # 正常, 正式挂失
        for row in (normal, lost):
            ctx.card = open_emulated_session(_chip(row.ssn, row.name, row.card_number))
            assert adopt_card_in_hand(ctx).created
        engine = SyncEngine(store)
        engine.run_once()
        engine.run_once()
        got = {
            r["card_number"]: (r["state"], r["status"], r["bank"])
            for r in store.query(
                "SELECT h.card_number, h.state, c.status, c.bank FROM card_in_hand h JOIN cards c ON c.id = h.card_id"
            )
        }
        assert got[normal.card_number] == ("confirmed", "issued", normal.bank)
        assert got[lost.card_number] == ("corrected", "lost", lost.bank)
        store.close()
    finally:
        gateway.stop()
