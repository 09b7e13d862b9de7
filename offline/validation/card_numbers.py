"""Social-security card numbers: a district letter + 7 characters + a check character.

Checked when produced cards are signed into stock (R-ISS-1) and when chip, card face and record
are compared at hand-out (R-ISS-3): a mistyped card number would sign the wrong card in or out.
The check character (card-spec.md, "Numbers"; D2143569 -> X, so D2143569X) is computed by
`offline.protocols.card_number_check_char`, the one copy the card and the gateway share.
"""

from __future__ import annotations

import string

from offline.errors import Problem
from offline.protocols import card_number_check_char
from offline.validation import messages as m

RULE = "R-ISS-1"
_ALNUM = frozenset(string.digits + string.ascii_uppercase)


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
