"""End to end: a delivery run prepared online, worked with no link at all, synced on return (R-ISS-7).

The reference gateway runs as a real HTTP server (uvicorn thread). Applications go up through the
real sync engine; the gateway "produces" the cards at once and ships them to the station through
the signed downlink; the station signs them in and prepares the run. Then the gateway is stopped
and every socket connect is refused: the team works the whole run offline with the in-process
card emulator (chips personalised with the gateway's card numbers). On return the gateway is
started again on the same store and port, the station syncs, and the gateway must hold every
delivery business exactly once — also after an acknowledgement was "lost" and the envelope resent.
The gateway's store is either engine (tests/sync/backends.py): a SQLite file or a PostgreSQL database.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from offline import delivery as D
from offline.services.issuance import CardReturned
from offline.services.stock import ReceiveInput, receive_cards, shipped_cards
from sync import keys
from sync.engine import SyncEngine
from sync.gateway.app import Gateway, GatewayConfig
from tests.field.conftest import VILLAGE, Field, Seeded, make_field, session_on
from tests.sync.backends import Backend, backend  # noqa: F401 (fixture)
from tests.sync.helpers import Clock, RunningGateway, ServerThread, start_gateway


def _enrol(field: Field, gw: RunningGateway) -> None:
    priv, pub, _kid = keys.new_station_key()
    bundle = gw.gateway.keyring.register(field.info.station_id, pub, gw.gateway.now())
    keys.pin_bundle(field.store, bundle)
    keys.save_identity(field.store, station_id=field.info.station_id, private_key=priv, url=gw.url)
    field.sealer = keys.sealer_for(field.store)


def _sync_until_quiet(field: Field) -> None:
    for _ in range(5):
        report = SyncEngine(field.store).run_once()
        assert report.ok, report.errors
        pending = field.store.one("SELECT COUNT(*) FROM outbox WHERE state != 'acked'")
        if pending is not None and pending[0] == 0 and report.downlink_applied == 0:
            return


def _chip(seeded: Seeded, *, name: str | None = None) -> Any:
    """An emulated card personalised for the holder, carrying the gateway's card number."""
    from devices.emulator.card import EmulatedCard
    from devices.emulator.factory import make_card
    from devices.layout import BY_KEY
    from devices.records import encode_item
    from offline.protocols import ChipHolder

    p = seeded.person
    holder = ChipHolder(
        ssn=p.doc_number,
        name=name or p.name,
        sex=p.sex,
        ethnicity=p.ethnicity,
        birthplace=p.doc_number[:6],
        birth_date=p.birth_date.replace("-", ""),
    )
    state = make_card(holder=holder, serial=seeded.serial, issue_date="20250201", expiry_date="20350201")
    item = BY_KEY["card_number"]
    state.ef05[item.tag] = encode_item(item, seeded.card_number)
    return EmulatedCard(state)


