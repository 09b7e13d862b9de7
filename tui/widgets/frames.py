"""One frame per screen switch (bytes: the county works over 64 kbit/s SSH).

Why: in Textual 8.2.8 showing a screen writes the whole screen two to four times within ~30 ms:

1. `Screen._on_screen_resume` lays the new screen out (its size goes from 0 to the terminal's)
   and paints at once — a full frame;
2. that layout posts `Resize` to the screen itself, whose handler (`_screen_resized`) lays
   out again and paints every region it moved — nearly a second frame;
3. `_on_screen_resume` ends with `self.refresh()`, which marks the whole screen dirty, and the
   next update tick paints a third full frame; widgets that fill themselves in on mount (the
   status bar, the alert box) may add a fourth.

At 80x24 one frame of the home screen is ~3.5 KB, so the home screen cost 11 KB to appear.
(Returning to a screen adds one more: removing the popped screen marks the whole screen dirty
after it is shown; that repaint writes only what changed, see tui/widgets/wire.py.)

`OneFrameScreen` holds the screen's output from `ScreenResume` until the screen is settled —
its message queue is idle and no layout, repaint or dirty widget is pending — and then writes
one full frame. Everything the steps above painted is in that frame; nothing is lost, because
a held update only leaves its regions dirty. A screen that never settles (a widget refreshing
on a timer) is released after `HOLD_LIMIT_S` anyway, so the terminal is never left stale.
"""

from __future__ import annotations

from textual import events
from textual._context import visible_screen_stack
from textual.screen import Screen, ScreenResultType
from textual.timer import Timer

from tui.widgets.compositor import CellSafeCompositor

HOLD_LIMIT_S = 0.25
"""Longest time a switch may be held (a screen that keeps repainting is shown anyway)."""


class OneFrameScreen(Screen[ScreenResultType]):
    """Screen that appears in a single frame and never cuts a wide character (CellSafeCompositor)."""

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._compositor: CellSafeCompositor = CellSafeCompositor()
        self._holding = False
        self._hold_timer: Timer | None = None

    def _on_screen_resume(self, _event: events.ScreenResume) -> None:
        # Runs before Textual's own handler (handlers run down the MRO, subclass first).
        if not self.app.is_inline:
            self._holding = True
            if self._hold_timer is None:
                self._hold_timer = self.set_timer(HOLD_LIMIT_S, self._release_frame)

    async def _on_idle(self, _event: events.Idle) -> None:
        if self._holding and not (
            self._layout_required
            or self._scroll_required
            or self._repaint_required
            or self._recompose_required
            or self._dirty_widgets
        ):
            self._release_frame()

    def _compositor_refresh(self) -> None:
        if self._holding and self is self.app.screen:
            self._dirty_widgets.clear()  # their regions stay dirty in the compositor
            return
        super()._compositor_refresh()

    def _release_frame(self) -> None:
        """Stop holding and write the whole screen once."""
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        if not self._holding:
            return
        self._holding = False
        if self.is_current and self.is_attached:
            app = self.app
            visible_screen_stack.set(app._background_screens)
            app._display(self, self._compositor.render_frame(fresh=True))
            self._dirty_widgets.clear()
