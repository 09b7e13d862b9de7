"""What the compositor writes to the terminal: only the cells that changed, blanks erased.

Why (docs/benchmarks.md, 64 kbit/s SSH): Textual repaints a widget's whole line for any
change inside it. Typing one character in a 43-cell input rewrote the value, the cursor and
41 padding spaces (106 B); ncurses' `dialog` sends 34 B because it compares with what the
terminal already shows. This module does the same for the station's screens:

- `TerminalShadow` is what the terminal shows, cell by cell (character and style), learnt from
  everything the station's compositor writes, per app.
- `DiffChopsUpdate` (a partial update) writes, per dirty line span, only the cells from the
  first to the last that differ from the shadow.
- `ShadowLayoutUpdate` (a full frame) writes every line, so a full frame still repairs a
  terminal that something else scribbled on; it only shortens blank runs.
- Both write runs of plain blanks (default background, no underline/reverse) as erase
  sequences: `EL` (`ESC[K`) to the end of the line, `ECH` (`ESC[nX`) inside a span. Plain blanks
  erase to exactly what spaces would draw, on every terminal with VT220 erase (xterm, tmux,
  screen, the Linux console, PuTTY, Windows Terminal). Blanks on a coloured background (the
  focused field's bar) are erased the same way only where terminfo says the terminal erases
  with the current background (`bce`: xterm, the Linux console; not screen or tmux).

The shadow is forgotten (so the next updates are written in full) when the terminal is resized
or anything else draws, see `StationApp._display`.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from rich.cells import get_character_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.geometry import Region
from textual.strip import Strip

Cell = tuple[str, Style | None]
"""One terminal cell: its character ('' for the right half of a wide one) and style."""

RESET = "\x1b[0m"
ERASE_LINE = "\x1b[K"
MIN_EL_RUN = 6
"""Shortest blank run at a line end worth `ESC[0m ESC[K` (7 bytes)."""
MIN_ECH_RUN = 14
"""Shortest blank run inside a span worth `ESC[0m ESC[nX ESC[nC` (≈ 14 bytes)."""


def _move_to(x: int, y: int) -> str:
    return f"\x1b[{y + 1};{x + 1}H"


@lru_cache(1024)
def _drawn(style: Style) -> Style:
    """The style without its meta (mouse targets, links): what the terminal draws."""
    return style.clear_meta_and_links()


@lru_cache(1024)
def _blank(style: Style) -> Style:
    """What a space shows of `style`: its background and lines, not its foreground or weight.

    An empty focused input pads with `on blue`, a filled one with `bold bright_white on blue`;
    on screen both are the same blue cells, and comparing them as equal saves rewriting them.
    """
    reverse = bool(style.reverse)
    return Style(
        color=style.color if reverse else None,
        bgcolor=style.bgcolor,
        reverse=reverse or None,
        underline=style.underline,
        underline2=style.underline2,
        strike=style.strike,
        overline=style.overline,
        conceal=style.conceal,
    )


def cells_of(segments: Iterable[Segment]) -> list[Cell]:
    """Cells of a run of segments (control segments skipped, zero-width characters folded)."""
    cells: list[Cell] = []
    for text, segment_style, control in segments:
        if control:
            continue
        style = None if segment_style is None else _drawn(segment_style)
        blank_style = None if style is None else _blank(style)
        for ch in text:
            width = get_character_cell_size(ch)
            if width == 2:
                cells.append((ch, style))
                cells.append(("", style))
            elif width == 1:
                cells.append((ch, blank_style if ch == " " else style))
            elif cells:  # a combining mark joins the cell before it
                prev, prev_style = cells[-1]
                cells[-1] = (prev + ch, prev_style)
    return cells


def is_plain_blank(cell: Cell) -> bool:
    """A space that looks exactly like an erased cell (default background, no line/reverse)."""
    ch, style = cell
    if ch != " ":
        return False
    if style is None:
        return True
    bg = style.bgcolor
    return (
        (bg is None or bg.is_default)
        and not style.reverse
        and not style.underline
        and not style.underline2
        and not style.strike
        and not style.overline
        and not style.conceal
    )


def _reset(out: list[str]) -> str:
    """SGR reset before an erase, unless what was written last already ended with one."""
    return "" if out and out[-1].endswith(RESET) else RESET


def background_blank(cell: Cell) -> Style | None:
    """For a space on a coloured background and nothing else, that background; else None."""
    ch, style = cell
    if ch != " " or style is None or style.bgcolor is None or style.bgcolor.is_default:
        return None
    if style.reverse or style.underline or style.underline2 or style.strike or style.overline:
        return None
    return Style(bgcolor=style.bgcolor)


def background_erase(term: str | None = None) -> bool:
    """Whether the terminal erases with the current background colour (terminfo `bce`)."""
    import os
    import sys

    term = term if term is not None else os.environ.get("TERM", "")
    if not term:
        return False
    try:
        import curses

        fd = sys.__stderr__.fileno() if sys.__stderr__ is not None else -1
        curses.setupterm(term, fd)
        return bool(curses.tigetflag("bce") == 1)
    except Exception:  # no terminfo entry, no curses: erase only plain blanks
        return False


def render_cells(cells: Sequence[Cell], console: Console, *, to_line_end: bool, bce: bool = False) -> str:
    """Escape sequences that draw `cells` from the cursor, erasing blank runs where that is exact."""
    out: list[str] = []
    run: list[Segment] = []

    def flush() -> None:
        if run:
            out.append(Strip(run).render(console))
            run.clear()

    i = 0
    n = len(cells)
    while i < n:
        if is_plain_blank(cells[i]):
            j = i
            while j < n and is_plain_blank(cells[j]):
                j += 1
            length = j - i
            if j == n and to_line_end and length >= MIN_EL_RUN:
                flush()
                out.append(_reset(out) + ERASE_LINE)
                i = j
                continue
            if length >= MIN_ECH_RUN:
                flush()
                out.append(f"{_reset(out)}\x1b[{length}X")
                if j < n:
                    out.append(f"\x1b[{length}C")
                i = j
                continue
        background = background_blank(cells[i]) if bce and console._color_system is not None else None
        if background is not None:
            j = i
            while j < n and background_blank(cells[j]) == background:
                j += 1
            length = j - i
            if length >= MIN_ECH_RUN or (j == n and to_line_end and length >= MIN_EL_RUN):
                flush()
                sgr = background._make_ansi_codes(console._color_system)  # type: ignore[arg-type]
                erase = ERASE_LINE if j == n and to_line_end else f"\x1b[{length}X"
                out.append(f"{_reset(out)}\x1b[{sgr}m{erase}{RESET}")
                if j < n:
                    out.append(f"\x1b[{length}C")
                i = j
                continue
        ch, style = cells[i]
        if ch:  # the right half of a wide character is drawn by its left half
            if run and run[-1].style == style:
                run[-1] = Segment(run[-1].text + ch, style)
            else:
                run.append(Segment(ch, style))
        i += 1
    flush()
    return "".join(out)


class TerminalShadow:
    """What the terminal shows, line by line; None for a line not known."""

    def __init__(self) -> None:
        self.lines: list[list[Cell] | None] = []
        self.size: tuple[int, int] = (0, 0)
        self.bce = False
        """The terminal erases with the current background (set by the app from terminfo)."""

    def forget(self) -> None:
        self.lines = []

    def resized(self, size: tuple[int, int]) -> None:
        """The terminal reports `size`: a real change of size invalidates what it showed."""
        if size != self.size:
            self.size = size
            self.forget()

    def line(self, y: int, width: int) -> list[Cell] | None:
        if y < len(self.lines):
            known = self.lines[y]
            if known is not None and len(known) == width:
                return known
        return None

    def store(self, y: int, x: int, cells: Sequence[Cell], width: int) -> None:
        """Record `cells` at (x, y); a line not fully known before stays unknown unless x == 0."""
        while len(self.lines) <= y:
            self.lines.append(None)
        known = self.lines[y]
        if known is None or len(known) != width:
            if x == 0 and len(cells) == width:
                self.lines[y] = list(cells)
            else:
                self.lines[y] = None
            return
        known[x : x + len(cells)] = cells


_SHADOWS: weakref.WeakKeyDictionary[Any, TerminalShadow] = weakref.WeakKeyDictionary()


def shadow_for(app: Any) -> TerminalShadow:
    """The shadow of `app`'s terminal (one per app)."""
    shadow = _SHADOWS.get(app)
    if shadow is None:
        shadow = _SHADOWS[app] = TerminalShadow()
    return shadow


