"""Nothing lost in forms: a half-typed form survives the app being closed without submitting
(a dropped SSH session), PIN fields never reach the draft (R-PIN-6), and a committed business
discards its draft.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from screenkit import AppFactory, Station, one, open_form, submit

from tui.screens.forms.apply import ApplyScreen
from tui.screens.forms.pins import PinChangeScreen
from tui.screens.receipt import ReceiptScreen


async def type_into(pilot: Any, screen: Any, key: str, text: str) -> None:
    screen.query_one(f"#f-{key}").focus()
    await pilot.press(*text)


async def test_half_typed_form_restored_after_restart(station: Station, app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        await type_into(pilot, form, "name", "欧阳娜娜")
        await type_into(pilot, form, "phone", "13912345678")
        await pilot.pause(1.3)  # the ~1 s debounce fires; the save runs in a worker
        await app.workers.wait_for_complete()
        # the app goes away without submitting (window closed, SSH dropped)
    app2 = app_factory()
    async with app2.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        values = form.values()
        assert values["name"] == "欧阳娜娜" and values["phone"] == "13912345678"
        assert "已恢复" in str(form.query_one("#form-status").render())


async def test_R_PIN_6_pin_fields_never_in_drafts(station: Station, app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, PinChangeScreen())
        await type_into(pilot, form, "card_number", "L00000011")
        await type_into(pilot, form, "old_pin", "135790")
        await type_into(pilot, form, "new_pin", "246802")
        await pilot.pause(1.3)
        await app.workers.wait_for_complete()
    rows = station.store.query("SELECT data FROM drafts WHERE form = 'pin_change'")
    assert len(rows) == 1 and "L00000011" in rows[0]["data"]
    assert (
        "135790" not in rows[0]["data"] and "246802" not in rows[0]["data"] and "pin" not in rows[0]["data"]
    )


async def test_committed_business_discards_its_draft(
    station: Station, app_factory: AppFactory, tmp_path: Path
) -> None:
    from screenkit import person_form

    person = station.person(61)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        await type_into(pilot, form, "name", person.name)
        await pilot.pause(1.3)
        await app.workers.wait_for_complete()
        assert one(station.store, "SELECT COUNT(*) FROM drafts")[0] == 1
        after = await submit(pilot, form, person_form(person, tmp_path))
        assert isinstance(after, ReceiptScreen)
    assert one(station.store, "SELECT COUNT(*) FROM drafts")[0] == 0


async def test_esc_on_filled_form_asks_before_leaving(station: Station, app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        await type_into(pilot, form, "name", "张三")
        await pilot.press("escape")
        await pilot.pause()
        assert type(pilot.app.screen).__name__ == "ConfirmLeave"
        await pilot.press("n")  # keep typing
        await pilot.pause()
        assert pilot.app.screen is form and form.values()["name"] == "张三"
        await pilot.press("escape", "y")
        await pilot.pause()
        assert pilot.app.screen is not form
        await app.workers.wait_for_complete()
    assert one(station.store, "SELECT COUNT(*) FROM drafts")[0] == 1  # the draft stays


async def test_form_with_nothing_typed_keeps_no_draft(station: Station, app_factory: AppFactory) -> None:
    """Defaults and a changed-then-emptied field are not a draft: no restore prompt at the next login."""
    from tui.screens.forms.query import QueryScreen

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        form.fill({"channel": "local", "doc_type": "resident_id"})  # the defaults, "chosen" again
        await type_into(pilot, form, "name", "王")
        await pilot.press("backspace")
        await pilot.pause(1.3)
        await app.workers.wait_for_complete()
        query = await open_form(pilot, QueryScreen())
        await type_into(pilot, query, "ssn", "430121199001011237")  # a read-only query
        await pilot.pause(1.3)
        await app.workers.wait_for_complete()
    assert one(station.store, "SELECT COUNT(*) FROM drafts")[0] == 0


async def test_R_APP_8_HB_13_the_signature_tick_is_never_in_a_draft(
    station: Station, app_factory: AppFactory
) -> None:
    """A restored draft (often another day) is signed again: the 签字确认 box comes back unticked."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        await type_into(pilot, form, "name", "欧阳娜娜")
        form.fill({"signed": "1"})
        assert form.values()["signed"] == "1"
        await pilot.pause(1.3)
        await app.workers.wait_for_complete()
    (row,) = station.store.query("SELECT data FROM drafts WHERE form = ?", (ApplyScreen.FORM_ID,))
    assert "欧阳娜娜" in row["data"] and "signed" not in row["data"]
    app2 = app_factory()
    async with app2.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        assert form.values()["name"] == "欧阳娜娜" and form.values()["signed"] != "1"
