"""APDU/response parsing, status words, and robustness against arbitrary card bytes."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.apdu import Apdu, Response
from devices.errors import (
    AuthFailedError,
    CardError,
    CardFileNotFoundError,
    KeyBlockedError,
    NoSpaceError,
    PinBlockedError,
    SecurityStatusError,
    TlvMismatchError,
    WrongLengthError,
    WrongPinError,
    error_for_status,
)
from devices.sam import SoftwareSam
from devices.session import CardSessionImpl
from devices.transport import CardChannel


def test_apdu_encoding_cases() -> None:
    assert Apdu(0x00, 0x84, 0, 0, le=8).to_bytes() == bytes.fromhex("0084000008")
    assert Apdu(0x00, 0xA4, 2, 0, b"\xef\x05").to_bytes() == bytes.fromhex("00A4020002EF05")
    select = Apdu(0x00, 0xA4, 4, 0, b"\x01\x02", le=0)
    assert Apdu.parse(select.to_bytes()) == select


def test_pin_apdus_are_masked_in_logs() -> None:
    """R-PIN-6: PIN digits never reach a log line."""
    verify = Apdu(0x00, 0x20, 0, 0, bytes.fromhex("666666"), sensitive=True)
    assert "666666" not in verify.loggable()


@pytest.mark.parametrize(
    ("sw", "context", "error", "tries"),
    [
        (0x63C3, "pin", WrongPinError, 3),
        (0x63C0, "pin", PinBlockedError, 0),
        (0x6983, "pin", PinBlockedError, 0),
        (0x63C2, "key", AuthFailedError, 2),
        (0x6983, "key", KeyBlockedError, None),
        (0x6982, "plain", SecurityStatusError, None),
        (0x6A82, "plain", CardFileNotFoundError, None),
        (0x6700, "plain", WrongLengthError, None),
        (0x6C10, "plain", WrongLengthError, None),
        (0x6A84, "plain", NoSpaceError, None),
        (0x6A85, "plain", TlvMismatchError, None),
    ],
)
def test_status_words_map_to_typed_errors_with_chinese_text(
    sw: int, context: str, error: type[CardError], tries: int | None
) -> None:
    found = error_for_status(sw, context)  # type: ignore[arg-type]
    assert isinstance(found, error)
    assert found.tries_left == tries
    assert found.message_zh and not found.message_zh.isascii()
    if tries:
        assert str(tries) in found.message_zh


def test_success_is_not_an_error() -> None:
    assert error_for_status(0x9000) is None


@given(st.binary(max_size=300))
def test_response_parser_never_crashes(raw: bytes) -> None:
    try:
        response = Response.parse(raw)
    except CardError:
        assert len(raw) < 2
        return
    assert response.to_bytes() == raw
    try:
        response.check()
    except CardError:
        assert response.sw != 0x9000


@given(st.binary(max_size=300))
def test_command_parser_only_raises_card_errors(raw: bytes) -> None:
    with contextlib.suppress(CardError):
        Apdu.parse(raw)


class ScriptedTransport:
    """Answers every command with the next scripted response (then repeats the last)."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = answers
        self.sent: list[bytes] = []

    def atr(self) -> bytes:
        return bytes.fromhex("3B0C864353020000000100007932")

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append(apdu)
        return self.answers[min(len(self.sent) - 1, len(self.answers) - 1)]


def test_61xx_is_followed_by_get_response() -> None:
    t = ScriptedTransport([bytes.fromhex("6104"), bytes.fromhex("010203049000")])
    assert CardChannel(t).call(Apdu(0x00, 0x88, 0, 0, b"\x00" * 16, le=0)) == bytes.fromhex("01020304")
    assert t.sent[1] == bytes.fromhex("00C0000004")


def test_6cxx_resends_with_the_right_le() -> None:
    t = ScriptedTransport([bytes.fromhex("6C05"), bytes.fromhex("08035A5A5A9000")])
    assert CardChannel(t).call(Apdu(0x00, 0xB2, 0x08, 0x00, le=0)) == bytes.fromhex("08035A5A5A")
    assert t.sent[1] == bytes.fromhex("00B2080005")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=6))
def test_session_on_garbage_card_raises_only_card_errors(answers: list[bytes]) -> None:
    """Whatever an unknown or damaged card answers, the operator gets a CardError."""
    session = CardSessionImpl(ScriptedTransport(answers), SoftwareSam())
    for op in (session.read_card, session.pin_state, session.check_genuine):
        with contextlib.suppress(CardError):
            op()