def _current_app() -> Any:
    from textual._context import active_app

    return active_app.get(None)


def _widen(cells: Sequence[Cell], start: int, end: int) -> tuple[int, int]:
    """Extend [start, end] so that no wide character is cut."""
    if start > 0 and cells[start][0] == "":
        start -= 1
    if end + 1 < len(cells) and cells[end + 1][0] == "":
        end += 1
    return start, end


class ShadowLayoutUpdate(LayoutUpdate):
    """A full frame that records what it draws and erases blank line ends.

    `fresh=True` (a screen switch, tui/widgets/frames.py) writes every line, so each switch
    repairs a terminal that something else scribbled on. Other full repaints — Textual marks
    the whole screen dirty after removing a popped screen, for instance — write only the lines
    and cells that differ from what the terminal shows.
    """

    def __init__(
        self, strips: list[list[Strip]], region: Region, shadow: TerminalShadow | None, *, fresh: bool = True
    ) -> None:
        super().__init__(list[Iterable[Strip]](strips), region)
        self.shadow = shadow
        self.fresh = fresh

    def render_segments(self, console: Console) -> str:
        x, width = self.region.x, self.region.width
        sequences: list[str] = []
        for y, line in enumerate(self.strips, self.region.y):
            cells = cells_of(segment for strip in line for segment in strip)
            start, end = 0, len(cells) - 1
            old = None if self.fresh or self.shadow is None else self.shadow.line(y, width)
            if old is not None and x == 0:
                changed = [i for i in range(len(cells)) if cells[i] != old[i]]
                if not changed:
                    continue
                start, end = _widen(cells, changed[0], changed[-1])
            sequences.append(_move_to(x + start, y))
            bce = self.shadow is not None and self.shadow.bce
            sequences.append(
                render_cells(cells[start : end + 1], console, to_line_end=end + 1 >= len(cells), bce=bce)
            )
            if self.shadow is not None:
                self.shadow.store(y, x, cells, width)
        return "".join(sequences)


