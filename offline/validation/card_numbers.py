"""Social-security card numbers: a district letter + 7 characters + a check character.

Checked when produced cards are signed into stock (R-ISS-1) and when chip, card face and record
are compared at hand-out (R-ISS-3): a mistyped card number would sign the wrong card in or out.
Check character (card-spec.md, "Numbers"): C9 = 11 - (sum of Ci * Wi mod 11) with weights
W = 3 7 9 10 5 8 4 2, digits at face value and letters A = 10, B = 11, ...; 10 -> 'X', 11 -> '0'.
Example: D2143569 -> X, so the full number is D2143569X.
"""

from __future__ import annotations

import string

from offline.errors import Problem
from offline.validation import messages as m

CARD_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)
RULE = "R-ISS-1"
_ALNUM = frozenset(string.digits + string.ascii_uppercase)


def _value(c: str) -> int:
    if c in string.digits:
        return int(c)
    if c in string.ascii_uppercase:
        return ord(c) - ord("A") + 10
    raise ValueError(f"not a card-number character: {c!r}")


def card_number_check_char(first8: str) -> str:
    """The check character of the first 8 characters: card_number_check_char('D2143569') == 'X'."""
    if len(first8) != 8:
        raise ValueError("need exactly 8 characters")
    total = sum(_value(c) * w for c, w in zip(first8.upper(), CARD_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


def validate_card_number(value: str, *, field: str = "card_number") -> list[Problem]:
    """Problems of a 9-character card number; [] when valid. Never raises on any input."""
    s = value.strip().upper()
    if not s:
        return [m.problem(field, RULE, m.REQUIRED, m.FIX_CARD_NUMBER)]
    if len(s) != 9:
        return [m.problem(field, RULE, m.CARD_NUMBER_LENGTH.format(n=len(s)), m.FIX_CARD_NUMBER)]
    if s[0] not in string.ascii_uppercase:
        return [m.problem(field, RULE, m.CARD_NUMBER_FIRST, m.FIX_CARD_NUMBER)]
    if not all(c in _ALNUM for c in s[1:8]) or s[8] not in _ALNUM:
        return [m.problem(field, RULE, m.CARD_NUMBER_CHARS, m.FIX_CARD_NUMBER)]
    expected = card_number_check_char(s[:8])
    if s[8] != expected:
        msg = m.CARD_NUMBER_CHECK.format(expected=expected, actual=s[8])
        return [m.problem(field, RULE, msg, m.FIX_CARD_NUMBER)]
    return []
