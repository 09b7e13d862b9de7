"""The card application model: names, files, data items and key ids (card-spec.md).

Values a province's card structure specification may change are kept here as data
rather than scattered through the command code. Items marked [U] in card-spec.md
are our documented decisions (see docs/card.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final, Literal

# SSSE DDF name "sx1.sh.社会保障" in GBK. [C]
SSSE_NAME: Final = bytes.fromhex("7378312E73682EC9E7BBE1B1A3D5CF")
# DF01 public-data sub-application. The spec lists AIDs D156000005 00..04 for DF01-DF04/DF07;
# we take DF01 = D156000005 00. [P]
DF01_AID: Final = bytes.fromhex("D15600000500")
RID: Final = "D156000005"

EF05: Final = 0xEF05
EF06: Final = 0xEF06
# The file holding the DF01 items (home region, nationality) - EF05 under DF01. [U]
DF01_EF05: Final = 0xEF05

FileName = Literal["EF05", "EF06", "DF01"]
Format = Literal["cn", "an"]


class KeyId(int, Enum):
    """Key ids of EXTERNAL AUTHENTICATE (P2) and the keys the security module holds."""

    IRK = 0x00  # internal authentication key [C]
    RK = 0x01  # read key RKSSSE, needed to read EF06 on 3.0 cards - id not in the spec [U]
    STK = 0x02  # [C]
    UK = 0x04  # update key UKSSSE [C]
    BK = 0x05  # [C] (not used by the station)
    PUK = 0x06  # PIN unblock/reload key [C]


class Algorithm(int, Enum):
    """Tag 86 inside FCI 9F0C (card-spec.md)."""

    TDES = 0x01
    SSF33 = 0x02
    SM4 = 0x03


@dataclass(frozen=True)
class DataItem:
    """One `tag len value` item: where it lives, its format and full length."""

    key: str  # field name in ChipCard / ChipHolder
    tag: int
    file: FileName
    fmt: Format
    length: int
    min_version: int = 1  # 2 for tag 4E (absent on 1.0 cards)

    def blank(self) -> bytes:
        """The padding-only value of this item (an -> 00, cn -> FF)."""
        return (b"\x00" if self.fmt == "an" else b"\xff") * self.length


ITEMS: Final[tuple[DataItem, ...]] = (
    DataItem("card_id_code", 0x01, "EF05", "cn", 16),
    DataItem("category", 0x02, "EF05", "an", 1),
    DataItem("version", 0x03, "EF05", "an", 4),
    DataItem("issuer_org", 0x04, "EF05", "cn", 12),
    DataItem("issue_date", 0x05, "EF05", "cn", 4),
    DataItem("expiry_date", 0x06, "EF05", "cn", 4),
    DataItem("card_number", 0x07, "EF05", "an", 9),
    DataItem("ssn", 0x08, "EF06", "an", 18),
    DataItem("name", 0x09, "EF06", "an", 30),
    DataItem("name_ext", 0x4E, "EF06", "an", 20, min_version=2),
    DataItem("sex", 0x0A, "EF06", "an", 1),
    DataItem("ethnicity", 0x0B, "EF06", "cn", 1),
    DataItem("birthplace", 0x0C, "EF06", "cn", 3),
    DataItem("birth_date", 0x0D, "EF06", "cn", 4),
    # DF01 public data: home region (GB/T 2260) and nationality; tags not in the spec. [U]
    DataItem("home_region", 0x20, "DF01", "cn", 3),
    DataItem("nationality", 0x21, "DF01", "an", 3),
)

BY_KEY: Final[dict[str, DataItem]] = {item.key: item for item in ITEMS}


def items_of(file: FileName, version: int = 3) -> tuple[DataItem, ...]:
    """Items of one file present on a card of the given major version."""
    return tuple(i for i in ITEMS if i.file == file and i.min_version <= version)


def file_id(file: FileName) -> int:
    return {"EF05": EF05, "EF06": EF06, "DF01": DF01_EF05}[file]


def version_number(version_text: str) -> int:
    """Major version from tag 03: '1.00' -> 1, '' -> 1 (an empty tag means 1.0), '3.00' -> 3."""
    text = version_text.strip()
    if not text:
        return 1
    try:
        return max(1, int(float(text)))
    except ValueError:
        return 1


def version_text(version: int) -> str:
    return f"{version}.00"


# Temporary cards: which items personalisation writes, in which order. Dates first, so a card
# whose EF06 is still blank but whose dates are set reads "partial", never "blank". [U]
PERSONALISE_ORDER: Final[tuple[str, ...]] = (
    "issue_date",
    "expiry_date",
    "ssn",
    "name",
    "name_ext",
    "sex",
    "ethnicity",
    "birthplace",
    "birth_date",
)
HOLDER_KEYS: Final[tuple[str, ...]] = ("ssn", "name", "sex", "ethnicity", "birthplace", "birth_date")
