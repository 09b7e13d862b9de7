"""Between plain domain values (ChipHolder, ChipCard) and encoded card items.

Encoding validates everything before a single byte is written, so a bad value never
leaves a card half personalised.
"""

from __future__ import annotations

from collections.abc import Mapping

from devices.codec import decode_an, decode_cn, encode_an, encode_cn, split_gbk
from devices.errors import InvalidValueError, NameTooLongError
from devices.layout import BY_KEY, HOLDER_KEYS, DataItem, items_of
from offline.protocols import ChipCard, ChipHolder


def encode_item(item: DataItem, value: str, *, exact: bool = True) -> bytes:
    """Encode one value at its full field length; cn values must fill the field when `exact`."""
    if item.fmt == "cn":
        if exact and value and len(value) != 2 * item.length:
            raise InvalidValueError(detail=f"{item.key} must be {2 * item.length} digits")
        return encode_cn(value, item.length)
    return encode_an(value, item.length)


def decode_item(item: DataItem, raw: bytes) -> str:
    if len(raw) != item.length:
        # Cards in the field sometimes store shorter values; decode what is there.
        raw = raw[: item.length]
    return decode_cn(raw) if item.fmt == "cn" else decode_an(raw)


def is_blank(item: DataItem, raw: bytes) -> bool:
    pad = 0x00 if item.fmt == "an" else 0xFF
    return all(b == pad for b in raw)


def validate_date(value: str, what: str) -> None:
    if not (len(value) == 8 and value.isascii() and value.isdigit()):
        raise InvalidValueError(detail=f"{what} must be YYYYMMDD")


def holder_values(holder: ChipHolder, version: int) -> dict[str, bytes]:
    """Encoded EF06 items of `holder` for a card of major `version` (includes 4E on 2.0+)."""
    if holder.sex not in ("1", "2", "9"):
        raise InvalidValueError(detail="sex must be 1, 2 or 9")
    validate_date(holder.birth_date, "birth date")
    name, extension = split_gbk(holder.name, BY_KEY["name"].length)
    if extension and version < 2:
        raise NameTooLongError(detail="1.0 cards have no name extension")
    values = {
        "ssn": encode_item(BY_KEY["ssn"], holder.ssn),
        "name": encode_item(BY_KEY["name"], name),
        "sex": encode_item(BY_KEY["sex"], holder.sex),
        "ethnicity": encode_item(BY_KEY["ethnicity"], holder.ethnicity),
        "birthplace": encode_item(BY_KEY["birthplace"], holder.birthplace),
        "birth_date": encode_item(BY_KEY["birth_date"], holder.birth_date),
    }
    if not holder.name or not holder.ssn:
        raise InvalidValueError(detail="name and social security number are required")
    if version >= 2:
        values["name_ext"] = encode_item(BY_KEY["name_ext"], extension)
    return values


def blank_values(version: int) -> dict[str, bytes]:
    """Padding-only values of every EF06 item (recycling, R-TMP-3)."""
    return {item.key: item.blank() for item in items_of("EF06", version)}


def decode_holder(raw: Mapping[str, bytes]) -> ChipHolder | None:
    """ChipHolder from raw EF06 items, None when every item is padding (blank card)."""
    texts = {key: decode_item(BY_KEY[key], value) for key, value in raw.items()}
    if not any(texts.values()):
        return None
    name = texts.get("name", "") + texts.get("name_ext", "")
    return ChipHolder(
        ssn=texts.get("ssn", ""),
        name=name,
        sex=texts.get("sex", ""),
        ethnicity=texts.get("ethnicity", ""),
        birthplace=texts.get("birthplace", ""),
        birth_date=texts.get("birth_date", ""),
    )


def decode_card(
    ef05: Mapping[str, bytes],
    ef06: Mapping[str, bytes],
    home_region: str,
    *,
    emulated: bool,
    test_keys: bool,
) -> ChipCard:
    texts = {key: decode_item(BY_KEY[key], value) for key, value in ef05.items()}
    version = texts.get("version", "") or "1.00"
    return ChipCard(
        card_id_code=texts.get("card_id_code", ""),
        category=texts.get("category", ""),
        version=version,
        issuer_org=texts.get("issuer_org", ""),
        issue_date=texts.get("issue_date", ""),
        expiry_date=texts.get("expiry_date", ""),
        card_number=texts.get("card_number", ""),
        holder=decode_holder(ef06),
        home_region=home_region,
        emulated=emulated,
        test_keys=test_keys,
    )


def holder_as_dict(holder: ChipHolder) -> dict[str, str]:
    return {key: getattr(holder, key) for key in HOLDER_KEYS}
