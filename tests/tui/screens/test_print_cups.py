"""Printing through a real CUPS: a private cupsd with a cups-pdf queue is the station's printer
setting; the receipt screen (P) and the daily report screen (P) print to it. Under CI=true this
runs (never skips).

What is asserted on the PDF that CUPS wrote: it exists for the job the station sent, its file name
carries the job title the station gave (the receipt number / report file name), it has the pages
of the station's own PDF, and page 1 is the same page pixel for pixel (within anti-aliasing). Its
*text* cannot be compared directly: cups-pdf takes PostScript, and the PDF→PostScript step drops
the Unicode tables of the embedded CJK subset fonts, so pdftotext returns stand-in characters.
The station's own PDF is therefore read as text (receipt number, name, title) and CUPS's output is
shown to be that page; a control comparison with the other document proves the pixel check bites.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from screenkit import AppFactory, Station, open_form

from tests.station import cups as cupslib
from tui.config import Config
from tui.screens.receipt import ReceiptScreen
from tui.screens.report import ReportScreen, report_path

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def cups(monkeypatch: pytest.MonkeyPatch) -> Iterator[cupslib.Cups]:
    with cupslib.running_cups() as running:
        monkeypatch.setenv("CUPS_SERVER", str(running.socket))  # `lp` in the print worker finds it
        yield running


async def until(pilot: Any, condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met"
        await pilot.pause(0.1)


async def test_receipt_and_daily_report_print_through_cups(
    station: Station, app_factory: AppFactory, cups: cupslib.Cups
) -> None:
    result = station.apply(station.person(74, name="欧阳娜娜"))
    app = app_factory(config=Config(printer=cups.queue))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot, ReceiptScreen(result, title="申领社会保障卡"))
        await pilot.press("p")
        await until(pilot, lambda: "已发送到打印机" in str(screen.query_one("#receipt-out").render()))
        receipt_job = cups.last_job()
        assert receipt_job >= 1

        app.push_screen(ReportScreen())
        await until(pilot, lambda: isinstance(app.screen, ReportScreen) and app.screen.report is not None)
        await pilot.press("p")
        note = app.screen.query_one("#report-note")
        await until(pilot, lambda: "已发送到打印机" in str(note.render()))
        report_job = cups.last_job()
        assert report_job == receipt_job + 1
        day = app.screen.report.day

    # The station's own PDFs, read as text.
    receipt_pdf = station.store.path.parent / "receipts" / f"{result.receipt_no}.pdf"
    own_receipt = cupslib.pdf_text(receipt_pdf)
    assert result.receipt_no in own_receipt and "欧阳娜娜" in own_receipt and "受理" in own_receipt
    own_report_pdf = report_path(station.store.path, day)
    own_report = cupslib.pdf_text(own_report_pdf)
    assert "日报" in own_report and station.operator.real_name in own_report

    # What CUPS wrote: one PDF per job, named after the job title, the same pages.
    printed_receipt = cups.wait_pdf(receipt_job)
    printed_report = cups.wait_pdf(report_job)
    assert printed_receipt.name.startswith(result.receipt_no)
    assert printed_report.name.startswith(own_report_pdf.stem.replace("-", "_")[:8]) or own_report_pdf.stem[
        :6
    ] in (printed_report.name), printed_report.name
    assert cupslib.pdf_pages(printed_receipt) == cupslib.pdf_pages(receipt_pdf)
    assert cupslib.pdf_pages(printed_report) == cupslib.pdf_pages(own_report_pdf)
    assert cupslib.pdf_text(printed_receipt).strip()  # text is there (as stand-in glyphs), not a blank page
    same_receipt = cupslib.raster_difference(receipt_pdf, printed_receipt)
    same_report = cupslib.raster_difference(own_report_pdf, printed_report)
    crossed = cupslib.raster_difference(receipt_pdf, printed_report)
    print(f"\nraster difference: receipt {same_receipt:.4f}, report {same_report:.4f}, crossed {crossed:.4f}")
    assert same_receipt < 0.05 and same_report < 0.05, (same_receipt, same_report, crossed)
    assert crossed > 3 * max(same_receipt, same_report, 0.005), (crossed, same_receipt, same_report)
