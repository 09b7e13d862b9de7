"""Form fields declared as data: key, Chinese label, kind, code table, when shown.

A form is a tuple of `Field`s; `tui.screens.forms.base.FormScreen` turns them into compact
one-line widgets, collects their values as `dict[str, str]`, validates, autosaves drafts
(never PIN fields, R-PIN-6) and restores them. Keeping the declaration free of widgets makes
the forms short, reviewable and testable without an app.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

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
    normaliser: str = ""  # offline.validation.normalise kind; '' = derived (see norm_kind)

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


def _same(k: str, label: str, code: str) -> bool:
    return k in (label, code)


def _starts(k: str, label: str, _code: str) -> bool:
    return label.startswith(k)


def _inside(k: str, label: str, _code: str) -> bool:
    return k in label


def choose_typed(
    field: Field, options: Sequence[tuple[str, str]], typed: str, banks: Sequence[str] = ()
) -> Any:
    """The option meant by what was typed into a closed select (`Normalised`: value = code).

    A field whose table has a normaliser (banks, peoples, document types, occupations,
    relations, ...) takes every name and alias that normaliser knows ("工行", "汉", "身份证",
    "5-01"); any other table takes a label or code, or a unique start or part of a label.
    Not understood: the problem names the valid choices.
    """
    from offline.validation.norm_codes import CODE_KINDS, key_of
    from offline.validation.norm_text import Normalised
    from offline.validation.normalise import normalise

    label_of = {code: label for label, code in options}
    kind: str = (
        "bank"
        if field.codes == "banks"
        else next((k for k, (table, _) in CODE_KINDS.items() if table is field.codes), "")
    )
    known = normalise(kind, typed, banks=banks) if kind else None
    if known is not None and known.ok and known.value in label_of:
        return Normalised(known.value, label_of[known.value])
    k = key_of(typed)  # a start or part of a label: "工" is on its way to "工行"
    found: list[str] = []
    for test in (_same, _starts, _inside):
        found = [code for lab, code in options if test(k, key_of(lab), key_of(code))]
        if len(found) == 1:
            return Normalised(found[0], label_of[found[0]])
        if found:
            break
    if known is not None and not known.ok and not found:
        return known  # the normaliser's own words name the closest choices
    choices = [label_of[c] for c in found] if found else [lab for lab, _ in options]
    return Normalised(
        typed,
        problem=M.TYPED_NOT_UNDERSTOOD.format(
            value=typed.strip(), label=field.label, choices="、".join(choices[:8])
        ),
        fix=M.TYPED_FIX,
    )


#: What the keyboard may type into a field with a normaliser: the forms people write
#: (2020.1.1, 2020年1月1日, 长期, +86 138-1234-5678, (027)87654321, full-width digits).
NORMALISED_INPUT: dict[str, str] = {
    "date": r"[0-9０-９\-./／．年月日 ]*",
    "open_date": r"[0-9０-９\-./／．年月日长期有效永久 ]*",
    "phone": r"[0-9０-９+＋\-－()（） 转]*",
}
NORMALISED_MAX_LENGTH = {"date": 16, "open_date": 16}


def norm_kind(field: Field) -> str:
    """The normaliser of a field: declared, else by kind and key (dates, '…_valid_to' open-ended,
    phones, document numbers), so every form gets it without repeating it in each declaration."""
    if field.normaliser:
        return field.normaliser
    if field.kind == "date":
        return "open_date" if field.key.endswith("valid_to") else "date"
    if field.kind != "text":
        return ""
    if field.key == "phone" or field.key.endswith("_phone"):
        return "phone"
    if field.key.endswith("doc_number"):
        return "id_number"
    if field.key == "name" or (field.key.endswith("_name") and not field.key.startswith("unit")):
        return "name"
    return ""


def normalise_value(field: Field, value: str) -> Any:
    """`offline.validation.normalise.Normalised` of a field's value, or None when it has no normaliser."""
    kind = norm_kind(field)
    if not kind or not value.strip():
        return None
    from offline.validation.normalise import normalise

    return normalise(kind, value)


