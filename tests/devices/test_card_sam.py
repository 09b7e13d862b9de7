"""The software security module: test keys, diversification, session keys and MACs."""

from __future__ import annotations

import pytest

from devices import crypto
from devices.atr import build_atr, parse_atr
from devices.layout import Algorithm, KeyId
from devices.sam import (
    CardIdentity,
    SecurityModule,
    SoftwareSam,
    card_factors,
    derive_card_key,
    software_master_key,
)

CODE = "420100D1560000050000000100007932"


def identity(alg: Algorithm, serial: bytes = bytes.fromhex("0000000100007932")) -> CardIdentity:
    return CardIdentity(CODE, build_atr(bytes.fromhex("86435303") + serial, 1), alg)


def test_software_sam_says_it_uses_test_keys(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="devices.sam"):
        sam = SoftwareSam()
    assert isinstance(sam, SecurityModule)
    assert sam.test_keys is True and "测试密钥" in sam.label
    assert any("TEST keys" in r.message for r in caplog.records)


def test_three_level_factors_come_from_the_card_id_and_the_atr() -> None:
    province, city, card = card_factors(identity(Algorithm.TDES))
    assert province == bytes.fromhex("420000D156000005")
    assert city == bytes.fromhex("420100D156000005")
    assert card == bytes.fromhex("0000000100007932")


@pytest.mark.parametrize("alg", [Algorithm.TDES, Algorithm.SM4])
def test_card_keys_differ_per_card_and_per_key(alg: Algorithm) -> None:
    master = software_master_key(KeyId.UK, alg)
    k1 = derive_card_key(master, identity(alg))
    k2 = derive_card_key(master, identity(alg, bytes.fromhex("0000000200007932")))
    assert len(k1) == 16 and k1 != k2
    assert k1 != derive_card_key(software_master_key(KeyId.RK, alg), identity(alg))


@pytest.mark.parametrize(("alg", "block"), [(Algorithm.TDES, 8), (Algorithm.SM4, 16)])
def test_session_keys_and_macs(alg: Algorithm, block: int) -> None:
    key = bytes(range(16))
    sk1, sk2 = crypto.session_key(alg, key, b"A" * 8), crypto.session_key(alg, key, b"B" * 8)
    assert sk1 != sk2 and len(sk1) == block
    mac = crypto.mac(alg, sk1, bytes.fromhex("8424000004"))
    assert len(mac) == 4 and mac != crypto.mac(alg, sk1, bytes.fromhex("8424000104"))
    assert len(crypto.cryptogram(alg, sk1, b"12345678")) == 8


def test_mac_is_cbc_over_80_padding_leftmost_4_bytes() -> None:
    key = bytes(range(8))
    message = bytes.fromhex("8424000004")
    padded = message + b"\x80\x00\x00"
    assert crypto.mac(Algorithm.TDES, key, message) == crypto.ecb_encrypt(Algorithm.TDES, key, padded)[:4]


@pytest.mark.parametrize("alg", [Algorithm.TDES, Algorithm.SM4])
def test_pin_block_round_trip(alg: Algorithm) -> None:
    block = crypto.encrypt_pin_block(alg, bytes(16), bytes.fromhex("123456"))
    assert crypto.decrypt_pin_block(alg, bytes(16), block) == bytes.fromhex("123456")
    assert crypto.decrypt_pin_block(alg, bytes(range(16)), block) != bytes.fromhex("123456")


def test_atr_parser_reads_historical_bytes_and_protocols() -> None:
    hist = bytes.fromhex("864353030000000100007932")
    assert parse_atr(build_atr(hist, 0)).historical == hist
    info = parse_atr(build_atr(hist, 1))
    assert info.historical == hist and info.protocols == (1,)