class DiffChopsUpdate(ChopsUpdate):
    """A partial update that writes only the cells that differ from the terminal's."""

    def __init__(
        self,
        chops: Sequence[Mapping[int, Strip | None]],
        spans: list[tuple[int, int, int]],
        chop_ends: list[list[int]],
        *,
        width: int,
        shadow: TerminalShadow | None,
    ) -> None:
        super().__init__(chops, spans, chop_ends)
        self.width = width
        self.shadow = shadow

    def _span_cells(self, y: int, x1: int, x2: int) -> list[Cell] | None:
        """Cells x1..x2-1 of line y from its chops, or None if a chop there is missing."""
        cells: list[Cell] = []
        for end, (x, strip) in zip(self.chop_ends[y], self.chops[y].items(), strict=False):
            if end <= x1 or x >= x2:
                continue
            if strip is None:
                return None
            chop = cells_of(strip)
            lo, hi = max(x1, x), min(x2, x + len(chop))
            cells.extend(chop[lo - x : hi - x])
        return cells if len(cells) == x2 - x1 else None

    def render_segments(self, console: Console) -> str:
        if self.shadow is None:
            return super().render_segments(console)
        out: list[str] = []
        for y, x1, x2 in self.spans:
            x2 = min(x2, self.width)
            cells = self._span_cells(y, x1, x2)
            if cells is None:  # cannot tell what changed: write the span the stock way
                out.append(ChopsUpdate(self.chops, [(y, x1, x2)], self.chop_ends).render_segments(console))
                known = self.shadow.lines[y] if y < len(self.shadow.lines) else None
                if known is not None:
                    self.shadow.lines[y] = None
                continue
            old = self.shadow.line(y, self.width)
            if old is None:
                start, end = 0, len(cells) - 1
            else:
                changed = [i for i in range(len(cells)) if cells[i] != old[x1 + i]]
                if not changed:
                    continue
                start, end = _widen(cells, changed[0], changed[-1])
            if start > end:
                continue
            to_end = x1 + end + 1 >= self.width
            out.append(_move_to(x1 + start, y))
            out.append(render_cells(cells[start : end + 1], console, to_line_end=to_end, bce=self.shadow.bce))
            self.shadow.store(y, x1, cells, self.width)
        return "".join(out)


def current_shadow() -> TerminalShadow | None:
    """The running app's shadow, or None outside an app (exports, tests of the compositor)."""
    app = _current_app()
    return None if app is None else shadow_for(app)
