"""`cardstation card emulate --slot FILE` (the demo's 模拟插卡 behind pcscd): writing the slot file
puts that card in the virtual reader, as pcscd and pyscard see it, and an empty slot takes it out."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.emulator.factory import make_card
from devices.testing.pcsc_stack import PcscStack
from offline.protocols import ChipHolder


@pytest.fixture
def emulator(pcsc: PcscStack, tmp_path: Path) -> Iterator[Path]:
    slot = tmp_path / "reader-slot.json"
    slot.write_text(json.dumps({"state": ""}), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cardstation.cli", "card", "emulate", "--kind", "temp-blank",
         "--vpcd", f"127.0.0.1:{pcsc.port}", "--slot", str(slot)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield slot
    finally:
        proc.terminate()
        proc.wait(10)


def test_slot_file_swaps_the_card_in_the_virtual_reader(
    pcsc: PcscStack, emulator: Path, tmp_path: Path
) -> None:
    holder = ChipHolder("430121198805170035", "符建军", "1", "01", "430121", "19880517")
    state = make_card(holder=holder, card_number="Z12345676", issue_date="20200301", expiry_date="20300301")
    state.save(tmp_path / "Z12345676.json")
    emulator.write_text(json.dumps({"state": str(tmp_path / "Z12345676.json")}), encoding="utf-8")
    pcsc.wait_card(True, timeout=10)
    chip = pcsc.session().read_card()
    assert chip.card_number == "Z12345676" and chip.holder is not None and chip.holder.name == "符建军"
    emulator.write_text(json.dumps({"state": ""}), encoding="utf-8")
    pcsc.wait_card(False, timeout=10)
