"""Fault campaign, short form (bench/campaigns/faults.py): every fault ends in a clear Chinese
message and a consistent store — no partial business, audit chain intact, outbox not wedged.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bench.campaigns import faults


@pytest.fixture(autouse=True)
def _quiet_test_key_warnings(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="devices")


def _clean(result: faults.FaultResult) -> None:
    assert result.failures == [], result.to_dict()
    assert result.lost == 0, result.to_dict()
    assert all(faults.has_cjk(m) for m in result.messages), result.messages


def test_R_TMP_2_R_TMP_3_R_PIN_4_reader_removed_at_every_apdu_is_resolved(tmp_path: Path) -> None:
    result = faults.reader_removed(tmp_path, max_apdus=60, step=2)
    _clean(result)
    assert result.cases == 3 * 31
    # the removal really interrupted writes: the operator saw the write-unfinished messages
    assert any("写卡未完成" in m for m in result.messages) and any("擦除未完成" in m for m in result.messages)


@pytest.mark.pcsc
def test_R_TMP_2_card_pulled_through_pcscd_and_pcscd_restarted_mid_session() -> None:
    from devices.testing.pcsc_stack import unavailable_reason

    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    figures = faults.run_pcsc_subprocess(2)
    assert figures["failures"] == 0, figures
    assert figures["cases"] == 3
    assert any("pcscd" in m for m in figures["sample_messages"]), figures


@pytest.mark.timeout(180)
def test_R_SEC_3_gateway_killed_mid_batch_then_everything_arrives_once(tmp_path: Path) -> None:
    result = faults.gateway_restart(tmp_path, cases=2, businesses=25)
    _clean(result)
    assert result.cases == 2


def test_R_FRZ_2_disk_full_ends_in_store_error_and_writes_nothing(tmp_path: Path) -> None:
    if not faults.can_mount():
        pytest.skip("mounting a small tmpfs needs root (the store-level fix has its own test)")
    result = faults.disk_full(tmp_path, rounds=2)
    _clean(result)
    assert any("磁盘空间不足" in m for m in result.messages)
    assert any("R-FRZ-2" in m for m in result.messages)


def test_R_SEC_3_clock_set_back_a_day_keeps_receipts_unique_and_outbox_moving(tmp_path: Path) -> None:
    _clean(faults.clock_back(tmp_path, rounds=3))
