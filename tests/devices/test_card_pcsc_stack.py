"""The real stack: pcscd + vpcd + the emulator, reached through pyscard like a real reader.

These run the same session code as the in-process tests, but every APDU crosses pcscd,
so reader handling (T=0/T=1, GET RESPONSE, removal, insert/remove events) is proven too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from devices import classify_written
from devices.emulator import SAMPLE_HOLDER, EmulatedCard, Faults, make_card, make_kind
from devices.emulator.factory import CardKind
from devices.errors import CardRemovedError, MuteCardError, NoCardError, NoReaderError, WrongPinError
from devices.reader import ReaderEvent, ReaderMonitor
from devices.testing.pcsc_stack import PcscStack
from offline.protocols import ChipHolder

pytestmark = pytest.mark.pcsc

HOLDER = ChipHolder("420102199001011234", "李四", "2", "03", "420102", "19900101")


@pytest.mark.parametrize("kind", ["formal", "formal-v3"])
def test_read_through_pcscd_R_ISS_3(pcsc: PcscStack, kind: CardKind) -> None:
    pcsc.insert(EmulatedCard(make_kind(kind)))  # formal = T=0 with 61xx/6Cxx, formal-v3 = T=1 SM4
    session = pcsc.session()
    card = session.read_card()
    assert card.holder == SAMPLE_HOLDER and card.emulated and card.test_keys
    assert session.check_genuine()


def test_pin_verify_change_unblock_reload_through_pcscd_R_PIN_4(pcsc: PcscStack) -> None:
    emulated = EmulatedCard(make_kind("formal"))
    pcsc.insert(emulated)
    session = pcsc.session()
    session.verify_pin("666666")
    session.change_pin("666666", "135790")
    for _ in range(4):
        with pytest.raises(WrongPinError):
            session.verify_pin("000000")
    assert session.pin_state().tries_left == 1
    session.unblock_pin()
    assert session.pin_state().tries_left == 5
    session.verify_pin("135790")
    session.reload_pin("246810")
    session.verify_pin("246810")
    assert emulated.state.pin == "246810"


def test_personalise_and_recycle_through_pcscd_R_TMP_2_R_TMP_3(pcsc: PcscStack) -> None:
    pcsc.insert(EmulatedCard(make_card(version=3, holder=None)))
    session = pcsc.session()
    card = session.personalise(HOLDER, "20250101", "20250701")
    assert classify_written(card, HOLDER) == "complete"
    blank = session.erase()
    assert classify_written(blank, HOLDER) == "blank"


def test_home_region_through_pcscd_R_TRF_1(pcsc: PcscStack) -> None:
    pcsc.insert(EmulatedCard(make_kind("formal")))
    assert pcsc.session().write_home_region("420106").home_region == "420106"


def test_removal_mid_write_detected_on_next_insert_R_TMP_2(pcsc: PcscStack) -> None:
    emulated = EmulatedCard(make_card(version=3, holder=None), faults=Faults(remove_after_updates=3))
    pcsc.insert(emulated)
    session = pcsc.session()
    with pytest.raises(CardRemovedError):
        session.personalise(HOLDER, "20250101", "20250701")
    pcsc.wait_card(False)
    emulated.faults = Faults()
    pcsc.insert(emulated)
    again = pcsc.session()
    assert classify_written(again.read_card(), HOLDER) == "partial"
    assert classify_written(again.personalise(HOLDER, "20250101", "20250701"), HOLDER) == "complete"


def test_empty_reader_and_mute_card_errors(pcsc: PcscStack) -> None:
    with pytest.raises(NoCardError) as info:
        pcsc.session(timeout=0.3)
    assert "插入" in info.value.message_zh
    mute = EmulatedCard(make_kind("formal"), faults=Faults(mute=True))
    pcsc.link.insert(mute)
    pcsc.wait_card(True)
    with pytest.raises(MuteCardError):
        pcsc.session(timeout=1)


def test_unknown_reader_name(pcsc: PcscStack) -> None:
    from devices.session import open_pcsc_session

    with pytest.raises(NoReaderError):
        open_pcsc_session("No Such Reader", timeout=0.2)


def test_monitor_reports_insert_and_remove(pcsc: PcscStack) -> None:
    events: list[ReaderEvent] = []
    seen = threading.Condition()

    def on_event(event: ReaderEvent) -> None:
        with seen:
            events.append(event)
            seen.notify_all()

    def wait_for(kind: str) -> ReaderEvent:
        with seen:
            assert seen.wait_for(lambda: any(e.kind == kind and e.reader == pcsc.reader for e in events), 5)
            return next(e for e in events if e.kind == kind and e.reader == pcsc.reader)

    emulated = EmulatedCard(make_kind("formal"))
    with ReaderMonitor(on_event, poll_ms=200):
        assert wait_for("reader_added").emulated
        pcsc.insert(emulated)
        inserted = wait_for("card_inserted")
        assert inserted.atr == emulated.atr()
        pcsc.remove()
        wait_for("card_removed")


def test_cli_read_prints_chinese_labels(pcsc: PcscStack) -> None:
    pcsc.insert(EmulatedCard(make_kind("formal")))
    env = dict(os.environ)
    text = subprocess.run(
        [sys.executable, "-m", "cardstation.cli", "card", "read"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert text.returncode == 0, text.stderr
    assert "姓名：张三" in text.stdout and "模拟读卡器" in text.stdout and "测试密钥" in text.stdout
    as_json = subprocess.run(
        [sys.executable, "-m", "cardstation.cli", "card", "read", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert json.loads(as_json.stdout)["holder"]["ssn"] == SAMPLE_HOLDER.ssn
    pcsc.remove()
    empty = subprocess.run(
        [sys.executable, "-m", "cardstation.cli", "card", "read", "--timeout", "0.2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert empty.returncode == 1 and "没有卡" in empty.stderr


def test_cli_without_pcscd_says_so() -> None:
    env = dict(os.environ, PCSCLITE_CSOCK_NAME="/tmp/cardstation-no-such-pcscd.comm")
    done = subprocess.run(
        [sys.executable, "-m", "cardstation.cli", "card", "read"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert done.returncode == 1 and "pcscd" in done.stderr


def test_quick_remove_and_reinsert_leaves_no_stale_connection(pcsc: PcscStack) -> None:
    """Removing and re-inserting quickly: every next session works."""
    emulated = EmulatedCard(make_kind("formal"))
    for _ in range(3):
        pcsc.insert(emulated)
        assert pcsc.session().pin_state().tries_left == 5
        pcsc.remove()
