"""Every downlink kind the station handles is produced by the gateway in some flow.

HN 24(3)-(4): the bank-change reply (复函) once had a station handler that nothing could ever
send. The enumeration below drives each gateway flow once and collects the kinds it queued; a
kind added to `offline.downlink.HANDLERS` without a producer fails it. The end-to-end tests run a
real station (real services, real sealer, emulated chip) against the real gateway on loopback:
the bank change reaches its approval and the new card; a key-information change (HB 25,
HN 16) gets an application at the gateway and a produced card.

Every test runs on both gateway storage engines (tests/sync/backends.py): SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from offline import downlink
from offline.business import ServiceContext
from offline.store import Store
from sync.engine import SyncEngine
from sync.gateway import catalogue, flows, intake
from sync.gateway.db import GatewayStore
from sync.gateway.production import tick
from tests.sync.backends import Backend, backend, gateway_store  # noqa: F401 (fixtures)
from tests.sync.helpers import RunningGateway

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STATION = "43012100100100001" + "01"
OTHER_STATION = "43012100100100002" + "01"
PROFILE = (Path(__file__).parents[2] / "offline" / "profiles" / "hunan.toml").read_text(encoding="utf-8")


GatewayStores = Callable[[Path], GatewayStore]


@pytest.fixture
def fresh_gateway(backend: Backend, tmp_path: Path) -> Iterator[RunningGateway]:  # noqa: F811
    yield backend.start(tmp_path / "gw")


def _business(db: GatewayStore, item: str, receipt_no: str, details: dict[str, Any], *, demo: bool) -> None:
    config = intake.IntakeConfig(production_days=0.0 if demo else 5.0)
    payload = json.dumps({"item": item, "receipt_no": receipt_no, "details": details}).encode()
    with db.write() as conn:
        intake._act_on_business(conn, STATION, payload, NOW, config)


def test_every_downlink_kind_is_produced_by_a_gateway_flow_HN_24(
    tmp_path: Path,
    gateway_store: GatewayStores,  # noqa: F811
) -> None:
    db = gateway_store(tmp_path)
    ssn = "110101199003070016"
    catalogue.set_area(db, OTHER_STATION, ["430121"])  # another station of the same township
    person = {"name": "张三", "doc_type": "resident_id", "doc_number": ssn}
    _business(db, "apply", "R1", {"ssn": ssn, "bank": "中国银行", "person": person}, demo=True)
    tick(db, NOW + timedelta(days=2))  # card_produced, card_shipped; roster_holder to the other station
    card = db.one("SELECT card_number FROM applications WHERE receipt_no = 'R1'")["card_number"]
    _business(db, "formal_loss", "R2", {"ssn": ssn}, demo=True)  # ack_status
    _business(
        db, "bank_change", "R3", {"ssn": ssn, "card_number": card, "new_bank": "中国农业银行"}, demo=False
    )
    flows.decide_bank_change(db, "R3", approved=True, reason="同意", now=NOW)
    flows.report_bank_loss(db, card, kind="temp", now=NOW)
    flows.lift_bank_loss(db, card, now=NOW)
    flows.revoke_operator(db, STATION, "wangxh", reason="离岗", now=NOW)
    flows.publish_profile(db, PROFILE, now=NOW)
    flows.publish_calendar(db, [("2027-01-01", False, "元旦")], now=NOW)
    _business(db, "temp_card", "R4", {"ssn": ssn, "online_check_pending": True}, demo=True)
    walkin = {"walkin": True, "ssn": ssn, "name": "张三", "doc_type": "resident_id", "doc_number": ssn}
    _business(db, "temp_loss", "R5", walkin, demo=True)  # walkin_result
    _business(db, "card_in_hand", "R6", {"card_number": card, "ssn": ssn}, demo=True)  # card_holder_verdict
    catalogue.publish_refresh(db, NOW.isoformat())  # roster_refresh (a province extract re-imported)
    produced = {r["kind"] for r in db.query("SELECT DISTINCT kind FROM updates")}
    missing = sorted(set(downlink.HANDLERS) - produced)
    assert not missing, f"downlink kinds the station handles but no gateway flow produces: {missing}"


def test_key_info_change_files_an_application_at_the_gateway_HB_25_HN_16(
    tmp_path: Path,
    gateway_store: GatewayStores,  # noqa: F811
) -> None:
    db = gateway_store(tmp_path)
    old, new = "110101199003070016", "110101199003070024"
    _business(db, "apply", "R1", {"ssn": old, "bank": "中国银行"}, demo=True)
    details = {
        "ssn": new,
        "bank": "中国银行",
        "new_card": True,
        "key_changes": {"ssn": {"old": old, "new": new}},
    }
    _business(db, "key_info_change", "R2", details, demo=True)
    rows = {r["receipt_no"]: r["state"] for r in db.query("SELECT receipt_no, state FROM applications")}
    assert rows == {"R1": "replaced", "R2": "accepted"}
    kinds = [r["kind"] for r in db.query("SELECT kind FROM updates WHERE update_id LIKE '%R2%'")]
    assert kinds == ["application_result"]


def test_a_bad_decision_request_is_refused_in_chinese(
    tmp_path: Path,
    gateway_store: GatewayStores,  # noqa: F811
) -> None:
    db = gateway_store(tmp_path)
    with pytest.raises(flows.FlowError, match="没有受理编号"):
        flows.decide_bank_change(db, "nope", approved=True, reason="", now=NOW)
    with pytest.raises(flows.FlowError, match="制卡记录"):
        flows.report_bank_loss(db, "A00000017", kind="temp", now=NOW)


# --------------------------------------------------------------------- end to end on loopback


class _Station:
    def __init__(self, tmp_path: Path, gw: RunningGateway) -> None:
        from offline.operators import insert_operator
        from offline.profiles import load_profile
        from offline.station import init_station
        from sync import keys

        now = datetime.now().astimezone()
        self.store = Store.open(tmp_path / "station.db")
        self.info = init_station(
            self.store,
            province="hunan",
            service_point="43012100100100009",
            admin_username="admin",
            admin_real_name="管理员",
            admin_password="Admin-pass-12",
            now=now,
        )
        with self.store.write() as conn:
            self.operator = insert_operator(
                conn,
                username="lizg",
                real_name="李主管",
                role="supervisor",
                password="Super-pass-12",
                now=now,
                by_id=None,
            )
        priv, pub, _kid = keys.new_station_key()
        keys.pin_bundle(self.store, gw.gateway.keyring.register(self.info.station_id, pub, gw.gateway.now()))
        keys.save_identity(self.store, station_id=self.info.station_id, private_key=priv, url=gw.url)
        self.profile = load_profile("hunan")

    def ctx(self, card: Any = None) -> ServiceContext:
        from sync.keys import sealer_for

        return ServiceContext(
            store=self.store,
            operator=self.operator,
            sealer=sealer_for(self.store),
            station_id=self.info.station_id,
            service_point=self.info.service_point,
            terminal=self.info.terminal,
            profile=self.profile,
            card=card,
        )

    def sync(self) -> None:
        SyncEngine(self.store).run_once()

    def issued_person(self, seed: int, *, face_ok: bool = True) -> tuple[Any, str]:
        """A person with an issued card, through apply → gateway → receive → issue (emulated chip)."""
        from devices import open_emulated_session
        from devices.emulator.card import EmulatedCard
        from devices.emulator.factory import make_card
        from offline.protocols import ChipHolder
        from offline.samples import sample_person
        from offline.services.applications import ApplicationInput, apply_card
        from offline.services.issuance import IssueInput, issue_card
        from offline.services.persons import find_card
        from offline.services.stock import ReceiveInput, receive_cards, shipped_cards

        person = sample_person(
            random.Random(seed), province="hunan", age_range=(30, 50), today=datetime.now().date()
        )
        apply_card(self.ctx(), ApplicationInput(person, "local", "fast", self.profile.banks[0]))
        self.sync()
        self.sync()
        numbers = shipped_cards(self.store)
        receive_cards(self.ctx(), ReceiveInput.from_numbers(numbers, source="shipment"))
        card = find_card(self.store, numbers[0])
        assert card is not None
        holder = ChipHolder(
            ssn=person.doc_number,
            name=person.name,
            sex=person.sex,
            ethnicity=person.ethnicity,
            birthplace=person.doc_number[:6],
            birth_date=person.birth_date.replace("-", ""),
        )
        from devices.layout import BY_KEY
        from devices.records import encode_item

        state = make_card(holder=holder, serial=seed, issue_date="20260201", expiry_date="20360201")
        item = BY_KEY["card_number"]  # the number the gateway gave this card
        state.ef05[item.tag] = encode_item(item, card.card_number)
        chip = EmulatedCard(state)
        issue_card(
            self.ctx(open_emulated_session(chip)),
            IssueInput(
                card_id=card.id,
                mode="window",
                holder_doc_number=person.doc_number,
                face_photo_ok=True,
                face_text_ok=face_ok,
                signed=face_ok,
            ),
        )
        return person, card.card_number


def test_bank_change_reply_arrives_and_the_new_card_follows_HN_24(
    fresh_gateway: RunningGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cardstation.cli import main
    from offline.services.bank_change import BankChangeInput, change_bank
    from offline.services.exchange import ExchangeInput, exchange_card

    st = _Station(tmp_path, fresh_gateway)
    person, number = st.issued_person(5)
    fresh_gateway.gateway.intake_config.production_days = 5.0  # a card centre that takes its time
    new_bank = st.profile.banks[1]
    filed = change_bank(
        st.ctx(), BankChangeInput(number, person.doc_number, new_bank, "工资卡银行变化", ("变更申请表",))
    )
    st.sync()
    for name, value in fresh_gateway.env.items():  # the CLI finds this gateway's key file
        monkeypatch.setenv(name, value)
    assert main(["gateway", "decide-bank-change", "--db", str(fresh_gateway.gateway.config.db_path),
                 "--receipt-no", filed.receipt_no, "--approve", "--reason", "同意"]) == 0  # fmt: skip
    st.sync()
    row = st.store.one("SELECT status, decision_reason FROM bank_change_requests")
    assert row is not None and (row["status"], row["decision_reason"]) == ("approved", "同意")
    outcome = st.store.one("SELECT outcome FROM inbox WHERE kind = 'bank_change_decision'")
    assert outcome is not None and "同意变更发卡银行" in outcome["outcome"]
    exchanged = exchange_card(
        st.ctx(),
        ExchangeInput(
            number, "bank_change", person.doc_number, financial_account_closed=True, fee_receipt_no="湘财票 9"
        ),
    )
    st.sync()
    gw_row = fresh_gateway.gateway.db.one(
        "SELECT state, bank FROM applications WHERE receipt_no = ?", (exchanged.receipt_no,)
    )
    assert gw_row is not None and gw_row["bank"] == new_bank


def test_key_info_change_gets_a_new_card_from_the_gateway_HB_25(
    fresh_gateway: RunningGateway, tmp_path: Path
) -> None:
    from offline.services.info_changes import KeyInfoChangeInput, change_key_info

    st = _Station(tmp_path, fresh_gateway)
    person, _number = st.issued_person(6)
    result = change_key_info(
        st.ctx(),
        KeyInfoChangeInput(
            ssn=person.doc_number,
            doc_number=person.doc_number,
            financial_account_closed=True,
            fee_receipt_no="湘财票 10",
            new_name="王新名",
            police_proof="更名证明 2026-118",
        ),
    )
    st.sync()
    st.sync()
    assert fresh_gateway.gateway.db.one(
        "SELECT 1 FROM applications WHERE receipt_no = ? AND state IN ('accepted', 'produced', 'shipped')",
        (result.receipt_no,),
    )
    app = st.store.one(
        "SELECT a.status FROM applications a JOIN businesses b ON b.id = a.business_id WHERE b.receipt_no = ?",
        (result.receipt_no,),
    )
    assert app is not None and app["status"] in ("produced", "shipped")


def test_card_returned_after_a_failed_face_check_is_made_again_HB_16(
    fresh_gateway: RunningGateway, tmp_path: Path
) -> None:
    """R-ISS-3 (HB 16, 27): the return reaches the gateway, which makes the card again."""
    from offline.services.issuance import CardReturned
    from offline.services.queries import card_progress

    st = _Station(tmp_path, fresh_gateway)
    with pytest.raises(CardReturned) as err:
        st.issued_person(7, face_ok=False)
    assert "重新制作" in " ".join(err.value.result.details["reminders"])
    ssn = st.store.one("SELECT ssn FROM persons")["ssn"]  # type: ignore[index]
    assert "重新制作" in "\n".join(card_progress(st.ctx(), ssn=ssn).lines)
    st.sync()
    st.sync()
    cards = st.store.query("SELECT card_number, status FROM cards ORDER BY id")
    assert [c["status"] for c in cards] == ["returned", "shipped"]
    assert cards[0]["card_number"] != cards[1]["card_number"]
    app = st.store.one("SELECT status FROM applications")
    assert app is not None and app["status"] == "shipped"


def test_online_check_asks_the_gateway_and_offline_pending_is_resolved_R_TMP_2(
    fresh_gateway: RunningGateway, tmp_path: Path
) -> None:
    """联网核查 is a real answer when online, 'pending' without a link, resolved on the downlink."""
    from offline.business import commit_business
    from sync.verify import online_checker

    st = _Station(tmp_path, fresh_gateway)
    person, _number = st.issued_person(8)
    check = online_checker(st.store)
    assert check(person.doc_number)[0] == "passed"
    # no record yet (e.g. not uploaded): pending, checked again when the business arrives
    assert check("110101199003070016") == ("pending", "卡管系统尚无此人的社会保障卡申领记录")
    assert online_checker(st.store, url="http://127.0.0.1:9")(person.doc_number)[0] == "pending"
    ctx = st.ctx()
    with st.store.write() as conn:  # a temporary card issued while the link was down
        pending = commit_business(
            ctx,
            conn,
            item="temp_card",
            summary="临时卡发放（待联网核查）",
            details={"action": "issue", "ssn": person.doc_number, "online_check_pending": True},
        )
    st.sync()
    st.sync()
    row = st.store.one(
        "SELECT remote_status, remote_reason FROM businesses WHERE receipt_no = ?", (pending.receipt_no,)
    )
    assert row is not None and row["remote_status"] == "联网核查通过"
