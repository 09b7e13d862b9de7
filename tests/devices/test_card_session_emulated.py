"""Card operations against the in-process emulator (same session code as over pcscd)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from devices import classify_written, open_emulated_session
from devices.emulator import SAMPLE_HOLDER, EmulatedCard, Faults, make_card
from devices.errors import (
    AuthFailedError,
    CardNotBlankError,
    CardRemovedError,
    MuteCardError,
    NameNotGbkError,
    NameTooLongError,
    PinBlockedError,
    UnknownCardError,
    WrongPinError,
)
from devices.sam import SoftwareSam
from devices.session import CardSessionImpl
from offline.protocols import CardSession, ChipHolder

Factory = Callable[..., EmulatedCard]
Opener = Callable[[EmulatedCard], CardSessionImpl]

HOLDER = ChipHolder(
    ssn="420102199001011234", name="李四", sex="2", ethnicity="03", birthplace="420102", birth_date="19900101"
)
LONG_NAME = ChipHolder(
    ssn="420102199001011234",
    name="阿卜杜热合曼·买买提艾力·吐尔逊江·热合曼",  # > 30 GBK bytes: continues in tag 4E
    sex="1",
    ethnicity="05",
    birthplace="650102",
    birth_date="19900101",
)


def test_session_satisfies_the_card_session_protocol(new_card: Factory, open_session: Opener) -> None:
    assert isinstance(open_session(new_card("formal")), CardSession)


@pytest.mark.parametrize(
    ("kind", "version"), [("formal-v1", "1.00"), ("formal", "2.00"), ("formal-v3", "3.00")]
)
def test_read_formal_cards_of_each_version_R_ISS_3(
    new_card: Factory, open_session: Opener, kind: str, version: str
) -> None:
    card = open_session(new_card(kind)).read_card()
    assert card.version == version
    assert card.holder == SAMPLE_HOLDER
    assert card.card_number == "L00000011"
    assert card.emulated and card.test_keys
    assert card.home_region == "110105"


def test_v1_card_has_no_name_extension_and_empty_version_tag(new_card: Factory, open_session: Opener) -> None:
    emulated = new_card("formal-v1")
    assert 0x4E not in emulated.state.ef06
    assert emulated.state.ef05[0x03] == b"\x00" * 4
    open_session(emulated).read_card()
    assert not any(h[1] == 0xB2 and h[2] == 0x4E for h in emulated.apdu_log)


def test_v3_read_authenticates_with_rk_before_ef06(new_card: Factory, open_session: Opener) -> None:
    emulated = new_card("formal-v3")
    open_session(emulated).read_card()
    headers = [h.hex().upper() for h in emulated.apdu_log]
    assert "00820001" in headers
    first_ef06 = headers.index("00B20800")
    assert headers.index("00820001") < first_ef06


def test_v3_card_refuses_ef06_read_without_rk(new_card: Factory) -> None:
    emulated = new_card("formal-v3")
    emulated.reset()
    emulated.process(bytes.fromhex("00A404000F7378312E73682EC9E7BBE1B1A3D5CF00"))
    emulated.process(bytes.fromhex("00A4020002EF06"))
    assert emulated.process(bytes.fromhex("00B2080000"))[-2:] == b"\x69\x82"


def test_genuine_card_passes_internal_auth_R_ISS_3(new_card: Factory, open_session: Opener) -> None:
    for kind in ("formal", "formal-v3"):
        assert open_session(new_card(kind)).check_genuine() is True


def test_card_of_another_issuer_fails_internal_auth_R_ISS_3(new_card: Factory, open_session: Opener) -> None:
    forged = new_card(version=2, holder=SAMPLE_HOLDER, key_variant="other issuer")
    assert open_session(forged).check_genuine() is False


def test_wrong_keys_give_a_clear_error_on_v3_read(new_card: Factory, open_session: Opener) -> None:
    forged = new_card(version=3, holder=SAMPLE_HOLDER, key_variant="other issuer")
    with pytest.raises(AuthFailedError) as info:
        open_session(forged).read_card()
    assert info.value.code == "auth_failed" and "密钥" in info.value.message_zh
    assert info.value.tries_left == 14


def test_mute_card(new_card: Factory, open_session: Opener) -> None:
    with pytest.raises(MuteCardError) as info:
        open_session(new_card("formal", faults=Faults(mute=True))).read_card()
    assert info.value.code == "mute_card"


def test_unknown_card_when_ssse_select_fails(open_session: Opener, new_card: Factory) -> None:
    class NotSsse(EmulatedCard):
        def process(self, raw: bytes) -> bytes:
            return b"\x6a\x82"

    card = new_card("formal")
    alien = NotSsse(card.state)
    with pytest.raises(UnknownCardError):
        open_session(alien).read_card()


# ---------------------------------------------------------------- PIN (R-PIN-3, R-PIN-4)


def test_pin_verify_and_state_R_PIN_3(new_card: Factory, open_session: Opener) -> None:
    session = open_session(new_card("formal"))
    assert session.pin_state().tries_left == 5
    session.verify_pin("666666")


def test_wrong_pin_counts_down_then_blocks_R_PIN_4(new_card: Factory, open_session: Opener) -> None:
    session = open_session(new_card("formal"))
    for left in (4, 3, 2, 1):
        with pytest.raises(WrongPinError) as info:
            session.verify_pin("000000")
        assert info.value.tries_left == left
        assert str(left) in info.value.message_zh
    with pytest.raises(PinBlockedError):
        session.verify_pin("000000")
    state = session.pin_state()
    assert state.blocked and state.tries_left == 0
    with pytest.raises(PinBlockedError):
        session.verify_pin("666666")  # even the right PIN is refused once blocked


def test_correct_pin_resets_the_counter(new_card: Factory, open_session: Opener) -> None:
    session = open_session(new_card("formal"))
    with pytest.raises(WrongPinError):
        session.verify_pin("000000")
    session.verify_pin("666666")
    assert session.pin_state().tries_left == 5


def test_change_pin_activation_R_PIN_3(new_card: Factory, open_session: Opener) -> None:
    session = open_session(new_card("formal-v3"))
    session.change_pin("666666", "802413")
    session.verify_pin("802413")
    with pytest.raises(WrongPinError):
        session.verify_pin("666666")
    with pytest.raises(WrongPinError):
        session.change_pin("666666", "111111")


def test_unblock_keeps_the_pin_R_PIN_4(new_card: Factory, open_session: Opener) -> None:
    session = open_session(new_card("locked"))
    assert session.pin_state().blocked
    session.unblock_pin()
    assert session.pin_state().tries_left == 5
    session.verify_pin("666666")


@pytest.mark.parametrize("kind", ["locked", "formal-v3"])
def test_reload_sets_a_new_pin_R_PIN_4(new_card: Factory, open_session: Opener, kind: str) -> None:
    session = open_session(new_card(kind))
    session.reload_pin("2468")
    session.verify_pin("2468")
    assert session.pin_state().tries_left == 5


def test_reload_with_wrong_keys_is_refused(new_card: Factory, open_session: Opener) -> None:
    forged = new_card(version=2, holder=SAMPLE_HOLDER, key_variant="x")
    with pytest.raises(AuthFailedError):
        open_session(forged).reload_pin("2468")
    assert forged.state.pin == "666666"


# ---------------------------------------------------------------- temporary cards (R-TMP-2, R-TMP-3)


@pytest.mark.parametrize("version", [2, 3])
def test_personalise_blank_temp_card_then_read_back_R_TMP_2(
    new_card: Factory, open_session: Opener, version: int
) -> None:
    session = open_session(new_card(version=version, holder=None))
    before = session.read_card()
    assert before.holder is None and classify_written(before, HOLDER) == "blank"
    card = session.personalise(HOLDER, "20250101", "20250701")
    assert card.holder == HOLDER and card.issue_date == "20250101" and card.expiry_date == "20250701"
    assert classify_written(card, HOLDER, issue_date="20250101") == "complete"
    assert open_session(EmulatedCard(session.channel.transport.card.state)).read_card() == card  # type: ignore[attr-defined]


def test_long_name_uses_tag_4e_on_v2(new_card: Factory, open_session: Opener) -> None:
    emulated = new_card(version=2, holder=None)
    card = open_session(emulated).personalise(LONG_NAME, "20250101", "20250701")
    assert card.holder is not None and card.holder.name == LONG_NAME.name
    assert emulated.state.ef06[0x4E].rstrip(b"\x00")


def test_long_name_does_not_fit_a_v1_card(new_card: Factory, open_session: Opener) -> None:
    emulated = new_card(version=1, holder=None)
    with pytest.raises(NameTooLongError):
        open_session(emulated).personalise(LONG_NAME, "20250101", "20250701")
    assert open_session(emulated).read_card().holder is None  # nothing was written


def test_name_outside_gbk_is_refused_before_writing_R_APP_6(new_card: Factory, open_session: Opener) -> None:
    emulated = new_card(version=3, holder=None)
    rare = ChipHolder("420102199001011234", "王𠀀", "1", "01", "420102", "19900101")
    with pytest.raises(NameNotGbkError):
        open_session(emulated).personalise(rare, "20250101", "20250701")
    assert not any(h[1] == 0xDC for h in emulated.apdu_log)


def test_personalise_refuses_a_card_of_someone_else_R_TMP_2(new_card: Factory, open_session: Opener) -> None:
    with pytest.raises(CardNotBlankError) as info:
        open_session(new_card("formal-v3")).personalise(HOLDER, "20250101", "20250701")
    assert info.value.code == "card_not_blank"


def test_personalise_is_idempotent(new_card: Factory, open_session: Opener) -> None:
    emulated = new_card(version=3, holder=None)
    session = open_session(emulated)
    first = session.personalise(HOLDER, "20250101", "20250701")
    updates_before = sum(1 for h in emulated.apdu_log if h[1] == 0xDC)
    assert session.personalise(HOLDER, "20250101", "20250701") == first
    assert sum(1 for h in emulated.apdu_log if h[1] == 0xDC) == updates_before  # nothing rewritten


def test_removal_mid_write_leaves_partial_and_resume_completes_R_TMP_2(
    new_card: Factory, sam: SoftwareSam
) -> None:
    emulated = new_card(version=3, holder=None, faults=Faults(remove_after_updates=4))
    with pytest.raises(CardRemovedError) as info:
        open_emulated_session(emulated, sam).personalise(HOLDER, "20250101", "20250701")
    assert "拔出" in info.value.message_zh
    emulated.faults = Faults()  # re-inserted
    session = open_emulated_session(emulated, sam)
    card = session.read_card()
    assert classify_written(card, HOLDER) == "partial"
    assert card.issue_date == "20250101"  # dates are written first
    done = session.personalise(HOLDER, "20250101", "20250701")
    assert classify_written(done, HOLDER) == "complete"


def test_erase_then_card_reads_blank_R_TMP_3(new_card: Factory, open_session: Opener) -> None:
    emulated = new_card(version=3, holder=None)
    session = open_session(emulated)
    session.personalise(HOLDER, "20250101", "20250701")
    card = session.erase()
    assert card.holder is None and card.issue_date == "" and card.expiry_date == ""
    assert classify_written(card, HOLDER) == "blank"
    assert all(set(v) <= {0x00, 0xFF} for v in emulated.state.ef06.values())
    assert session.personalise(LONG_NAME, "20250201", "20250801").holder == LONG_NAME  # back in stock


def test_erase_interrupted_reads_partial_R_TMP_3(new_card: Factory, sam: SoftwareSam) -> None:
    emulated = new_card("formal", faults=Faults(remove_after_updates=3))
    with pytest.raises(CardRemovedError):
        open_emulated_session(emulated, sam).erase()
    emulated.faults = Faults()
    session = open_emulated_session(emulated, sam)
    assert classify_written(session.read_card(), SAMPLE_HOLDER) == "partial"
    assert session.erase().holder is None


def test_removal_after_n_apdus(new_card: Factory, sam: SoftwareSam) -> None:
    session = open_emulated_session(new_card("formal", faults=Faults(remove_after_apdus=5)), sam)
    with pytest.raises(CardRemovedError):
        session.read_card()


def test_home_region_rewrite_R_TRF_1(new_card: Factory, open_session: Opener) -> None:
    emulated = new_card("formal-v3")
    session = open_session(emulated)
    card = session.write_home_region("420106")
    assert card.home_region == "420106"
    assert card.holder == SAMPLE_HOLDER  # nothing else touched
    assert session.write_home_region("420106").home_region == "420106"  # idempotent


def test_writes_need_uk_authentication(new_card: Factory) -> None:
    emulated = new_card(version=2, holder=None)
    emulated.reset()
    emulated.process(bytes.fromhex("00A404000F7378312E73682EC9E7BBE1B1A3D5CF"))
    emulated.process(bytes.fromhex("00A4020002EF06"))
    update = bytes.fromhex("00DC080014") + bytes((0x08, 18)) + b"1" * 18
    assert emulated.process(update)[-2:] == b"\x69\x82"


# ---------------------------------------------------------------- T=0, persistence


def test_t0_card_answers_61xx_and_6cxx_and_the_session_copes(new_card: Factory, open_session: Opener) -> None:
    emulated = new_card(version=2, holder=SAMPLE_HOLDER, protocol=0)
    open_session(emulated).read_card()
    headers = [h.hex().upper() for h in emulated.apdu_log]
    assert "00C00000" in headers  # GET RESPONSE after 61xx
    assert headers.count("00B20800") == 2  # Le 00 -> 6C14 -> resent with Le 14
    emulated.process(bytes.fromhex("00A404000F7378312E73682EC9E7BBE1B1A3D5CF"))
    emulated.process(bytes.fromhex("00A4020002EF06"))
    assert emulated.process(bytes.fromhex("00B2080000")) == bytes.fromhex("6C14")


def test_t1_card_needs_no_get_response(new_card: Factory, open_session: Opener) -> None:
    emulated = new_card(version=3, holder=SAMPLE_HOLDER, protocol=1)
    open_session(emulated).read_card()
    assert not any(h[1] == 0xC0 for h in emulated.apdu_log)


def test_card_state_survives_emulator_restart(tmp_path: Path, sam: SoftwareSam) -> None:
    path = tmp_path / "card.json"
    first = EmulatedCard.open(path, make_card(version=3, holder=None))
    open_emulated_session(first, sam).personalise(HOLDER, "20250101", "20250701")
    with pytest.raises(WrongPinError):
        open_emulated_session(first, sam).verify_pin("000000")
    again = EmulatedCard.open(path)
    session = open_emulated_session(again, sam)
    assert session.read_card().holder == HOLDER
    assert session.pin_state().tries_left == 4


def test_initial_pin_and_try_limit_are_configurable(new_card: Factory, open_session: Opener) -> None:
    session = open_session(new_card(version=2, holder=SAMPLE_HOLDER, pin="123456", pin_limit=3))
    assert session.pin_state().tries_left == 3
    session.verify_pin("123456")
