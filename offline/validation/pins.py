"""A new social-security PIN as the holder types it: refusals (R-PIN-3) and advice (R-PIN-5).

R-PIN-3 (HN 13(3)-(4)): six digits, typed twice, the two entries equal, and not the province's
initial PIN (changing away from it is what activates the card). R-PIN-5 (HN 14): a PIN of one
digit repeated (888888) or a run (123456, 654321) is refused before anything reaches the chip —
it is the first thing anyone tries; a birth date, a phone number or a repeated pair only warns,
because the holder may keep such a PIN. The PIN digits are only compared here, never stored or logged (R-PIN-6).
"""

from __future__ import annotations

from datetime import date
from functools import cache

from offline.errors import Problem
from offline.validation import messages as m

PIN_LENGTH = 6
_ASCENDING = "0123456789012345"
_DESCENDING = "9876543210987654"


@cache
def _bundled_initial_pins() -> frozenset[str]:
    from offline.profiles import PROVINCES, load_profile

    return frozenset(load_profile(p).initial_pin for p in PROVINCES)


def check_new_pin(
    new: str,
    again: str,
    *,
    birth_date: date | None,
    phone: str,
    initial_pin: str | None = None,
) -> tuple[list[Problem], list[str]]:
    """(problems that refuse the PIN, Chinese warnings to show). `initial_pin` None = any province's."""
    problems: list[Problem] = []
    if len(new) != PIN_LENGTH or not (new.isascii() and new.isdigit()):
        problems.append(m.problem("pin", "R-PIN-3", m.PIN_FORMAT, m.FIX_PIN_FORMAT))
        return problems, []
    if new != again:
        problems.append(m.problem("pin_again", "R-PIN-3", m.PIN_MISMATCH, m.FIX_PIN_MISMATCH))
    initials = {initial_pin} if initial_pin else _bundled_initial_pins()
    if new in initials:
        problems.append(m.problem("pin", "R-PIN-3", m.PIN_INITIAL, m.FIX_PIN_INITIAL))
    elif len(set(new)) == 1:  # R-PIN-5: refused before anything is written to the chip
        problems.append(m.problem("pin", "R-PIN-5", m.PIN_SAME_REFUSED, m.FIX_PIN_WEAK))
    elif new in _ASCENDING or new in _DESCENDING:
        problems.append(m.problem("pin", "R-PIN-5", m.PIN_SEQUENCE_REFUSED, m.FIX_PIN_WEAK))
    warnings = [
        w
        for w in pin_warnings(new, birth_date=birth_date, phone=phone)
        if w not in (m.WARN_PIN_SAME, m.WARN_PIN_SEQUENCE) or not problems
    ]
    return problems, warnings


def pin_warnings(pin: str, *, birth_date: date | None, phone: str) -> list[str]:
    """R-PIN-5 warnings for a well-formed PIN (HN 14: avoid birth date and phone number)."""
    warnings: list[str] = []
    if birth_date is not None and pin in _birth_forms(birth_date):
        warnings.append(m.WARN_PIN_BIRTH)
    digits = "".join(c for c in phone if c.isascii() and c.isdigit())
    if len(digits) >= PIN_LENGTH and pin in digits:
        warnings.append(m.WARN_PIN_PHONE)
    if len(set(pin)) == 1:
        warnings.append(m.WARN_PIN_SAME)
    elif pin in _ASCENDING or pin in _DESCENDING:
        warnings.append(m.WARN_PIN_SEQUENCE)
    elif pin[:2] * 3 == pin or pin[:3] * 2 == pin:
        warnings.append(m.WARN_PIN_REPEAT)
    return warnings


def _birth_forms(d: date) -> set[str]:
    """Six-digit forms of a birth date people choose: every window of YYYYMMDD, and DDMMYY, MMDDYY."""
    full = d.strftime("%Y%m%d")
    forms = {full[i : i + PIN_LENGTH] for i in range(len(full) - PIN_LENGTH + 1)}
    forms.add(d.strftime("%d%m%y"))
    forms.add(d.strftime("%m%d%y"))
    return forms
