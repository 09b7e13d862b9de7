"""Line breaking for Chinese text that never splits a rule id or a receipt number.

Why: Textual wraps with Rich's `divide_line`, which only breaks at spaces. Chinese sentences
have no spaces, so a whole sentence is one "word" that gets folded at the last cell that fits,
wherever that is: `（R-R` / `EP-3）`, `HN2025` / `0312-0001`. An operator reading a rule id
or a receipt number back over the phone must see it whole.

`divide_line` here breaks between any two Chinese characters (as Chinese typesetting does),
at spaces, and never inside a run of ASCII letters, digits and punctuation. Closing punctuation
(，。）…) stays on the line it closes and opening punctuation (（【《“) moves with what it opens.
Only a token longer than the whole line is folded.

`install()` makes Textual's `Content` (every Static, Label, notification) use it; the app calls
it once at start.
"""

from __future__ import annotations

import re

from rich.cells import cell_len, chop_cells

OPENING = "（【《“‘「『〔［｛〈(["
CLOSING = "，。、；：？！）】》”’」』〕］｝〉…%％,.;:?!)]"

_UNIT = re.compile(
    rf"\s*[{re.escape(OPENING)}]*(?:[!-~]+|[^\s!-~])[{re.escape(CLOSING)}]*\s*",
)
"""A break unit: optional openers, one ASCII token or one other character, closers, spaces."""


def units(text: str) -> list[tuple[int, str]]:
    """(start index, unit) pairs; a line may only break at a unit's start."""
    out: list[tuple[int, str]] = []
    position = 0
    while position < len(text):
        match = _UNIT.match(text, position)
        if match is None or match.end() == position:  # lone trailing spaces
            out.append((position, text[position:]))
            break
        out.append((position, match.group(0)))
        position = match.end()
    return out


def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
    """Indices at which to break `text` so that each line fits `width` cells.

    Same contract as `rich._wrap.divide_line` (which Textual calls), with break opportunities
    between Chinese characters and none inside ASCII tokens.
    """
    breaks: list[int] = []
    offset = 0
    for start, unit in units(text):
        length = cell_len(unit.rstrip())
        if width - offset >= length:
            offset += cell_len(unit)
            continue
        if length > width:
            if not fold:
                if start:
                    breaks.append(start)
                offset = cell_len(unit)
                continue
            pieces = chop_cells(unit, width=width)
            if offset and start:
                breaks.append(start)
            for index, piece in enumerate(pieces):
                if index:
                    breaks.append(start)
                start += len(piece)
                offset = cell_len(piece)
            continue
        if offset and start:
            breaks.append(start)
        offset = cell_len(unit)
    return breaks


def install() -> None:
    """Make Textual's Content wrap with `divide_line` (idempotent)."""
    import textual.content

    textual.content.divide_line = divide_line  # type: ignore[attr-defined]
