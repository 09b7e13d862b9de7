"""The result of a committed business: "已办理，受理编号 …" and the receipt actions.

Shown in place of the form after the service committed (R-APP-8: the applicant receives a
receipt with the acceptance number). The text receipt is shown on screen as a preview and
can be saved; the PDF (business form + receipt, HN 附件 layout) can be saved or sent to the
configured CUPS printer. Rendering and printing run in a thread worker (they read the store
and may wait on `lp`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalGroup, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from offline.business import BusinessResult
from tui.host import host
from tui.screens.forms import messages as M
from tui.widgets.compact import CompactButton, CompactScreen
from tui.widgets.footer import StationFooter


def fee_text(fee_fen: int) -> str:
    return M.RESULT_FEE_NONE if fee_fen <= 0 else M.RESULT_FEE_YUAN.format(yuan=f"{fee_fen / 100:.2f}")


def _fee_receipt(r: BusinessResult) -> str:
    """The 行政事业性收费票据 number of a charged fee, as recorded on the business (R-APP-10)."""
    no = str(r.details.get("fee_receipt_no", "") or "") if r.fee_fen > 0 else ""
    return M.RESULT_FEE_RECEIPT.format(no=no) if no else ""


def receipts_dir(store_path: Path) -> Path:
    """Where receipts are saved: `receipts/` next to the station store."""
    return store_path.parent / "receipts"


class ReceiptScreen(CompactScreen[None]):
    """ "已办理" with the receipt number, the summary, and print / save actions."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "save_text", M.KEY_TEXT, id="receipt.text"),
        Binding("d", "save_pdf", M.KEY_PDF, id="receipt.pdf"),
        Binding("p", "print", M.KEY_PRINT, id="receipt.print"),
        Binding("escape,enter", "done", M.KEY_DONE, id="receipt.done"),
    ]

    class Output(Message):
        def __init__(self, text: str, ok: bool) -> None:
            super().__init__()
            self.text = text
            self.ok = ok

    class Preview(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, result: BusinessResult, *, title: str = "") -> None:
        super().__init__(id="receipt")
        self.result = result
        self.title_text = title

    def compose(self) -> ComposeResult:
        r = self.result
        returned = r.details.get("action") == "return_for_reproduction"
        head = (M.RETURNED if returned else M.DONE).format(receipt_no=r.receipt_no)
        yield Static(f"{self.title_text}  {head}" if self.title_text else head, id="receipt-head")
        info = [
            M.RESULT_SUMMARY.format(summary=r.summary),
            f"{M.RESULT_FEE.format(fee=fee_text(r.fee_fen) + _fee_receipt(r))}"
            f"    {M.RESULT_AT.format(at=r.at.replace('T', ' ')[:19])}",
            M.RESULT_SYNC.format(count=len(r.envelope_ids)),
        ]
        from offline.printing.facts import notes_of

        info.extend(M.WARNINGS.format(text=n) for n in notes_of(r.details))
        yield Static("\n".join(info), id="receipt-info")
        yield Static("", id="receipt-out")
        with VerticalScroll(id="receipt-preview", can_focus=False):
            yield Static("", id="receipt-text", markup=False)
        with HorizontalGroup(id="receipt-buttons"):
            yield CompactButton(f"{M.RECEIPT_TEXT}(T)", id="btn-text")
            yield CompactButton(f"{M.RECEIPT_PDF}(D)", id="btn-pdf")
            yield CompactButton(f"{M.RECEIPT_PRINT}(P)", id="btn-print")
            yield CompactButton(f"{M.RECEIPT_DONE_BACK}(Enter)", id="btn-done", variant="primary")
        yield StationFooter()

    def on_mount(self) -> None:
        self.query_one("#btn-done").focus()
        self._render_preview()
        host(self.app).refresh_status()

    # ----------------------------------------------------------------- workers

    def _station(self) -> Any:
        return host(self.app).services.station

    @work(thread=True, exclusive=True, group="receipt-preview")
    def _render_preview(self) -> None:
        from offline.printing.text import render_receipt_text

        services = host(self.app).services
        text = render_receipt_text(self.result, self._station(), store=services.store)
        self.post_message(self.Preview(text))

    @work(thread=True, exclusive=True, group="receipt-output")
    def _output(self, what: str) -> None:
        from offline.printing.errors import PrintError
        from offline.private_files import private_dir, write_private

        services = host(self.app).services
        folder = receipts_dir(services.store.path)
        try:
            private_dir(folder)
            if what == "text":
                from offline.printing.text import render_receipt_text

                path = folder / f"{self.result.receipt_no}.txt"
                write_private(
                    path, render_receipt_text(self.result, self._station(), store=services.store, kind="both")
                )
                self.post_message(self.Output(M.RECEIPT_SAVED.format(path=path), True))
                return
            from offline.printing.pdf import render_receipt_pdf

            path = folder / f"{self.result.receipt_no}.pdf"
            write_private(path, render_receipt_pdf(self.result, self._station(), store=services.store))
            if what == "pdf":
                self.post_message(self.Output(M.RECEIPT_SAVED.format(path=path), True))
                return
            from offline.printing.printer import print_pdf

            printer = host(self.app).config.printer
            print_pdf(path, printer)
            self.post_message(self.Output(M.RECEIPT_PRINTED.format(printer=printer), True))
        except PrintError as exc:
            self.post_message(self.Output(M.RECEIPT_FAILED.format(message=exc.message_zh), False))
        except OSError as exc:
            self.post_message(self.Output(M.RECEIPT_FAILED.format(message=str(exc)), False))

    @on(Preview)
    def _preview(self, message: Preview) -> None:
        self.query_one("#receipt-text", Static).update(message.text)

    @on(Output)
    def _shown(self, message: Output) -> None:
        out = self.query_one("#receipt-out", Static)
        out.update(message.text)
        out.set_class(not message.ok, "-bad")

    # ----------------------------------------------------------------- actions

    def action_save_text(self) -> None:
        self._output("text")

    def action_save_pdf(self) -> None:
        self._output("pdf")

    def action_print(self) -> None:
        self._output("print")

    def action_done(self) -> None:
        self.dismiss()

    @on(CompactButton.Pressed)
    def _pressed(self, event: CompactButton.Pressed) -> None:
        actions = {
            "btn-text": self.action_save_text,
            "btn-pdf": self.action_save_pdf,
            "btn-print": self.action_print,
            "btn-done": self.action_done,
        }
        handler = actions.get(event.button.id or "")
        if handler is not None:
            handler()
