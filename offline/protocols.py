"""Small Protocols through which the domain reaches hardware and the link.

`offline/` never imports `devices/` or `sync/`: the composition root hands it objects
that satisfy these Protocols (a card session from `devices/`, a sealer from `sync/`).
Only plain data crosses the boundary, so the types below are frozen dataclasses with
no behaviour beyond validation-free construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# --------------------------------------------------------------------------- chip data


@dataclass(frozen=True)
class ChipHolder:
    """Holder items of EF06 (card-spec.md), as the domain sees them."""

    ssn: str  # tag 08, social security number (18 chars)
    name: str  # tag 09 (+ 4E extension), Unicode; encoded to GBK by devices/
    sex: str  # tag 0A: '1' male, '2' female, '9' unstated
    ethnicity: str  # tag 0B: two-digit GB 3304 code, e.g. '01'
    birthplace: str  # tag 0C: six-digit GB/T 2260 region code
    birth_date: str  # tag 0D: YYYYMMDD


@dataclass(frozen=True)
class ChipCard:
    """What a read of EF05 (+ EF06 when personalised) returns."""

    card_id_code: str  # tag 01, 卡识别码
    category: str  # tag 02: '1'..'4'
    version: str  # tag 03: '1.00' | '2.00' | '3.00'
    issuer_org: str  # tag 04
    issue_date: str  # tag 05, YYYYMMDD or '' when blank
    expiry_date: str  # tag 06, YYYYMMDD or '' when blank
    card_number: str  # tag 07, 9 chars
    holder: ChipHolder | None  # None when EF06 is blank (temporary card in stock)
    home_region: str = ""  # DF01 home region (GB/T 2260), '' when absent
    emulated: bool = False  # True when the card lives in the project's emulator
    test_keys: bool = False  # True when a software security module with test keys is in use


@dataclass(frozen=True)
class PinState:
    """Result of asking the card about the social-security PIN (never the PIN itself)."""

    tries_left: int
    blocked: bool


class CardstationError(Exception):
    """Base of every error the project raises on purpose, in every layer.

    `message_zh` is what a person reads (what happened and what to do), `code` a stable English
    identifier where the error has one (stores, `--json`, tests). A screen or the CLI catches
    this one class and shows `message_zh`, never a traceback. It lives with the plain types so
    that `devices/` and `sync/` can subclass it without importing more of `offline/`
    (`offline.errors` re-exports it). `str(error)` is `text` when given, else `message_zh`.
    """

    def __init__(self, message_zh: str, *, code: str = "", text: str | None = None) -> None:
        super().__init__(message_zh if text is None else text)
        self.message_zh = message_zh
        self.code = code


class CardError(CardstationError):
    """Base of every error a card session raises.

    `code` is a stable English identifier (e.g. 'wrong_pin', 'pin_blocked',
    'card_removed', 'no_reader', 'mute_card'); `message_zh` is what the operator reads.
    """

    def __init__(self, code: str, message_zh: str, *, tries_left: int | None = None) -> None:
        super().__init__(message_zh, code=code, text=f"{code}: {message_zh}")
        self.tries_left = tries_left


@runtime_checkable
class CardSession(Protocol):
    """One inserted card, reached through a reader and a security module (devices/).

    Every write is read back and verified by the implementation; a failed verify raises
    CardError('write_verify_failed', ...). Removal mid-operation raises
    CardError('card_removed', ...). PIN digits are passed through, never stored (R-PIN-6).
    """

    def read_card(self) -> ChipCard:
        """Read EF05/EF06 (external authentication first on 3.0 cards)."""
        ...

    def check_genuine(self) -> bool:
        """Internal authentication against the security module (R-ISS-3)."""
        ...

    def pin_state(self) -> PinState:
        """VERIFY with Lc=0: tries left and whether the PIN is blocked."""
        ...

    def verify_pin(self, pin: str) -> None:
        """Raise CardError('wrong_pin', tries_left=n) or CardError('pin_blocked')."""
        ...

    def change_pin(self, old_pin: str, new_pin: str) -> None:
        """修改: CHANGE PIN with the old PIN (R-PIN-3 activation, R-PIN-4)."""
        ...

    def unblock_pin(self) -> None:
        """解锁: reset the try counter, keep the PIN (R-PIN-4)."""
        ...

    def reload_pin(self, new_pin: str) -> None:
        """重置: set a new PIN after external authentication with PUK (R-PIN-4)."""
        ...

    def personalise(self, holder: ChipHolder, issue_date: str, expiry_date: str) -> ChipCard:
        """Write EF06 and EF05 dates on a blank temporary card, verify, return the read-back (R-TMP-2)."""
        ...

    def erase(self) -> ChipCard:
        """Erase EF06 to padding and verify the card reads blank (R-TMP-3)."""
        ...

    def write_home_region(self, region: str) -> ChipCard:
        """Rewrite the home region in DF01 and verify (R-TRF-1)."""
        ...


# --------------------------------------------------------------------------- sealing


@dataclass(frozen=True)
class EnvelopeHeader:
    """Everything the sealer binds to the ciphertext, besides its own version and key id."""

    station_id: str
    seq: int
    envelope_id: str
    kind: str  # 'business' | 'blob' | 'closing' ...


@runtime_checkable
class Sealer(Protocol):
    """Seals a payload for the card management system (sync/ implements it).

    Called inside the business transaction, so what goes up is exactly what the
    operator confirmed. `compress` is False for JPEG photos and scans.
    """

    def seal(self, header: EnvelopeHeader, payload: bytes, *, compress: bool = True) -> bytes: ...


# --------------------------------------------------------------------------- card numbers

#: Weights of the card-number check character (card-spec.md, "Numbers").
CARD_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)


def card_number_check_char(first8: str) -> str:
    """The check character of a card number's first 8 characters (card-spec.md, "Numbers").

    C9 = 11 - (sum of Ci * Wi mod 11), digits at face value and letters A = 10, B = 11, ...;
    10 is written 'X' and 11 '0'. Worked example of the specification: D2143569 -> X.
    Here, with the other plain vocabulary shared by the layers, because the card (`devices/`),
    the station's validation (`offline/`) and the reference gateway's production (`sync/`) all
    need the one same rule and none of them may import the other two.
    """
    body = first8.upper()
    if len(body) != 8:
        raise ValueError("card number body must be 8 characters")
    total = 0
    for ch, w in zip(body, CARD_WEIGHTS, strict=True):
        if "0" <= ch <= "9":
            value = ord(ch) - ord("0")
        elif "A" <= ch <= "Z":
            value = ord(ch) - ord("A") + 10
        else:
            raise ValueError(f"invalid card number character: {ch!r}")
        total += value * w
    c9 = 11 - total % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


def card_number_is_valid(card_number: str) -> bool:
    """True when a 9-character card number carries the right check character."""
    if len(card_number) != 9:
        return False
    try:
        return card_number_check_char(card_number[:8]) == card_number[8].upper()
    except ValueError:
        return False
