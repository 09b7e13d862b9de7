"""The result screen after a committed business: "已办理，受理编号 …", the on-screen receipt
preview, saving text and PDF next to the store, and printing to the configured printer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from screenkit import AppFactory, Station, open_form

from tui.config import Config
from tui.screens.receipt import ReceiptScreen


async def run_key(pilot: Any, key: str) -> None:
    await pilot.press(key)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_R_APP_8_receipt_screen_saves_text_and_pdf(station: Station, app_factory: AppFactory) -> None:
    result = station.apply(station.person(71, name="欧阳娜娜"))
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot, ReceiptScreen(result, title="申领社会保障卡"))
        assert f"已办理，受理编号 {result.receipt_no}" in str(screen.query_one("#receipt-head").render())
        assert "欧阳娜娜" in str(screen.query_one("#receipt-text").render())  # preview from the store
        await run_key(pilot, "t")
        txt = station.store.path.parent / "receipts" / f"{result.receipt_no}.txt"
        assert txt.is_file() and result.receipt_no in txt.read_text(encoding="utf-8")
        assert str(txt) in str(screen.query_one("#receipt-out").render())
        await run_key(pilot, "d")
        pdf = txt.with_suffix(".pdf")
        assert pdf.read_bytes().startswith(b"%PDF-")
        # Name and full ID number: owner-only, whatever the umask (0644 in 0755 before).
        assert {txt.stat().st_mode & 0o777, pdf.stat().st_mode & 0o777} == {0o600}
        assert txt.parent.stat().st_mode & 0o077 == 0


async def test_receipt_print_without_printer_says_what_to_do(
    station: Station, app_factory: AppFactory
) -> None:
    result = station.apply(station.person(72))
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot, ReceiptScreen(result))
        await run_key(pilot, "p")
        out = str(screen.query_one("#receipt-out").render())
        assert out.startswith("回执未能输出") and "未配置打印机" in out


async def test_receipt_print_goes_to_configured_printer(
    station: Station, app_factory: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "lp.log"
    (bindir / "lp").write_text(f'#!/bin/sh\necho "$@" > {log}\n')
    (bindir / "lp").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    result = station.apply(station.person(73))
    app = app_factory(config=Config(printer="Window-A4"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot, ReceiptScreen(result))
        await run_key(pilot, "p")
        assert "已发送到打印机“Window-A4”" in str(screen.query_one("#receipt-out").render())
    args = log.read_text().split()
    assert args[:2] == ["-d", "Window-A4"] and args[-1].endswith(f"{result.receipt_no}.pdf")
