"""What the station app writes to the terminal: theme, filters, driver, key names, shadow.

One idea, split from tui/app.py: everything between the screens and the terminal's bytes.

- the ANSI theme, and under NO_COLOR (or `colour = "none"`) the `station-mono` theme with
  reverse-video focus (tui/theme.py);
- `--ascii` / `TERM=linux`: the ASCII glyph filter (tui/widgets/glyphs.py);
- the driver that reads the size from the terminal even when stdout is piped (tui/terminal.py);
- the terminal shadow that lets the compositor write only changed cells (tui/widgets/wire.py),
  forgotten when the terminal changes size or anything else draws;
- short key names for the footer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import RenderableType
from textual import events
from textual._compositor import CompositorUpdate
from textual.app import App
from textual.driver import Driver
from textual.filter import LineFilter, NoColor
from textual.screen import Screen

from tui import keymap
from tui.config import Config
from tui.theme import MONO_THEME_NAME, THEME_NAME, station_theme
from tui.widgets.glyphs import AsciiGlyphs
from tui.widgets.wire import DiffChopsUpdate, ShadowLayoutUpdate, background_erase, shadow_for


class TerminalOutput(App[None]):
    """The output side of `StationApp` (a mixin; the app calls `setup_output()` once)."""

    config: Config
    _glyph_filters: list[LineFilter]

    def setup_output(self) -> None:
        """Themes, colour and glyph filters, app classes (-mono, -ascii) from the config."""
        self.register_theme(station_theme())
        self.register_theme(station_theme(mono=True))
        if self.config.colour == "none" and not self.no_color:
            # `colour = "none"` in the config means the same as NO_COLOR in the environment.
            self.no_color = True
            self._filters.append(NoColor())
        self.theme = MONO_THEME_NAME if self.no_color else THEME_NAME
        if self.no_color:
            self.add_class("-mono")
        self._glyph_filters = [AsciiGlyphs()] if self.config.ascii_borders else []
        shadow_for(self).bce = background_erase()
        if self.config.ascii_borders:
            self.add_class("-ascii")

    def watch_terminal(self) -> None:
        """Forget what the terminal shows when the app is suspended or resumed (call on mount).

        Whatever ran meanwhile (Ctrl+Z and a shell, `App.suspend()`) drew on the terminal, so the
        repaint after resuming must write every cell.
        """
        self.app_suspend_signal.subscribe(self, self._forget_terminal, immediate=True)
        self.app_resume_signal.subscribe(self, self._forget_terminal, immediate=True)

    def _forget_terminal(self, _app: object = None) -> None:
        shadow_for(self).forget()

    def get_driver_class(self) -> type[Driver]:
        """On POSIX terminals, the driver that reads the size from the terminal (tui/terminal.py)."""
        driver = super().get_driver_class()
        if driver.__module__ == "textual.drivers.linux_driver" and driver.__name__ == "LinuxDriver":
            from tui.terminal import StationDriver

            return StationDriver
        return driver

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        """Forget what the terminal shows when something other than our compositor draws.

        The station's compositor writes only changed cells (tui/widgets/wire.py); that is right
        only while it knows the terminal's content.
        """
        if isinstance(renderable, CompositorUpdate) and not isinstance(
            renderable, ShadowLayoutUpdate | DiffChopsUpdate
        ):
            shadow_for(self).forget()
        super()._display(screen, renderable)

    def on_resize(self, event: events.Resize) -> None:
        # A terminal that changed size may have reflowed or cleared what it showed.
        shadow_for(self).resized((event.size.width, event.size.height))

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters (NO_COLOR) plus ASCII glyphs in `--ascii` / `TERM=linux` mode."""
        return [*super().get_line_filters(), *self._glyph_filters]

    def get_key_display(self, binding: Any) -> str:
        """Short Chinese-terminal friendly key names, following remapped keys."""
        if binding.key_display:
            return str(binding.key_display)
        return keymap.key_display(binding.key)
