"""Names: what the card can hold, and which names go to the provincial card centre (R-APP-6).

The chip stores the name in GBK: 30 bytes plus a 20-byte extension (card-spec.md, EF06 tags 09
and 4E), so a name longer than 50 GBK bytes cannot be written at all. A name with a character
outside GBK — or in a private-use area, or not assigned in Unicode, which is what HB 34 calls
"outside GB18030" — cannot be printed or written by the local issuance kit: such an application
is accepted but routed to the provincial card centre and the card is mailed (HB 34-36). The name
is kept as typed (Unicode) with a flag; it is never substituted.
"""

from __future__ import annotations

import unicodedata

from offline.errors import Problem
from offline.validation import messages as m

#: GBK bytes the card holds: name (30) + name extension (20).
NAME_MAX_GBK_BYTES = 50
#: The interpunct of ethnic-minority and transliterated names (买买提·艾力).
MIDDLE_DOT = "·"
#: Look-alikes operators type for the middle dot; they are rejected with a hint to use '·'.
DOT_LOOKALIKES = frozenset("•・．.。‧∙⋅")
_FOREIGN_PUNCT = frozenset(" -',.")


def needs_provincial_route(name: str) -> bool:
    """True if any character is outside GBK, private-use or unassigned (R-APP-6, HB 34)."""
    return any(_is_rare(c) for c in name)


def rare_characters(name: str) -> list[str]:
    """The characters that make a name rare (for the operator's confirmation screen)."""
    return [c for c in name if _is_rare(c)]


def _is_rare(c: str) -> bool:
    """HB 34: outside the GB18030 repertoire the card printer supports (the BMP ideographs of
    GB 18030: GBK, CJK Extension A and the unified block up to U+9FA5), or private/unassigned.
    So 䶮 (U+4DAE, Extension A) is printed locally; 𠀀 (Extension B) goes to the province."""
    if unicodedata.category(c) in ("Co", "Cn", "Cs"):
        return True
    try:
        c.encode("gbk")
    except UnicodeEncodeError:
        cp = ord(c)
        return not (0x3400 <= cp <= 0x4DB5 or 0x4E00 <= cp <= 0x9FA5)
    return False


def gbk_length(name: str) -> int:
    """Bytes the name takes on the card; a rare character counts as 2 (its GB18030 double byte
    form is what the provincial centre writes, 4-byte forms are counted as 4)."""
    total = 0
    for c in name:
        try:
            total += len(c.encode("gbk"))
        except UnicodeEncodeError:
            try:
                total += len(c.encode("gb18030"))
            except UnicodeEncodeError:
                total += 4
    return total


def name_problems(name: str, *, mainland: bool = True, field: str = "name") -> list[Problem]:
    """Problems of a person's name (R-APP-1); [] when acceptable. Rare characters are NOT a problem.

    Mainland (and HK/Macau/Taiwan Chinese) names: Chinese characters and the middle dot only.
    Foreign names: letters, spaces and the punctuation of passports; never digits.
    """
    rule = "R-APP-1"
    if not name.strip():
        return [m.problem(field, rule, m.REQUIRED, m.FIX_NAME)]
    problems: list[Problem] = []
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        return [m.problem(field, rule, m.CONTROL_CHARS, m.FIX_RETYPE)]
    if name != name.strip() or "  " in name or (mainland and any(c.isspace() for c in name)):
        problems.append(m.problem(field, rule, m.NAME_SPACES, m.FIX_NAME))
    if any(c.isdigit() for c in name):
        problems.append(m.problem(field, rule, m.NAME_DIGIT, m.FIX_NAME))
    if mainland:
        if any(unicodedata.category(c) in ("Lu", "Ll", "Lt") for c in name):
            problems.append(m.problem(field, rule, m.NAME_LATIN, m.FIX_NAME))
        for c in dict.fromkeys(name):
            if c.isspace() or c.isdigit() or unicodedata.category(c) in ("Lu", "Ll", "Lt"):
                continue  # reported above
            if c in DOT_LOOKALIKES:
                problems.append(m.problem(field, rule, m.NAME_DOT.format(char=c), m.FIX_NAME))
            elif not _is_name_char(c):
                problems.append(m.problem(field, rule, m.NAME_SYMBOL.format(char=c), m.FIX_NAME))
    else:
        for c in dict.fromkeys(name):
            if not (c.isalpha() or c in _FOREIGN_PUNCT or c == MIDDLE_DOT or c.isdigit()):
                problems.append(m.problem(field, rule, m.NAME_SYMBOL.format(char=c), m.FIX_NAME))
    n = gbk_length(name.strip())
    if n > NAME_MAX_GBK_BYTES:
        problems.append(
            m.problem(field, rule, m.NAME_TOO_LONG.format(n=n, max=NAME_MAX_GBK_BYTES), m.FIX_NAME_TOO_LONG)
        )
    return problems


def _is_name_char(c: str) -> bool:
    """A Chinese character (any CJK block, assigned or rare) or the middle dot."""
    if c in (MIDDLE_DOT, "〇"):
        return True
    if unicodedata.category(c) in ("Co", "Cn"):
        return True  # private-use / unassigned: a rare character, flagged by R-APP-6, not refused
    return unicodedata.category(c) == "Lo" and _is_cjk(ord(c))


def _is_cjk(cp: int) -> bool:
    return (
        0x3400 <= cp <= 0x4DBF  # Ext A
        or 0x4E00 <= cp <= 0x9FFF  # URO
        or 0xF900 <= cp <= 0xFAFF  # compatibility
        or 0x20000 <= cp <= 0x3FFFF  # Ext B and later, plane 3
    )
