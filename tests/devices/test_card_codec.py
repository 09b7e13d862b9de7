"""Codecs of the card items: BCD (cn), GBK text (an), records, PIN blocks, check character."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codec import (
    decode_an,
    decode_cn,
    decode_pin,
    decode_record,
    encode_an,
    encode_cn,
    encode_pin,
    encode_record,
    split_gbk,
)
from devices.errors import CardError, InvalidPinError, NameNotGbkError, NameTooLongError
from devices.layout import ITEMS
from offline.protocols import card_number_check_char, card_number_is_valid

gbk_text = st.text(
    alphabet=st.characters(codec="gbk", exclude_characters="\x00", exclude_categories=["Cs"]),
    max_size=15,
)


def test_check_char_worked_example_from_the_spec() -> None:
    assert card_number_check_char("D2143569") == "X"
    assert card_number_is_valid("D2143569X")
    assert not card_number_is_valid("D21435690")


def test_check_char_maps_eleven_to_zero_and_is_case_insensitive() -> None:
    # Find a body whose weighted sum is 0 mod 11: all zeros -> 11 - 0 = 11 -> '0'.
    assert card_number_check_char("00000000") == "0"
    assert card_number_check_char("d2143569") == "X"
    with pytest.raises(ValueError):
        card_number_check_char("D214356")


@given(st.text(alphabet="0123456789", max_size=32), st.integers(min_value=1, max_value=16))
def test_cn_round_trip_pads_with_f(digits: str, length: int) -> None:
    if len(digits) > 2 * length:
        with pytest.raises(CardError):
            encode_cn(digits, length)
        return
    raw = encode_cn(digits, length)
    assert len(raw) == length
    assert raw.hex().upper().endswith("F" * (2 * length - len(digits)))
    assert decode_cn(raw) == digits


def test_cn_card_identification_code_keeps_the_rid() -> None:
    code = "420100D1560000050000000100007932"
    assert decode_cn(encode_cn(code, 16)) == code


@given(gbk_text, st.integers(min_value=1, max_value=40))
def test_an_round_trip_pads_with_zero(text: str, length: int) -> None:
    size = len(text.encode("gbk"))
    if size > length:
        with pytest.raises(NameTooLongError):
            encode_an(text, length)
        return
    raw = encode_an(text, length)
    assert len(raw) == length and raw[size:] == b"\x00" * (length - size)
    assert decode_an(raw) == text


def test_an_rejects_characters_outside_gbk() -> None:
    with pytest.raises(NameNotGbkError) as info:
        encode_an("𠀀", 30)  # CJK Extension B: not in GBK -> route to the provincial centre
    assert "生僻字" in info.value.message_zh


@given(gbk_text, st.integers(min_value=2, max_value=30))
def test_split_gbk_never_cuts_a_character(text: str, first: int) -> None:
    head, tail = split_gbk(text, first)
    assert head + tail == text
    assert len(head.encode("gbk")) <= first
    if tail:
        assert len((head + tail[0]).encode("gbk")) > first


@given(st.integers(min_value=0, max_value=255), st.binary(max_size=255))
def test_record_round_trip(tag: int, value: bytes) -> None:
    assert decode_record(encode_record(tag, value), tag) == (tag, value)


@given(st.binary(max_size=40))
def test_record_decoder_only_raises_card_errors(raw: bytes) -> None:
    with contextlib.suppress(CardError):
        decode_record(raw)


@given(st.text(alphabet="0123456789", min_size=4, max_size=12))
def test_pin_bcd_round_trip_final_nibble_f(pin: str) -> None:
    raw = encode_pin(pin)
    assert len(raw) == (len(pin) + 1) // 2
    assert (len(pin) % 2 == 1) == raw.hex().upper().endswith("F")
    assert decode_pin(raw) == pin


@pytest.mark.parametrize("bad", ["123", "1234567890123", "12a456", "１２３４"])
def test_pin_format_is_checked_before_any_command(bad: str) -> None:
    with pytest.raises(InvalidPinError):
        encode_pin(bad)


def test_layout_matches_the_spec_table() -> None:
    table = {item.tag: (item.file, item.fmt, item.length) for item in ITEMS}
    assert table[0x01] == ("EF05", "cn", 16)
    assert table[0x07] == ("EF05", "an", 9)
    assert table[0x09] == ("EF06", "an", 30)
    assert table[0x4E] == ("EF06", "an", 20)
    assert table[0x0D] == ("EF06", "cn", 4)
