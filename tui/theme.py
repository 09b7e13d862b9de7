"""The station theme: ANSI colours only, so the terminal's own palette is used.

Why ANSI: a colour written as an ANSI index costs 5 bytes on the wire against 19 for a truecolor
sequence, works the same at 16 and 256 colours, and keeps the terminal user's contrast settings.
`NO_COLOR` (or `colour = "none"` in the config) is honoured by Textual's colour filter, and
the app then uses the `station-mono` variant of this theme, which marks focus and cursors with
reverse video: without colour, a blue focus background is nothing at all.

Every colour in the station's stylesheets (`tui/app.tcss`, `tui/styles/*.tcss`) is one of these
variables: `$primary` (focus, borders), `$secondary` (section titles, keys), `$error`,
`$success`, `$warning`, `$foreground`/`$background` (the terminal's own), plus the station's
`$focus-foreground`, `$focus-background`, `$focus-text-style`, `$status-foreground`,
`$status-background` and `$option-foreground` (dropdown options, apart from field values).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.theme import Theme

THEME_NAME = "station-ansi"
MONO_THEME_NAME = "station-mono"


def station_theme(*, mono: bool = False) -> Theme:
    """ANSI-only dark theme, tuned so focus moves change as few cells as possible.

    `mono=True`: the NO_COLOR variant (same colours, which the filter drops, and reverse video
    for the focused field and every cursor).
    """
    from textual.theme import Theme

    marked = "bold reverse" if mono else "bold"
    return Theme(
        name=MONO_THEME_NAME if mono else THEME_NAME,
        ansi=True,
        primary="ansi_blue",
        secondary="ansi_cyan",
        warning="ansi_yellow",
        error="ansi_red",
        success="ansi_green",
        accent="ansi_cyan",
        foreground="ansi_default",
        background="ansi_default",
        surface="ansi_default",
        panel="ansi_default",
        boost="ansi_default",
        dark=True,
        variables={
            "ansi-background": "ansi_black",
            "ansi-foreground": "ansi_white",
            "border": "ansi_blue",
            "border-blurred": "ansi_default",
            "block-cursor-foreground": "ansi_bright_white",
            "block-cursor-background": "ansi_blue",
            "block-cursor-blurred-background": "ansi_default",
            "block-cursor-blurred-foreground": "ansi_default",
            "block-cursor-text-style": marked,
            "block-cursor-blurred-text-style": "none",
            "block-hover-background": "ansi_default",
            "input-cursor-background": "ansi_white",
            "input-cursor-foreground": "ansi_black",
            "input-cursor-text-style": "none",
            "input-selection-background": "ansi_bright_blue",
            "input-selection-foreground": "ansi_black",
            "screen-selection-background": "ansi_bright_blue",
            "screen-selection-foreground": "ansi_black",
            "footer-background": "ansi_default",
            "footer-foreground": "ansi_default",
            "footer-key-foreground": "ansi_cyan",
            "footer-key-background": "ansi_default",
            "footer-description-foreground": "ansi_default",
            "footer-description-background": "ansi_default",
            "footer-item-background": "ansi_default",
            "scrollbar": "ansi_default",
            "scrollbar-hover": "ansi_default",
            "scrollbar-active": "ansi_default",
            "scrollbar-background": "ansi_default",
            "scrollbar-background-hover": "ansi_default",
            "scrollbar-background-active": "ansi_default",
            "scrollbar-corner-color": "ansi_default",
            "focus-foreground": "ansi_bright_white",
            "focus-background": "ansi_blue",
            "focus-text-style": marked,
            "status-foreground": "ansi_bright_white",
            "status-background": "ansi_blue",
            "option-foreground": "ansi_cyan",
        },
    )
