"""Fields and lookups shared by the card-side forms (loss, PIN, issuance, transfer ...).

The operator types (or the reader supplies) a card number; the card services take the card's
row id. The lookup runs in the submit worker (it reads the store).
"""

from __future__ import annotations

from collections.abc import Callable

from offline.business import ServiceContext
from offline.errors import DomainError
from tui.screens.forms.fields import Data, Field

CARD_NUMBER = Field("card_number", "卡号", required=True, max_length=9, restrict=r"[0-9A-Za-z]*")
CARD_NUMBER_OR_CHIP = Field(
    "card_number", "卡号", max_length=9, restrict=r"[0-9A-Za-z]*", placeholder="空=读卡器中的卡"
)
DOC_NUMBER = Field("doc_number", "证件号码", required=True, max_length=30)
SSN = Field("ssn", "社保号码", required=True, max_length=18, restrict=r"[0-9Xx]*")


def temp_fee_fields(show_if: Callable[[Data], bool]) -> tuple[Field, Field]:
    """已缴工本费 and 收费票据号 of a lost or damaged temporary card, shown when `show_if` holds.

    One definition for the stand-alone 临时卡 business (R-TMP-4) and the settlement inside 发放
    (R-ISS-5), so both ask the same way; the service says when a fee is due (the profile's fee).
    """
    return (
        Field("fee_paid", "已缴工本费", "flag", show_if=show_if),
        Field("fee_receipt_no", "收费票据号", show_if=show_if, placeholder="行政事业性收费票据号码"),
    )


def card_number_of(ctx: ServiceContext, data: Data) -> str:
    """The typed card number, else the one read from the chip in the reader."""
    number = data.get("card_number", "").strip().upper()
    if not number and ctx.card is not None:
        number = ctx.card.read_card().card_number
    return number


def card_id_for(ctx: ServiceContext, number: str) -> int:
    """The card's row id; a DomainError naming the field when the number is unknown here."""
    from offline.services.persons import find_card

    card = find_card(ctx.store, number) if number else None
    if card is None:
        adopted = adopt_card_in_reader(ctx, card_number=number)
        if adopted is not None:
            return adopted
        raise DomainError.one(
            "card_number",
            "R-INFO-3",
            f"本站没有卡号“{number or '（空）'}”的记录（未登记持卡人按 Ctrl+W 办理）",
            "请核对卡号；持卡人不在本站名册且未带卡时，按 Ctrl+W 按社会保障号码、姓名和证件办理（待卡管核实）。",
            "社会保障卡号",
        )
    return int(card.id)


def adopt_card_in_reader(ctx: ServiceContext, *, card_number: str = "", ssn: str = "") -> int | None:
    """A formal card the station does not know, in the reader: it becomes a holder record marked
    待卡管核实 and the business goes ahead (R-HLD-1/2); the card's row id, or None when the card
    in the reader is not the one typed (then the usual "本站没有…" message stands)."""
    if ctx.card is None:
        return None
    from offline.services.card_in_hand import adopt_if_unknown

    adopted = adopt_if_unknown(ctx, card_number=card_number, ssn=ssn)
    return adopted.card_id if adopted is not None else None


def person_id_for(ctx: ServiceContext, ssn: str) -> int:
    from offline.services.persons import find_person_by_ssn

    person = find_person_by_ssn(ctx.store, ssn.strip().upper()) if ssn.strip() else None
    if person is None:
        raise DomainError.one(
            "ssn",
            "R-INFO-3",
            f"本站没有社会保障号码“{ssn}”的人员（未登记持卡人按 Ctrl+W 办理）",
            "请核对号码；新人员请先办理申领；已持卡但不在本站名册的，按 Ctrl+W 按未登记持卡人办理（待卡管核实）。",
            "社会保障号码",
        )
    return int(person.id)
