"""Form fields declared as data: key, Chinese label, kind, code table, when shown.

A form is a tuple of `Field`s; `tui.screens.forms.base.FormScreen` turns them into compact
one-line widgets, collects their values as `dict[str, str]`, validates, autosaves drafts
(never PIN fields, R-PIN-6) and restores them. Keeping the declaration free of widgets makes
the forms short, reviewable and testable without an app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from offline.errors import Problem
from offline.profiles import Profile
from tui.screens.forms import messages as M

Kind = Literal["text", "date", "select", "flag", "pin", "number"]
Data = dict[str, str]


@dataclass(frozen=True)
class Field:
    """One input of a form.

    - `codes`: for selects, the table code → Chinese name (`offline.codes.SEX`, a service's own
      table such as `cancellation.REASONS`, or a literal mapping), or 'banks' for the profile's
      cooperating banks.
    - `show_if`: the field (and its section header) is shown only when this returns True for
      the current values, e.g. the guardian block only for a minor (R-ID-5).
    - PIN fields (`kind='pin'`) are masked and never put in a draft (R-PIN-6).
    """

    key: str
    label: str
    kind: Kind = "text"
    codes: Mapping[str, str] | Literal["banks"] | None = None
    required: bool = False
    placeholder: str = ""
    section: str = ""
    max_length: int = 0
    restrict: str | None = None
    show_if: Callable[[Data], bool] | None = None
    default: str = ""

    @property
    def secret(self) -> bool:
        return self.kind == "pin" or "pin" in self.key.lower()

    def visible(self, data: Data) -> bool:
        return self.show_if is None or bool(self.show_if(data))


def options_for(field: Field, profile: Profile | None = None) -> list[tuple[str, str]]:
    """(Chinese label, code) pairs for a select field, in the table's order."""
    if field.codes == "banks":
        return [(b, b) for b in (profile.banks if profile is not None else ())]
    if field.codes is None:
        return []
    return [(str(name), str(code)) for code, name in field.codes.items()]


def problem_text(problem: Problem) -> str:
    """'规则 R-ID-3：… 修改方法：…' — what the operator reads under a field."""
    return M.PROBLEM_LINE.format(rule=problem.rule, message=problem.message, fix=problem.fix)


def basic_problems(fields: Sequence[Field], data: Data) -> list[Problem]:
    """Required and date-format checks every form gets for free (R-APP-1 completeness)."""
    out: list[Problem] = []
    for f in fields:
        if not f.visible(data):
            continue
        value = data.get(f.key, "").strip()
        if f.required and not value and f.kind != "flag":
            out.append(Problem(f.key, "R-APP-1", M.REQUIRED, M.REQUIRED_FIX.format(label=f.label), f.label))
        elif f.kind == "date" and value:
            try:
                date.fromisoformat(value)
            except ValueError:
                out.append(Problem(f.key, "R-APP-1", M.BAD_DATE, M.BAD_DATE_FIX, f.label))
    return out


def draft_data(fields: Sequence[Field], data: Data) -> Data:
    """What may be saved as a draft: everything typed except PIN fields (R-PIN-6)."""
    secret = {f.key for f in fields if f.secret}
    return {k: v for k, v in data.items() if k not in secret and "pin" not in k.lower()}


def flag(data: Data, key: str) -> bool:
    return data.get(key, "") == "1"


def opt_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