def problem_text(problem: Problem) -> str:
    """'规则 R-ID-3：… 修改方法：…' — what the operator reads under a field."""
    return M.PROBLEM_LINE.format(rule=problem.rule, message=problem.message, fix=problem.fix)


def is_id_field(f: Field) -> bool:
    """A field holding an ID number: the holder's, an agent's, heir's, collector's, guardian's ..."""
    return f.kind == "text" and (f.key == "ssn" or f.key.endswith("_ssn") or f.key.endswith("doc_number"))


def id_field_problems(f: Field, data: Data) -> list[Problem]:
    """R-ID-3 (GB 11643) on an ID field, judged by its document-type field when the form has one."""
    from offline.validation import id_number_problems

    type_key = f.key[: -len("doc_number")] + "doc_type" if f.key.endswith("doc_number") else ""
    doc_type = data.get(type_key, "") if type_key in data else ("resident_id" if "ssn" in f.key else "")
    found = id_number_problems(data.get(f.key, ""), field=f.key, doc_type=doc_type)
    return [Problem(f.key, p.rule, p.message, p.fix, f.label) for p in found]


_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def date_problem(f: Field, value: str) -> Problem | None:
    """None for a real day; "no such date" for 2023-02-30, a format hint for anything else."""
    m = _ISO_DAY.match(value)
    if m is None:
        return Problem(f.key, "R-APP-1", M.BAD_DATE, M.BAD_DATE_FIX, f.label)
    y, mo, d = (int(x) for x in m.groups())
    try:
        date(y, mo, d)
    except ValueError:
        if not 1 <= mo <= 12:
            return Problem(f.key, "R-APP-1", M.NO_SUCH_MONTH.format(month=mo), M.BAD_DATE_FIX, f.label)
        return Problem(
            f.key, "R-APP-1", M.NO_SUCH_DAY.format(year=y, month=mo, day=d), M.NO_SUCH_DAY_FIX, f.label
        )
    return None


def basic_problems(fields: Sequence[Field], data: Data) -> list[Problem]:
    """Required, date and ID-number checks every form gets for free (R-APP-1, R-ID-3)."""
    out: list[Problem] = []
    for f in fields:
        if not f.visible(data):
            continue
        value = data.get(f.key, "").strip()
        if f.required and not value and f.kind != "flag":
            out.append(Problem(f.key, "R-APP-1", M.REQUIRED, M.REQUIRED_FIX.format(label=f.label), f.label))
        elif value:
            n = normalise_value(f, value)
            iso = f.kind == "date" and _ISO_DAY.match(value) is not None
            problem = date_problem(f, value) if iso and (n is None or not n.ok) else None
            if problem is not None:  # "没有这一天：2023 年 2 月没有 30 日" names the day
                out.append(problem)
            elif n is not None and not n.ok:
                out.append(Problem(f.key, "R-APP-1", n.problem, n.fix, f.label))
            elif is_id_field(f):
                out.extend(id_field_problems(f, data))
    return out


#: Never in a draft: the customer's 签字确认 (HB 13, 39) is given for the business being done now;
#: a restored draft (often another day) must be signed again, on the pad where one is configured.
SIGNED = "signed"


def draft_data(fields: Sequence[Field], data: Data) -> Data:
    """What may be saved as a draft: everything typed except PIN fields (R-PIN-6) and the signature."""
    secret = {f.key for f in fields if f.secret} | {SIGNED}
    return {k: v for k, v in data.items() if k not in secret and "pin" not in k.lower()}


def flag(data: Data, key: str) -> bool:
    return data.get(key, "") == "1"


def opt_date(value: str) -> date | None:
    """A typed date in any accepted form (2020.1.1 …), None when empty or not a date."""
    if not value:
        return None
    from offline.validation.norm_dates import normalise_date

    n = normalise_date(value)
    return date.fromisoformat(n.value) if n.ok and n.value else None
