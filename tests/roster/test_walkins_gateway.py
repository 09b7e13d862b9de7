"""Walk-ins and the area roster against a real gateway (uvicorn on loopback), service level.

The station holds the roster of area 430121; the walk-ins live in 430104 (not on this station).
Each business is accepted offline 待卡管核实, uploaded by the real sync engine, decided by the
gateway's catalogue, and resolved by the `walkin_result` downlink.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from offline.business import ServiceContext
from offline.errors import DomainError
from offline.profiles import load_profile
from offline.services.alerts import alerts
from offline.services.queries import card_progress
from offline.services.walkins import WalkinInput, accept_walkin
from offline.store import Store
from sync import roster
from sync.engine import SyncEngine
from sync.gateway import catalogue
from sync.gateway.roster import import_roster
from sync.gateway.roster_sample import write_roster_csv
from sync.keys import sealer_for
from tests.sync.backends import Backend
from tests.sync.helpers import RunningGateway, enrol_station, operator

STATION = "43012100100100001" + "01"


@pytest.fixture
def world(tmp_path: Path, backend: Backend) -> Iterator[tuple[RunningGateway, Store, list[dict[str, str]]]]:
    gw = backend.start(tmp_path / "gw")
    csv = tmp_path / "roster.csv"
    rows = write_roster_csv(csv, 60, regions=("430121", "430104"), seed=3)
    import_roster(gw.gateway.db, csv)
    catalogue.set_area(gw.gateway.db, STATION, ["430121"])
    store = enrol_station(tmp_path, gw.gateway, gw.url, STATION)
    try:
        yield gw, store, rows
    finally:
        store.close()


def ctx(store: Store) -> ServiceContext:
    from offline.profiles import load_profile

    return ServiceContext(
        store, operator(store), sealer_for(store), STATION, STATION[:17], profile=load_profile("hunan")
    )


def holder(rows: list[dict[str, str]], region: str, status: str, skip: int = 0) -> dict[str, str]:
    return [r for r in rows if r["参保地区划"] == region and r["卡状态"] == status][skip]


def walkin(store: Store, r: dict[str, str], item: str, **kw: Any) -> str:
    inp = WalkinInput(
        item=item, ssn=r["社会保障号码"], name=kw.pop("name", r["姓名"]), doc_number=r["社会保障号码"], **kw
    )
    return accept_walkin(ctx(store), inp).receipt_no


def state(store: Store, receipt: str) -> tuple[str, str, Any]:
    row = store.one(
        "SELECT verify_state, remote_reason, card_id FROM businesses WHERE receipt_no = ?", (receipt,)
    )
    assert row is not None
    return row["verify_state"], row["remote_reason"], row["card_id"]


def card_status(store: Store, number: str) -> str:
    row = store.one("SELECT status FROM cards WHERE card_number = ?", (number,))
    return "" if row is None else str(row[0])


def test_snapshot_at_enrolment_covers_the_area_only(world: Any) -> None:
    _gw, store, rows = world
    report = roster.download_roster(store)
    assert report.rows == 30 and report.applied is not None and report.applied["persons_new"] == 30
    mine, other = holder(rows, "430121", "正常"), holder(rows, "430104", "正常")
    assert card_status(store, mine["社会保障卡卡号"]) == "issued"
    assert card_status(store, other["社会保障卡卡号"]) == ""
    assert roster.download_roster(store).already  # nothing new: nothing downloaded again


def test_snapshot_download_resumes_after_a_cut(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _gw, store, _rows = world
    monkeypatch.setattr(roster, "RANGE", 512)
    from sync.client import GatewayClient, LinkError

    real = GatewayClient.roster_chunk
    calls = {"n": 0}

    def cut(self: GatewayClient, sid: str, offset: int, length: int) -> bytes | None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise LinkError("network", "cut")
        return real(self, sid, offset, length)

    monkeypatch.setattr(GatewayClient, "roster_chunk", cut)
    roster.mark_pending(store)
    with pytest.raises(LinkError):
        roster.download_roster(store)
    assert roster.pending(store)
    assert store.one("SELECT COUNT(*) FROM persons")[0] == 0  # nothing applied from a partial file
    report = SyncEngine(store).run_once()  # the next sync run continues where the cut left it
    assert not roster.pending(store), report.errors
    assert store.one("SELECT COUNT(*) FROM persons WHERE source = 'catalogue'")[0] == 30
    assert calls["n"] > 3


def test_R_LOSS_2_walkin_temp_loss_confirmed_and_linked(world: Any) -> None:
    gw, store, rows = world
    r = holder(rows, "430104", "正常")
    receipt = walkin(store, r, "temp_loss", verbal=True)
    assert state(store, receipt)[0] == "pending"
    assert SyncEngine(store).run_once().ok
    verify, _, card_id = state(store, receipt)
    assert verify == "confirmed" and card_id is not None
    assert card_status(store, r["社会保障卡卡号"]) == "temp_lost"
    gw_card = gw.gateway.db.one(
        "SELECT status FROM holder_cards WHERE card_number = ?", (r["社会保障卡卡号"],)
    )
    assert gw_card["status"] == "temp_lost"  # every business the gateway accepts updates its catalogue


def test_R_LOSS_2_temp_loss_never_refused_for_lack_of_a_link(world: Any) -> None:
    _gw, store, _rows = world
    unknown = {"社会保障号码": "43010419800101123" + "X", "姓名": "查无此人"}
    from offline.validation.ids import ssn_check_digit

    unknown["社会保障号码"] = unknown["社会保障号码"][:17] + ssn_check_digit(unknown["社会保障号码"][:17])
    receipt = walkin(store, unknown, "temp_loss")
    SyncEngine(store).run_once()
    verify, reason, card_id = state(store, receipt)
    assert verify == "confirmed" and card_id is None and "人工核实" in reason
    answer = card_progress(ctx(store), receipt_no=receipt)  # item 11 by receipt number shows it too
    assert any("卡管已核实" in line and "人工核实" in line for line in answer.lines)


def test_R_REP_1_formal_loss_then_replacement_for_a_walkin(world: Any) -> None:
    _gw, store, rows = world
    r = holder(rows, "430104", "正常", 1)
    early = walkin(store, r, "replace", bank="中国银行")  # no formal loss yet: refused
    SyncEngine(store).run_once()
    assert state(store, early)[0] == "refused" and "须先正式挂失" in state(store, early)[1]
    outcome = store.one("SELECT outcome FROM inbox WHERE kind = 'walkin_result'")[0]
    assert "业务已撤销" in outcome and "工本费" in outcome and "应退还" in outcome  # R-REP-5 fee refunded
    outcome = store.one("SELECT outcome FROM inbox WHERE kind = 'walkin_result'")[0]
    assert "业务已撤销" in outcome and "工本费" in outcome and "应退还" in outcome  # R-REP-5 fee refunded
    loss = walkin(store, r, "formal_loss")
    SyncEngine(store).run_once()
    assert state(store, loss)[0] == "confirmed" and card_status(store, r["社会保障卡卡号"]) == "lost"
    again = walkin(store, r, "replace", bank="中国银行")
    SyncEngine(store).run_once()
    SyncEngine(store).run_once()  # production is immediate in the test gateway; the card follows
    assert state(store, again)[0] == "confirmed"
    cards = store.query(
        "SELECT c.card_number, c.status FROM cards c JOIN persons p ON p.id = c.person_id WHERE p.ssn = ?"
        " ORDER BY c.id",
        (r["社会保障号码"],),
    )
    assert (
        next(c["status"] for c in cards) == "lost"
        and len(cards) == 2
        and cards[1]["status"]
        in (
            "produced",
            "shipped",
        )
    )
    asked = walkin(store, r, "query", receipt_no=again)  # 查询 by receipt number (R-INFO-3)
    SyncEngine(store).run_once()
    verify, reason, _ = state(store, asked)
    assert verify == "confirmed" and reason.startswith(f"受理编号 {again}：") and "已" in reason


def test_R_CAN_1_walkin_cancel_refused_shows_an_alert(world: Any) -> None:
    gw, store, rows = world
    r = holder(rows, "430104", "正常", 2)
    receipt = walkin(store, r, "cancel", name="王五")
    SyncEngine(store).run_once()
    verify, reason, _ = state(store, receipt)
    assert verify == "refused" and reason == "姓名与卡管系统登记的不一致"
    said = [a.message_zh for a in alerts(store, load_profile("hunan"), today=datetime.now().date())]
    assert any("被卡管系统退回" in m and reason in m for m in said)
    gw_card = gw.gateway.db.one(
        "SELECT status FROM holder_cards WHERE card_number = ?", (r["社会保障卡卡号"],)
    )
    assert gw_card["status"] == "normal"  # refused: nothing changed at the card management system


def test_R_INFO_3_walkin_query_brings_the_holder(world: Any) -> None:
    _gw, store, rows = world
    r = holder(rows, "430104", "正常", 3)
    with pytest.raises(DomainError, match="Ctrl\\+W"):
        card_progress(ctx(store), ssn=r["社会保障号码"])
    receipt = walkin(store, r, "query")
    SyncEngine(store).run_once()
    assert state(store, receipt)[0] == "confirmed"
    answer = card_progress(ctx(store), ssn=r["社会保障号码"])
    assert (
        answer.cards[0].card_number == r["社会保障卡卡号"]
        and answer.cards[0].status_label == "已发放（正常）"
    )


def test_walkin_refused_for_a_person_the_station_knows(world: Any) -> None:
    _gw, store, rows = world
    roster.download_roster(store)
    r = holder(rows, "430121", "正常")
    with pytest.raises(DomainError, match="本站已有"):
        walkin(store, r, "temp_loss")


def test_a_new_holder_applied_for_elsewhere_reaches_the_other_station_of_the_area(
    world: Any, tmp_path: Path
) -> None:
    from offline.business import commit_business

    gw, store, _rows = world
    other_id = "43012100100100002" + "01"
    catalogue.set_area(gw.gateway.db, other_id, ["430121"])
    (tmp_path / "b").mkdir()
    other = enrol_station(tmp_path / "b", gw.gateway, gw.url, other_id)
    ssn = "430121199001010010"
    from offline.validation.ids import ssn_check_digit

    ssn = ssn[:17] + ssn_check_digit(ssn[:17])
    c = ServiceContext(
        other, operator(other), sealer_for(other), other_id, other_id[:17], profile=load_profile("hunan")
    )
    person = {"name": "新申领", "sex": "1", "ethnicity": "01", "birth_date": "", "doc_type": "resident_id",
              "doc_number": ssn, "phone": "13800000000", "residence_address": "长沙县"}  # fmt: skip
    with other.write() as conn:
        commit_business(c, conn, item="apply", summary="申领",
                        details={"ssn": ssn, "name": "新申领", "bank": "中国银行", "person": person})  # fmt: skip
    assert SyncEngine(other).run_once().ok
    assert SyncEngine(other).run_once().ok  # production is immediate in the test gateway
    assert SyncEngine(store).run_once().ok
    row = store.one(
        "SELECT p.name, p.source, c.status FROM persons p JOIN cards c ON c.person_id = p.id WHERE p.ssn = ?",
        (ssn,),
    )
    assert row is not None and tuple(row) == ("新申领", "catalogue", "produced")
    other.close()


def test_R_LOSS_1_a_roster_holder_is_served_like_one_enrolled_here(world: Any, tmp_path: Path) -> None:
    """A holder from the area roster: temporary loss at the station, and the other station hears of it."""
    from offline.services.losses import TempLossInput, report_temp_loss

    gw, store, rows = world
    other_id = "43012100100100003" + "01"
    catalogue.set_area(gw.gateway.db, other_id, ["430121"])
    (tmp_path / "c").mkdir()
    other = enrol_station(tmp_path / "c", gw.gateway, gw.url, other_id)
    roster.download_roster(store)
    roster.download_roster(other)
    r = holder(rows, "430121", "正常", 1)
    card = store.one("SELECT id FROM cards WHERE card_number = ?", (r["社会保障卡卡号"],))
    assert card is not None
    report_temp_loss(ctx(store), TempLossInput(card_id=int(card["id"]), verbal=True))
    assert SyncEngine(store).run_once().ok
    gw_card = gw.gateway.db.one(
        "SELECT status FROM holder_cards WHERE card_number = ?", (r["社会保障卡卡号"],)
    )
    assert gw_card["status"] == "temp_lost"
    assert SyncEngine(other).run_once().ok
    assert card_status(other, r["社会保障卡卡号"]) == "temp_lost"  # the other station of the area
    assert card_status(store, r["社会保障卡卡号"]) == "temp_lost"
    other.close()


def test_a_large_import_sends_one_refresh_instead_of_a_delta_per_holder(
    world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw, store, _rows = world
    roster.download_roster(store)
    monkeypatch.setattr(catalogue, "DELTA_LIMIT", 5)
    more = tmp_path / "more.csv"
    write_roster_csv(more, 40, regions=("430121",), seed=99)
    report = import_roster(gw.gateway.db, more)
    assert report.refresh and report.imported == 40
    kinds = [
        r["kind"] for r in gw.gateway.db.query("SELECT kind FROM updates WHERE station_id = ?", (STATION,))
    ]
    assert kinds.count("roster_refresh") == 1 and kinds.count("roster_holder") <= 5
    SyncEngine(store).run_once()  # applies the refresh: the snapshot is owed again
    assert roster.pending(store)
    SyncEngine(store).run_once()  # downloads the new snapshot
    assert not roster.pending(store)
    assert store.one("SELECT COUNT(*) FROM persons WHERE source = 'catalogue'")[0] == 70
