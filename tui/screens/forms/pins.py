"""Items 8-10: PIN change 密码修改, reset 重置, unlock 解锁 (R-PIN-2..6; HB 20-21; HN 14-15).

All three need the physical card in the reader (R-PIN-4). PIN fields are masked, restricted
to digits, never saved in drafts and never put in the business details (R-PIN-6). Inline
validation checks the new PIN typed twice (R-PIN-3); the weak-PIN warnings (R-PIN-5) come
back from the service and are shown on the receipt screen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

from offline.business import BusinessResult, ServiceContext
from offline.errors import Problem
from offline.services import pins
from offline.validation import check_new_pin
from tui.screens.forms.base import FormScreen
from tui.screens.forms.common import CARD_NUMBER_OR_CHIP, DOC_NUMBER, card_id_for, card_number_of
from tui.screens.forms.fields import Data, Field
from tui.screens.forms.host import make_input

NEW_PIN = Field("new_pin", "新密码", "pin", required=True)
NEW_PIN_AGAIN = Field("new_pin_again", "确认新密码", "pin", required=True)
_LABELS = {"new_pin": "新密码", "new_pin_again": "再次输入新密码", "pin": "新密码"}


def new_pin_problems(data: Data) -> list[Problem]:
    """R-PIN-3 inline: six digits, typed twice the same (the service checks the rest)."""
    new, again = data.get("new_pin", ""), data.get("new_pin_again", "")
    if not new or not again:
        return []
    problems, _warnings = check_new_pin(new, again, birth_date=None, phone="")
    out = []
    for p in problems:
        key = p.field if p.field in _LABELS else "new_pin_again" if "again" in p.field else "new_pin"
        out.append(dataclasses.replace(p, field=key))
    return out


class PinFormScreen(FormScreen):
    """Common submit for the PIN items: card id from the typed number or the chip."""

    NEEDS_CARD: ClassVar[bool] = True
    #: The service and its input dataclass; a staticmethod so the function is not bound to the screen.
    SERVICE: ClassVar[Callable[..., BusinessResult]]
    INPUT: ClassVar[type[Any]]

    def extra_problems(self, data: Data) -> list[Problem]:
        return new_pin_problems(data)

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        values: dict[str, object] = {k: v.strip() for k, v in data.items()}
        values["card_id"] = card_id_for(ctx, card_number_of(ctx, data))
        values["doc_number"] = str(values.get("doc_number", "")).upper()
        values["holder_authorised"] = data.get("holder_authorised", "") == "1"
        return type(self).SERVICE(ctx, make_input(self.INPUT, values))


class PinChangeScreen(PinFormScreen):
    """密码修改: old PIN verified by the card (R-PIN-4: wrong PIN shows tries left)."""

    FORM_ID: ClassVar[str] = "pin_change"
    ITEM: ClassVar[str] = "pin_change"
    TITLE: ClassVar[str] = "社保密码修改"
    HINT: ClassVar[str] = "请插入社会保障卡，由持卡人输入原密码和新密码（密码不保存）"
    SERVICE = staticmethod(pins.change_pin)
    INPUT = pins.PinChangeInput
    FIELDS: ClassVar[tuple[Field, ...]] = (
        CARD_NUMBER_OR_CHIP,
        Field("old_pin", "原密码", "pin", required=True),
        NEW_PIN,
        NEW_PIN_AGAIN,
    )


class PinResetScreen(PinFormScreen):
    """密码重置: holder's document checked at the service point (R-PIN-4, HB 21)."""

    FORM_ID: ClassVar[str] = "pin_reset"
    ITEM: ClassVar[str] = "pin_reset"
    TITLE: ClassVar[str] = "社保密码重置"
    HINT: ClassVar[str] = "忘记密码时办理：须本人持证件和卡到网点；请插入社会保障卡"
    SERVICE = staticmethod(pins.reset_pin)
    INPUT = pins.PinResetInput
    FIELDS: ClassVar[tuple[Field, ...]] = (CARD_NUMBER_OR_CHIP, DOC_NUMBER, NEW_PIN, NEW_PIN_AGAIN)


class PinUnlockScreen(PinFormScreen):
    """密码解锁: reset the try counter, keep the PIN (R-PIN-4)."""

    FORM_ID: ClassVar[str] = "pin_unlock"
    ITEM: ClassVar[str] = "pin_unlock"
    TITLE: ClassVar[str] = "社保密码解锁"
    HINT: ClassVar[str] = "密码输错次数过多被锁时办理：解锁后原密码继续有效；请插入社会保障卡"
    SERVICE = staticmethod(pins.unlock_pin)
    INPUT = pins.PinUnlockInput
    FIELDS: ClassVar[tuple[Field, ...]] = (CARD_NUMBER_OR_CHIP, DOC_NUMBER)
