"""Checks every form makes when a field is left or submitted (R-ID-3, R-APP-1).

- GB 11643 on every ID field, not only the applicant's: agent, heir, collector, guardian,
  reporter (a wrong check digit once reached the receipt).
- "没有这一天" for 2023-02-30, "太短" for a 17-digit number.
- A stale 此项必填 under a select goes as soon as a value is chosen.
"""

from __future__ import annotations

from typing import Any

import pytest
from screenkit import AppFactory, Station, open_form

from tui.screens.forms.apply import ApplyScreen
from tui.screens.forms.cancel import CancelScreen
from tui.screens.forms.issue import IssueScreen
from tui.screens.forms.losses import FormalLossScreen
from tui.screens.forms.temp_card import TempCardScreen

WRONG = "430121199001011235"  # check digit should be 4 (test_workflow_apply uses the same)
SHORT = "43012119900101123"  # 17 digits


def _problem(form: Any, key: str) -> str:
    return str(form.query_one(f"#p-{key}").render())


async def _type_and_leave(pilot: Any, form: Any, key: str, text: str) -> None:
    form.query_one(f"#f-{key}").focus()
    await pilot.pause()
    await pilot.press(*text)
    await pilot.press("tab")
    await pilot.pause()


CASES = [
    (FormalLossScreen, {"reporter": "agent"}, "reporter_doc_number"),  # 正式挂失的代办人
    (CancelScreen, {"reason": "death"}, "heir_doc_number"),  # 注销的继承人
    (IssueScreen, {"recipient": "agent"}, "recipient_doc_number"),  # 发放的领卡人
    (ApplyScreen, {"no_full_capacity": "1"}, "guardian_doc_number"),  # 申领的监护人
    (ApplyScreen, {"channel": "proxy_person"}, "agent_doc_number"),  # 申领的代办人
    (TempCardScreen, {"action": "issue"}, "agent_doc_number"),  # 临时卡的代办人
]


@pytest.mark.parametrize(("screen", "prefill", "key"), CASES, ids=[c[2] + "@" + c[0].__name__ for c in CASES])
async def test_R_ID_3_every_id_field_checked_when_left(
    station: Station, app_factory: AppFactory, screen: Any, prefill: dict[str, str], key: str
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, screen())
        form.fill(prefill)
        await pilot.pause()
        await _type_and_leave(pilot, form, key, WRONG)
        text = _problem(form, key)
        assert "R-ID-3" in text and "校验" in text, text


async def test_R_ID_3_seventeen_digits_is_too_short_not_a_mismatch(
    station: Station, app_factory: AppFactory
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, FormalLossScreen())
        await _type_and_leave(pilot, form, "doc_number", SHORT)
        assert "太短" in _problem(form, "doc_number")


async def test_R_APP_1_no_such_date_for_february_30(station: Station, app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        await _type_and_leave(pilot, form, "doc_valid_from", "2023-02-30")
        text = _problem(form, "doc_valid_from")
        assert "没有这一天" in text and "格式" not in text, text


async def test_R_APP_1_stale_required_cleared_when_a_value_is_chosen(
    station: Station, app_factory: AppFactory
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "必填" in _problem(form, "occupation")
        form.fill({"occupation": "8000000"})
        await pilot.pause()
        assert _problem(form, "occupation") == ""


def test_R_TMP_2_no_confirmation_box_is_ticked_by_default() -> None:
    """A box that says someone signed or something was checked is ticked by the operator only."""
    from test_form_reach import _form_classes

    ticked = [
        f"{cls.__name__}.{f.key}"
        for cls in _form_classes()
        for f in cls.FIELDS
        if f.kind == "flag" and f.default
    ]
    assert not ticked, ticked


async def test_R_APP_1_all_problems_at_once_right_count_cursor_on_the_first(
    station: Station, app_factory: AppFactory
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        form.fill({"name": "张3", "doc_number": WRONG, "phone": "123", "doc_valid_from": "2023-02-30"})
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        status = str(form.query_one("#form-status").render())
        shown = [w.id for w in form.query(".field-problem") if str(w.render()).strip()]
        assert f"{len(shown)} 处需修改" in status and "首处【姓名】" in status, (status, shown)
        assert {"p-name", "p-doc_number", "p-doc_valid_from", "p-phone"} <= set(shown)
        assert app.focused is not None and app.focused.id == "f-name"
