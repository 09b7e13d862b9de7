"""Fuzz campaign, short form (bench/campaigns/fuzz.py): every input boundary keeps its contract on
arbitrary input; what it found in code owned elsewhere is pinned below (strict xfail while open).
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import pytest

from bench.campaigns import fuzz

EXAMPLES = 200


@pytest.fixture(autouse=True)
def _quiet(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="devices")


def _clean(results: list[fuzz.FuzzResult]) -> None:
    for r in results:
        assert r.failures == [], r.to_dict()
        assert r.cases >= min(EXAMPLES, 40) or r.name == "validators.photo", r.to_dict()


def test_R_ID_3_R_APP_1_R_PIN_3_validators_return_problems_never_raise() -> None:
    _clean(fuzz.fuzz_validators(EXAMPLES))


def test_R_ISS_3_card_codecs_and_parsers_raise_only_card_errors() -> None:
    _clean(fuzz.fuzz_devices(EXAMPLES))


def test_R_SEC_1_envelope_opener_rejects_random_and_mutated_bytes_with_a_code() -> None:
    _clean(fuzz.fuzz_envelopes(EXAMPLES))


def test_R_APP_9_batch_csv_parser_gives_rows_or_a_batch_file_error() -> None:
    _clean(fuzz.fuzz_batch_csv(EXAMPLES))


def test_R_SEC_1_gateway_never_answers_5xx_to_requests_from_its_openapi() -> None:
    result = fuzz.fuzz_gateway(400)
    assert result.failures == [], result.to_dict()
    assert result.cases >= 400


@pytest.mark.timeout(150)
def test_R_SEC_2_tui_survives_1500_random_keys() -> None:
    result = fuzz.fuzz_tui(1500, seed=3)
    assert result.failures == [], result.to_dict()
    assert result.cases >= 1500


# --------------------------------------------------------------------------- bugs the fuzz found in sync and tui


def test_gateway_rotate_with_a_short_public_key_is_a_4xx_not_a_500(tmp_path: Path) -> None:
    """Found by the gateway fuzz (was a 500: RegistryError unmapped); fixed in sync by its owner."""
    from starlette.testclient import TestClient

    from sync import keys as skeys
    from sync.gateway.app import create_app
    from sync.keys import StationIdentity, sign_request

    gw = create_app(tmp_path / "gateway.db", production_days=0.0)
    priv, pub, kid = skeys.new_station_key()
    gw.keyring.register(fuzz.STATION_ID, pub, gw.now())
    ident = StationIdentity(fuzz.STATION_ID, kid, priv, pub)
    body = b'{"public_key": "AAAA"}'  # valid base64, 3 bytes: not an Ed25519 key
    auth = sign_request(
        ident, "POST", "/v1/stations/rotate", hashlib.sha256(body).hexdigest(), int(time.time())
    )
    with TestClient(gw.app, raise_server_exceptions=False) as client:
        resp = client.post("/v1/stations/rotate", content=body, headers={"X-Station-Auth": auth})
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)


@pytest.mark.parametrize("keys", [("f9", "f8", "f9"), ("f7", "f8", "f7"), ("f2", "f5", "f2")])
async def test_tui_item_fkey_again_under_another_screen_does_not_crash(
    tmp_path: Path, keys: tuple[str, ...]
) -> None:
    from tui.app import make_app

    services = fuzz._tui_services(tmp_path)
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        await pilot.press(*"fzop", "enter", *fuzz.PASSWORD, "enter")
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "HomeScreen"
        await pilot.press(*keys)
        await pilot.pause(0.2)
        assert app.return_code is None
    services.store.close()
