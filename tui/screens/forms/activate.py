"""Item 4 社保功能激活: change the initial PIN with the holder's authorisation (R-PIN-1, R-PIN-3; HB 18-19; HN 13).

Financial-account activation happens only at the bank in person (R-PIN-1): the receipt says
so; the station never handles the financial PIN (R-PIN-2).
"""

from __future__ import annotations

from typing import ClassVar

from offline.services import pins
from tui.screens.forms.common import CARD_NUMBER_OR_CHIP, DOC_NUMBER
from tui.screens.forms.fields import Field
from tui.screens.forms.pins import NEW_PIN, NEW_PIN_AGAIN, PinFormScreen


class ActivateScreen(PinFormScreen):
    """社会保障功能激活."""

    FORM_ID: ClassVar[str] = "activate"
    ITEM: ClassVar[str] = "activate"
    TITLE: ClassVar[str] = "社会保障功能激活"
    HINT: ClassVar[str] = "持卡人本人授权并把初始密码改为新密码；金融功能须到银行柜面激活"
    SERVICE = staticmethod(pins.activate)
    INPUT = pins.ActivateInput
    FIELDS: ClassVar[tuple[Field, ...]] = (
        CARD_NUMBER_OR_CHIP,
        DOC_NUMBER,
        Field("holder_authorised", "持卡人已授权", "flag"),
        NEW_PIN,
        NEW_PIN_AGAIN,
    )
