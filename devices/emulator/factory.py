"""Ready-made emulated cards: blank temporary cards in stock, personalised formal cards
of each specification version, a card with a blocked PIN.

The numbers are syntactically right (card number check character, 32-character card
identification code with the RID) so the station's validators accept them.
"""

from __future__ import annotations

from typing import Literal

from devices.emulator.state import CardState, Records
from devices.layout import BY_KEY, RID, Algorithm, items_of, version_text
from devices.records import encode_item, holder_values
from offline.protocols import ChipHolder, card_number_check_char

CardKind = Literal["temp-blank", "formal", "formal-v1", "formal-v3", "locked"]
CARD_KINDS: tuple[CardKind, ...] = ("temp-blank", "formal", "formal-v1", "formal-v3", "locked")

SAMPLE_HOLDER = ChipHolder(
    ssn="11010519491231002X",
    name="张三",
    sex="1",
    ethnicity="01",
    birthplace="110105",
    birth_date="19491231",
)

# Physical record order of EF06 differs from tag order (card-spec.md): read by tag, never by number.
_EF06_PHYSICAL = ("ssn", "name", "sex", "ethnicity", "birthplace", "birth_date", "name_ext")


def card_number_for(serial: int, district: str = "L") -> str:
    body = f"{district}{serial % 10_000_000:07d}"
    return body + card_number_check_char(body)


def make_card(
    *,
    version: int = 3,
    holder: ChipHolder | None = None,
    serial: int = 1,
    city: str = "420100",
    protocol: int | None = None,
    algorithm: Algorithm | None = None,
    pin: str = "666666",
    pin_limit: int = 5,
    issue_date: str = "",
    expiry_date: str = "",
    home_region: str = "",
    category: str = "3",
    key_variant: str = "",
    card_number: str = "",
) -> CardState:
    """A card state. `holder=None` gives a blank (stock) temporary card.

    `card_number` (9 characters with its check character) overrides the serial's number: the
    demo puts a roster holder's own card in the emulated reader.
    """
    if algorithm is None:
        algorithm = Algorithm.SM4 if version >= 3 else Algorithm.TDES
    if protocol is None:
        protocol = 1 if version >= 3 else 0
    auth_code = (serial * 7919 + 13) % 100_000_000
    card_id = f"{city}{RID}{serial:08d}{auth_code:08d}"
    ef05_values = {
        "card_id_code": card_id,
        "category": category,
        "version": "" if version == 1 else version_text(version),
        "issuer_org": f"{city}{0:018d}",
        "issue_date": issue_date,
        "expiry_date": expiry_date,
        "card_number": card_number or card_number_for(serial),
    }
    ef05: Records = {}
    for item in items_of("EF05", version):
        value = ef05_values[item.key]
        ef05[item.tag] = encode_item(item, value) if value else item.blank()
    values = holder_values(holder, version) if holder is not None else {}
    ef06: Records = {}
    for key in _EF06_PHYSICAL:
        item = BY_KEY[key]
        if item.min_version <= version:
            ef06[item.tag] = values.get(key, item.blank())
    df01: Records = {
        BY_KEY["home_region"].tag: encode_item(BY_KEY["home_region"], home_region)
        if home_region
        else BY_KEY["home_region"].blank(),
        BY_KEY["nationality"].tag: encode_item(BY_KEY["nationality"], "CHN"),
    }
    historical = bytes.fromhex("864353") + bytes((version,)) + bytes.fromhex(card_id[16:32])
    return CardState(
        version=version,
        algorithm=algorithm,
        protocol=protocol,
        historical=historical,
        ef05=ef05,
        ef06=ef06,
        df01=df01,
        pin=pin,
        pin_limit=pin_limit,
        pin_tries=pin_limit,
        key_variant=key_variant,
    )


def make_kind(kind: CardKind, *, holder: ChipHolder | None = None, serial: int = 1) -> CardState:
    """The card kinds of `cardstation card emulate --kind`."""
    if kind == "temp-blank":
        return make_card(version=3, holder=None, serial=serial)
    who = holder or SAMPLE_HOLDER
    versions = {"formal": 2, "formal-v1": 1, "formal-v3": 3, "locked": 2}
    if kind not in versions:
        raise ValueError(f"unknown card kind: {kind}")
    state = make_card(
        version=versions[kind],
        holder=who,
        serial=serial,
        issue_date="20240105",
        expiry_date="20340105",
        home_region=who.birthplace,
    )
    if kind == "locked":
        state.pin_tries = 0
    return state
