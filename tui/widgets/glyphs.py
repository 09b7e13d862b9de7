"""ASCII glyphs for `TERM=linux` and `--ascii`: rules, arrows, bullets, bars and blocks.

Why a line filter: the Unicode glyphs come from many places — our messages (`•`, `──`), the
status bar (`│`), and Textual itself (the dropdown's `▼`, scrollbar blocks, borders). The Linux
console has no glyphs for most of them, and CJK terminals draw the "ambiguous width" ones two
cells wide, which shifts every column after them. A filter on every rendered line replaces each
with one ASCII character of the same (one-cell) width, so layout is unchanged and no screen has
to know about the mode. Chinese characters pass through.

`StationApp.get_line_filters()` adds `AsciiGlyphs` when `Config.ascii_borders` is on.
"""

from __future__ import annotations

from functools import lru_cache

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter


def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x2500, 0x2580):  # box drawing
        name_char = chr(code)
        table[code] = "+"
        if name_char in "─━═┄┅┈┉╌╍╴╶╸╺╼╾":
            table[code] = "-"
        elif name_char in "│┃║┆┇┊┋╎╏╵╷╹╻╽╿":
            table[code] = "|"
    for code in range(0x2580, 0x25A0):  # block elements (scrollbars, bars)
        table[code] = "#"
    table[ord("▀")] = "#"
    table[ord("▔")] = "-"
    table[ord("▁")] = "_"
    singles = {
        "▲": "^",
        "△": "^",
        "▼": "v",
        "▽": "v",
        "▶": ">",
        "►": ">",
        "◀": "<",
        "◄": "<",
        "↑": "^",
        "↓": "v",
        "→": ">",
        "←": "<",
        "⏎": "<",
        "•": "*",
        "·": ".",
        "●": "*",
        "○": "o",
        "◆": "*",
        "■": "#",
        "□": "o",
        "…": ".",
        "—": "-",
        "–": "-",
        "✖": "x",
        "✕": "x",
        "✔": "v",
        "✓": "v",
    }
    table.update({ord(k): v for k, v in singles.items()})
    return table


ASCII_TABLE = _table()
"""Code point → one ASCII character (same cell width)."""


@lru_cache(4096)
def to_ascii(text: str) -> str:
    """`text` with every mapped glyph replaced; Chinese and ASCII unchanged."""
    return text.translate(ASCII_TABLE)


class AsciiGlyphs(LineFilter):
    """Replace box drawing, block, arrow and bullet glyphs in every rendered line."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            Segment(to_ascii(text), style, control) if not control else Segment(text, style, control)
            for text, style, control in segments
        ]
