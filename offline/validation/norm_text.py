"""Width folding and the `Normalised` result every normaliser returns.

Chinese input methods switch to full-width digits and letters (１３８, ＡＢ) and people copy ID
numbers with spaces ("4301 2119 9001 0112 34"). Folding is NFKC restricted to what cannot change
meaning: full-width ASCII and the ideographic space; Chinese characters are never touched.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from offline.validation import messages as m


@dataclass(frozen=True)
class Normalised:
    """The standard value (`ok`), or why the input was not understood (`problem`, `fix`).

    `shown` is what the operator reads after leaving a field ("已识别为 …"); empty when the input
    was already standard. `value` keeps the input when it was not understood (nothing lost).
    """

    value: str
    shown: str = ""
    problem: str = ""
    fix: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def note(self) -> str:
        """'已识别为：…' when the input was changed, else ''."""
        return m.UNDERSTOOD.format(shown=self.shown) if self.ok and self.shown else ""


def fold_width(text: str) -> str:
    """Full-width ASCII (U+FF01..FF5E) and U+3000 -> ASCII; everything else unchanged."""
    out = []
    for c in text:
        o = ord(c)
        if 0xFF01 <= o <= 0xFF5E:
            out.append(chr(o - 0xFEE0))
        elif c == "\u3000":
            out.append(" ")
        else:
            out.append(c)
    return "".join(out)


def squeeze(text: str) -> str:
    """Fold width, NFC, trim and collapse runs of whitespace to one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", fold_width(text))).strip()


def normalise_text(value: str) -> Normalised:
    """Free text (names, addresses): width folded, spaces trimmed and collapsed."""
    s = squeeze(value)
    return Normalised(s, s if s != value else "")


def _is_han(c: str) -> bool:
    return "\u3400" <= c <= "\u9fff" or "\U00020000" <= c <= "\U0003134f" or c == "〇"


def normalise_name(value: str) -> Normalised:
    """A name: a Chinese name loses the spaces lists use to align two-character names (张  三)
    and gets the proper middle dot for look-alikes (买买提.艾力 -> 买买提·艾力); a Latin name
    only has its spaces trimmed and collapsed."""
    from offline.validation.names import DOT_LOOKALIKES, MIDDLE_DOT

    s = squeeze(value)
    allowed = DOT_LOOKALIKES | {MIDDLE_DOT, " "}
    if any(_is_han(c) for c in s) and all(_is_han(c) or c in allowed for c in s):
        s = "".join(MIDDLE_DOT if c in DOT_LOOKALIKES else c for c in s.replace(" ", ""))
    return Normalised(s, s if s != value.strip() else "")


_ID_DROP = re.compile(r"[\s\-_.()（）]")


def normalise_id_number(value: str) -> Normalised:
    """ID and document numbers: width folded, spaces/dashes/dots dropped, 'x' -> 'X'."""
    s = _ID_DROP.sub("", fold_width(value)).upper().replace("×", "X")
    return Normalised(s, s if s != value else "")
