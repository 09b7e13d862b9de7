"""A draft save still pending when the operator submits must not bring the draft back.

Keystrokes schedule a draft save a second later; a commit discards the draft. When the commit
was faster than that second, the pending save used to land afterwards and the form reopened
with the committed data offered as a draft. Submitting now cancels the pending save (and a
refusal schedules it again, since nothing was committed).
"""

from __future__ import annotations

from pathlib import Path

from screenkit import AppFactory, Station, one, open_form, person_form, submit

from tui.screens.forms.apply import ApplyScreen
from tui.screens.forms.base import DRAFT_DELAY_S
from tui.screens.receipt import ReceiptScreen


async def test_pending_draft_save_does_not_outlive_the_commit(
    station: Station, app_factory: AppFactory, tmp_path: Path
) -> None:
    person = station.person(62)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        after = await submit(pilot, form, person_form(person, tmp_path))  # fill schedules a save
        assert isinstance(after, ReceiptScreen)
        await pilot.pause(DRAFT_DELAY_S + 0.5)
        await app.workers.wait_for_complete()
    assert one(station.store, "SELECT COUNT(*) FROM drafts")[0] == 0


async def test_refused_submission_keeps_the_typed_values_as_a_draft(
    station: Station, app_factory: AppFactory
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        form.fill({"name": "欧阳娜娜", "doc_number": "430121199001011235"})
        await pilot.pause()
        await pilot.press("ctrl+s")  # refused: the check digit is wrong (R-ID-3)
        await pilot.pause(DRAFT_DELAY_S + 0.5)
        await app.workers.wait_for_complete()
    rows = station.store.query("SELECT data FROM drafts WHERE form = 'apply'")
    assert len(rows) == 1 and "欧阳娜娜" in rows[0]["data"]
