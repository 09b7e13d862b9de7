"""The one typed way for a screen or widget to reach its app: `host(self.app)`.

Textual types `self.app` as `App[Any]`; the station's screens need its services, operator and
`make_ctx()`. Casting in one helper (posting's `cast("Posting", self.app)`) keeps every screen
typed against the real `StationApp` — no `getattr(self.app, "services")`, no `app: Any` — while
the import stays type-only, so a screen module does not import the shell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from textual.app import App

    from tui.app import StationApp


def host(app: App[Any]) -> StationApp:
    """`app` as the station app (every screen of this package runs inside one)."""
    return cast("StationApp", app)
