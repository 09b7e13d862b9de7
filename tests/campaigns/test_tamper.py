"""Tamper and privacy campaign, short form (bench/campaigns/tamper.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bench.campaigns import tamper


@pytest.fixture(autouse=True)
def _quiet(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="devices")


def test_R_SEC_3_edited_deleted_reordered_audit_rows_are_named_by_audit_verify(tmp_path: Path) -> None:
    result = tamper.audit_tamper(tmp_path, cases=12, via_cli=3)
    assert result.failures == [], result.to_dict()
    assert result.cases == 12


def test_R_SEC_1_modified_replayed_cross_station_cleartext_envelopes_rejected_with_codes(
    tmp_path: Path,
) -> None:
    result = tamper.envelope_tamper(tmp_path, cases=3)
    assert result.failures == [], result.to_dict()
    codes = result.detail["reason_codes"]
    assert codes["replayed"] == ["replayed"] and codes["cleartext"] == ["cleartext"]
    assert codes["cross-station (unknown station)"] == ["unknown_station"]
    assert codes["identical resend"] == ["duplicate"]  # idempotent, not stored twice
    assert set(codes["modified"]) <= {"tampered", "unknown_station", "malformed", "cleartext", "wrong_key_id"}


@pytest.mark.timeout(120)
def test_R_SEC_1_R_PIN_6_no_ssn_name_or_pin_in_any_log_after_a_demo_run(tmp_path: Path) -> None:
    result = tamper.privacy_run(tmp_path, persons=12)
    assert result.failures == [], result.to_dict()
    assert (
        result.detail["log_bytes"] > 10_000 and result.detail["persons"] >= 12 and result.detail["pins"] == 4
    )


def test_R_SEC_1_station_key_file_is_0600_in_a_0700_directory(tmp_path: Path) -> None:
    result = tamper.key_modes(tmp_path)
    assert result.detail["station key file"] == "0o600"
    assert result.detail["station key directory"] == "0o700"


def test_R_SEC_1_gateway_store_holding_server_private_keys_is_0600(tmp_path: Path) -> None:
    result = tamper.key_modes(tmp_path)
    assert result.failures == [], result.to_dict()


def test_R_SEC_2_county_auditor_cannot_change_anything_through_any_service(tmp_path: Path) -> None:
    result = tamper.auditor_writes_nothing(tmp_path)
    assert result.failures == [], result.to_dict()
    outcomes = result.detail["outcomes"]
    assert len(outcomes) == result.cases >= 20
    writing = [p for p in outcomes if not p.endswith("card_progress")]
    assert all(outcomes[p] == "PermissionDenied" for p in writing), outcomes
