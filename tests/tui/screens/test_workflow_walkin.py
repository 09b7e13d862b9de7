"""Walk-ins the station does not know, with no card, through the real screens (issue 10 item 3).

From the temporary-loss form an unknown card number says "未办理" and points to Ctrl+W; Ctrl+W
opens 未登记持卡人办理 with what was typed; the business is accepted 待卡管核实. Then the card
management system refuses a formal loss on the downlink: the alert screen shows the reason.
"""

from __future__ import annotations

from typing import Any

from screenkit import AppFactory, Station, one, open_form, submit

from offline.downlink import DownlinkUpdate, apply_update
from offline.validation.ids import ssn_check_digit
from tui.screens.alerts import AlertsScreen
from tui.screens.forms.losses import TempLossScreen
from tui.screens.forms.walkin import WalkinScreen
from tui.screens.receipt import ReceiptScreen


def status_text(screen: Any) -> str:
    return str(screen.query_one("#form-status").render())


def ssn(n: int) -> str:
    first17 = f"43010419800101{n:03d}"
    return first17 + ssn_check_digit(first17)


async def test_R_LOSS_2_walkin_temp_loss_from_the_loss_form(
    station: Station, app_factory: AppFactory
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, TempLossScreen())
        after = await submit(pilot, form, {"card_number": "A12345678", "verbal": "", "doc_number": ssn(11)})
        assert after is form
        assert "未办理" in status_text(form) and "Ctrl+W" in status_text(form)
        await pilot.press("ctrl+w")
        await pilot.pause()
        walkin = app.screen
        assert isinstance(walkin, WalkinScreen)
        typed = walkin.values()
        assert (typed["item"], typed["card_number"], typed["doc_number"]) == (
            "temp_loss",
            "A12345678",
            ssn(11),
        )
        assert typed["ssn"] == ssn(11)  # the identity-card number typed in the loss form is the SSN
        after = await submit(pilot, walkin, {"name": "欧阳娜娜"})
        assert isinstance(after, ReceiptScreen), status_text(walkin)
    row = one(
        station.store,
        "SELECT b.item, b.verify_state, b.card_id, p.source, p.verify_state AS pv, p.name FROM businesses b"
        " JOIN persons p ON p.id = b.person_id",
    )
    assert tuple(row) == ("temp_loss", "pending", None, "walkin", "pending", "欧阳娜娜")
    sent = one(station.store, "SELECT COUNT(*) FROM outbox WHERE kind = 'business'")[0]
    assert sent == 1  # queued for the card management system


async def test_R_LOSS_1_walkin_formal_loss_refused_on_the_downlink(
    station: Station, app_factory: AppFactory
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        walkin = await open_form(pilot, WalkinScreen())
        bad = await submit(
            pilot, walkin, {"item": "formal_loss", "ssn": ssn(12), "name": "李四", "doc_number": ssn(13)}
        )
        assert bad is walkin and "不一致" in status_text(walkin)  # document ≠ SSN: refused, nothing written
        assert one(station.store, "SELECT COUNT(*) FROM businesses")[0] == 0
        after = await submit(pilot, walkin, {"doc_number": ssn(12)})
        assert isinstance(after, ReceiptScreen), status_text(walkin)
        receipt = one(station.store, "SELECT receipt_no FROM businesses")[0]
        outcome = apply_update(
            station.store,
            DownlinkUpdate(
                "walkin-1",
                "walkin_result",
                {
                    "receipt_no": receipt,
                    "accepted": False,
                    "reason": "姓名与卡管系统登记的不一致",
                    "rows": [],
                },
            ),
            cursor="c1.1",
        )
        assert "卡管系统退回，业务已撤销" in outcome
        await pilot.press("escape")
        await open_form(pilot, AlertsScreen())
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        text = str(app.screen.query_one("#alerts-body").render())
        assert "被卡管系统退回" in text and "姓名与卡管系统登记的不一致" in text and "李四" in text
    row = one(station.store, "SELECT verify_state, remote_status FROM businesses")
    assert tuple(row) == ("refused", "rejected")
