"""Building a service's input dataclass from what a form collected."""

from __future__ import annotations

import dataclasses
from typing import Any


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
