"""Card number check character (card-spec.md, "Numbers").

The card number is a district letter, 7 characters and a check character:
C9 = 11 - (sum Ci*Wi mod 11) with W = 3 7 9 10 5 8 4 2, letters valued A=10,
B=11, ...; a result of 10 is written X and 11 is written 0.
Worked example from the specification: D2143569 -> X.

Pure and standalone on purpose: `offline/` keeps its own copy (it may not import
`devices/`), and both are tested against the same worked example.
"""

from __future__ import annotations

_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _char_value(ch: str) -> int:
    if "0" <= ch <= "9":
        return ord(ch) - ord("0")
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    raise ValueError(f"invalid card number character: {ch!r}")


def card_number_check_char(first8: str) -> str:
    """The check character for the first 8 characters of a card number."""
    body = first8.upper()
    if len(body) != 8:
        raise ValueError("card number body must be 8 characters")
    total = sum(_char_value(ch) * w for ch, w in zip(body, _WEIGHTS, strict=True))
    c9 = 11 - total % 11
    if c9 == 10:
        return "X"
    if c9 == 11:
        return "0"
    return str(c9)


def card_number_is_valid(card_number: str) -> bool:
    """True when a 9-character card number carries the right check character."""
    if len(card_number) != 9:
        return False
    try:
        return card_number_check_char(card_number[:8]) == card_number[8].upper()
    except ValueError:
        return False
