"""A compositor that never cuts a Chinese character in two (the `上海浦东发展  行` bug).

Why: Textual's compositor splits every screen line at every widget edge on that line ("cuts"),
for all widgets, and then lets the front-most widget win each piece. When an overlay (a
dropdown's option list, a dialog) lies over a form, the edges of the widgets *underneath* also
cut the overlay's own text. A double-width character that straddles such a cut is replaced by
two spaces (`Strip.divide` → `Segment.split_cells`), so `上海浦东发展银行` showed as
`上海浦东发展  行` whenever a field below ended at that column. Cell-width arithmetic in our
own widgets was never the cause: the characters were lost after the widgets rendered them.

The fix: a widget's line is divided only where the owner of the line changes (a piece a
widget in front already holds), not at the edges of widgets it covers. Consecutive free pieces
go to the front widget as one strip, and the pieces it merged are marked taken so widgets
behind cannot claim them. Partial updates get the matching chop ends.

What the compositor writes is shortened in tui/widgets/wire.py (only changed cells; blank runs
erased).

The same Textual issue is tracked upstream (Textualize/textual#6357); this class can go once
a released Textual no longer divides a widget's line at cuts it owns on both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from typing import cast

from textual._compositor import ChopsUpdate, Compositor, LayoutUpdate
from textual.geometry import Region
from textual.strip import Strip

from tui.widgets.wire import DiffChopsUpdate, ShadowLayoutUpdate, current_shadow

_TAKEN = Strip([], 0)
"""Marks a piece merged into the strip of the piece before it (identity, never rendered)."""


class CellSafeCompositor(Compositor):
    """Compositor whose chops follow ownership changes, not every widget edge."""

    def _render_chops(
        self,
        crop: Region,
        is_rendered_line: Callable[[int], bool],
    ) -> Sequence[Mapping[int, Strip]]:
        cuts = self.cuts
        chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
        intersection = Region.intersection
        for region, clip, strips in self._get_renders(crop):
            render_region = intersection(region, clip)
            render_x = render_region.x
            first_cut, last_cut = render_region.column_span
            for y, strip in zip(render_region.line_range, strips, strict=False):
                if not is_rendered_line(y):
                    continue
                line = chops[y]
                final_cuts = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
                if len(final_cuts) < 2:
                    continue
                # Piece starts: the first cut, then every cut where "free" changes or the
                # previous piece is already held by a widget in front.
                starts = [final_cuts[0]]
                for previous, cut in pairwise(final_cuts[:-1]):
                    if line.get(previous) is not None or line.get(cut) is not None:
                        starts.append(cut)
                pieces = strip.divide([cut - render_x for cut in [*starts[1:], final_cuts[-1]]])
                ends = [*starts[1:], final_cuts[-1]]
                for start, end, piece in zip(starts, ends, pieces, strict=False):
                    if line.get(start) is not None:
                        continue
                    line[start] = piece
                    for cut in final_cuts:
                        if start < cut < end:
                            line[cut] = _TAKEN
        for line in chops:
            for key in [k for k, v in line.items() if v is _TAKEN]:
                del line[key]
        return cast("Sequence[Mapping[int, Strip]]", chops)

    def render_partial_update(self) -> ChopsUpdate | None:
        """As Textual's, with chop ends that follow the merged chops, writing only changed cells."""
        screen_region = self.size.region
        update_regions = self._dirty_regions.copy()
        self._dirty_regions.clear()
        if not update_regions:
            return None
        crop = Region.from_union(list(update_regions)).intersection(screen_region)
        spans = list(self._regions_to_spans(update_regions))
        is_rendered_line = {y for y, _, _ in spans}.__contains__
        chops = self._render_chops(crop, is_rendered_line)
        chop_ends = [[*list(line)[1:], cut_set[-1]] for line, cut_set in zip(chops, self.cuts, strict=True)]
        return DiffChopsUpdate(chops, spans, chop_ends, width=self.size.width, shadow=current_shadow())

    def render_full_update(self, simplify: bool = False) -> LayoutUpdate:
        """As Textual's, writing only what differs from the terminal (tui/widgets/wire.py)."""
        if simplify:  # an SVG export, not the terminal
            return super().render_full_update(simplify=True)
        return self.render_frame(fresh=False)

    def render_frame(self, *, fresh: bool) -> ShadowLayoutUpdate:
        """The whole screen; `fresh` writes every line (a screen switch repairs the terminal)."""
        screen_region = self.size.region
        self._dirty_regions.clear()
        chops = self._render_chops(screen_region, lambda y: True)
        return ShadowLayoutUpdate(
            [list(chop.values()) for chop in chops], screen_region, current_shadow(), fresh=fresh
        )
