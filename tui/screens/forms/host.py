"""What the business screens need from the app, as a Protocol, plus service-call helpers.

The shell's `tui.app.StationApp` satisfies `HostApp` (tui/context.py contract: `services`,
`operator`, `make_ctx`). Typing against the Protocol keeps the screens independent of the
shell's module and lets tests host a screen in a minimal app.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol, cast

from textual.app import App

from offline.business import Operator, ServiceContext


class HostApp(Protocol):
    services: Any
    operator: Operator | None

    def make_ctx(self, *, with_card: bool = False) -> ServiceContext: ...


def host(app: App[Any]) -> HostApp:
    return cast(HostApp, app)


def make_input(cls: type[Any], values: dict[str, Any]) -> Any:
    """Build a service input dataclass from the values it declares, ignoring the others.

    Forms collect more keys than some inputs take (e.g. display-only fields); filtering on
    the dataclass's own fields keeps a form working when a service adds or drops an optional
    field. A missing required field still raises TypeError, naming it.
    """
    if dataclasses.is_dataclass(cls):
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in values.items() if k in names}
    return cls(**values)


def service(path: str) -> Any:
    """Resolve 'module:function' (offline/services/registry.py style) at call time."""
    from offline.services.registry import resolve

    return resolve(path)


def input_class(path: str) -> type[Any]:
    """Resolve 'module:Class' of a service input dataclass."""
    return cast(type[Any], service(path))