class NoLink:
    """Refuses every socket connect and remembers who tried (the run must need no link)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.attempts: list[Any] = []
        real = socket.socket.connect

        def refuse(sock: socket.socket, address: Any) -> None:
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                self.attempts.append(address)
                raise ConnectionRefusedError("no link on the road")
            real(sock, address)

        monkeypatch.setattr(socket.socket, "connect", refuse)


def test_R_ISS_7_run_prepared_online_worked_offline_synced_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    backend: Backend,  # noqa: F811
) -> None:
    target = backend.target(tmp_path / "gw")
    gw = start_gateway(target.db, kek_path=target.kek, production_days=0)
    field = make_field(tmp_path / "station", None)
    try:
        _enrol(field, gw)
        # --- at the station, link up: applications go up, produced cards come down.
        people = [field.person(seed) for seed in range(11, 17)]
        receipts = [field.apply(p).receipt_no for p in people]
        _sync_until_quiet(field)
        numbers = shipped_cards(field.store)
        assert len(numbers) == len(people)
        receive_cards(field.ctx(), ReceiveInput.from_numbers(numbers, source="shipment"))
        seeded: list[Seeded] = []
        for i, (person, receipt) in enumerate(zip(people, receipts, strict=True)):
            row = field.store.one(
                "SELECT c.id, c.person_id, c.card_number, c.status FROM cards c JOIN applications a"
                " ON a.id = c.application_id JOIN businesses b ON b.id = a.business_id WHERE b.receipt_no = ?",
                (receipt,),
            )
            assert row is not None and row["status"] == "arrived"
            seeded.append(
                Seeded(
                    int(row["person_id"]), person, int(row["id"]), str(row["card_number"]), 500 + i, receipt
                )
            )
        run = D.prepare_run(field.ctx(), village=VILLAGE, name="青山村上门发放")
        assert run.total == len(people)
        items = {i.card_id: i.id for i in D.run_items(field.store, run.id)}

        # --- on the road: the gateway is gone and no socket may connect.
        gw.server.stop()
        gw.gateway.db.close()  # the gateway is gone, its store connections with it
        port = gw.server.port
        no_link = NoLink(monkeypatch)

        def door(s: Seeded, outcome: str = "delivered", **kw: Any) -> Any:
            inp = D.DeliverInput(
                outcome,
                holder_doc_number=s.person.doc_number,
                face_photo_ok=True,
                face_text_ok=True,
                signed=True,
                **kw,
            )
            card = session_on(_chip(s, name=kw.pop("chip_name", None))) if outcome == "delivered" else None
            return D.deliver(field.ctx(card=card), run.id, items[s.card_id], inp)

        a, b, c, d, e, f = seeded
        door(a)
        door(b, relation="spouse", recipient_name="张家人", recipient_doc_number="43012119650101123X")
        door(c, "not_at_home")
        door(d, "refused", note="本人表示不需要")
        door(e, "moved", note="已迁往县城")
        with pytest.raises(CardReturned):
            D.deliver(
                field.ctx(card=session_on(_chip(f, name="错误姓名"))),
                run.id,
                items[f.card_id],
                D.DeliverInput(
                    "delivered",
                    holder_doc_number=f.person.doc_number,
                    face_photo_ok=True,
                    face_text_ok=True,
                    signed=True,
                ),
            )
        door(c)  # second knock at the end of the day
        summary = D.close_run(field.ctx(), run.id)
        assert summary.counts == {"delivered": 3, "refused": 1, "moved": 1, "returned": 1}
        assert no_link.attempts == []
        report = SyncEngine(field.store).run_once()  # trying to sync on the road fails softly
        assert not report.ok and no_link.attempts
        monkeypatch.undo()

        # --- back at the station: the gateway is up again, on the same store and port.
        gw2 = Gateway(GatewayConfig(target.db, production_days=0, clock=Clock(), kek_path=target.kek))
        server = ServerThread(gw2.app, port=port).start()
        try:
            _sync_until_quiet(field)
            delivery_ids = [
                int(r[0])
                for r in field.store.query(
                    "SELECT business_id FROM delivery_items WHERE run_id = ? AND business_id IS NOT NULL"
                    " UNION SELECT close_business_id FROM delivery_runs WHERE id = ?",
                    (run.id, run.id),
                )
            ]
            # 3 handovers + 3 failed visits (the first knock at c included) + 1 return + 1 closing.
            door_business = field.store.query(
                "SELECT id FROM businesses WHERE item = 'issue' AND json_extract(details, '$.delivery_run_id') = ?",
                (run.id,),
            )
            all_ids = sorted({*delivery_ids, *(int(r[0]) for r in door_business)})
            assert len(all_ids) == 8
            # A lost acknowledgement: one envelope goes again; the gateway answers "duplicate".
            lost = field.store.one("SELECT envelope_id FROM outbox WHERE business_id = ?", (all_ids[0],))
            assert lost is not None
            with field.store.write() as conn:
                conn.execute(
                    "UPDATE outbox SET state = 'pending', ack = '' WHERE envelope_id = ?", (lost[0],)
                )
            again = SyncEngine(field.store).run_once()
            assert again.ok and again.duplicates == 1
            receipts_up: dict[str, int] = {}
            for row in gw2.db.query("SELECT payload FROM envelopes WHERE kind = 'business'"):
                receipt = json.loads(row["payload"])["receipt_no"]
                receipts_up[receipt] = receipts_up.get(receipt, 0) + 1
            for business_id in all_ids:
                biz = field.store.one("SELECT receipt_no FROM businesses WHERE id = ?", (business_id,))
                assert biz is not None
                assert receipts_up.get(biz["receipt_no"]) == 1, biz["receipt_no"]
                for env in field.store.query(
                    "SELECT envelope_id, state FROM outbox WHERE business_id = ?", (business_id,)
                ):
                    assert env["state"] == "acked"
                    count = gw2.db.one(
                        "SELECT COUNT(*) AS n FROM envelopes WHERE envelope_id = ?", (env["envelope_id"],)
                    )
                    assert count is not None and count["n"] == 1
            cards = {
                r["card_number"]: r["status"]
                for r in field.store.query("SELECT card_number, status FROM cards")
            }
            assert [cards[s.card_number] for s in seeded] == [
                "issued",
                "issued",
                "issued",
                "arrived",
                "arrived",
                "returned",
            ]
        finally:
            server.stop()
            gw2.db.close()
    finally:
        if gw.server.thread.is_alive():
            gw.server.stop()
            gw.gateway.db.close()
        field.store.close()
