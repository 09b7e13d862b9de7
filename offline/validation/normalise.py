"""Normalisers: what a person typed or brought, turned into the standard value before validation.

Why a separate step: the validators (`person`, `documents`, `contact` …) check *standard* values —
ISO dates, codes, 11-digit mobiles. People write 2020.1.1, 138-1234-5678, 农民, 父亲, 农行. Each
normaliser returns a `Normalised`: the standard value and what was understood (shown to the
operator after leaving a field, and in the batch report), or a Chinese explanation that names the
closest valid choices ("您是不是要填：…"). The same normalisers run in every entry point: the
forms, the batch import and the services (`normalise_person` is applied by `validate_person` and
`apply_card`), so a value accepted at the window is accepted in a spreadsheet and vice versa.

Split by kind: `norm_text` (width folding), `norm_dates`, `norm_phones`, `norm_codes` (the code
tables and their alias files under `offline/data/`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from offline.errors import Problem
from offline.validation import messages as m
from offline.validation.norm_codes import CODE_KINDS, normalise_bank, normalise_code
from offline.validation.norm_dates import normalise_date
from offline.validation.norm_phones import normalise_phone
from offline.validation.norm_text import Normalised, normalise_id_number, normalise_name, normalise_text

if TYPE_CHECKING:
    from offline.validation.person import PersonInput, RepresentativeInput

__all__ = [
    "CODE_KINDS",
    "Normalised",
    "normalise",
    "normalise_bank",
    "normalise_code",
    "normalise_date",
    "normalise_id_number",
    "normalise_name",
    "normalise_person",
    "normalise_phone",
    "normalise_text",
]

#: Field kinds a form or a batch column can ask for.
KINDS = ("date", "open_date", "phone", "id_number", "name", "text", "bank", *CODE_KINDS)


def normalise(kind: str, value: str, *, banks: Sequence[str] = ()) -> Normalised:
    """Dispatch on the field kind ('date', 'open_date', 'phone', 'id_number', 'bank', 'sex' …)."""
    if kind == "date":
        return normalise_date(value)
    if kind == "open_date":
        return normalise_date(value, open_end=True)
    if kind == "phone":
        return normalise_phone(value)
    if kind == "id_number":
        return normalise_id_number(value)
    if kind == "name":
        return normalise_name(value)
    if kind == "bank":
        return normalise_bank(value, banks)
    if kind in CODE_KINDS:
        return normalise_code(kind, value)
    return normalise_text(value)


#: PersonInput field -> normaliser kind.
PERSON_KINDS: dict[str, str] = {
    "sex": "sex",
    "ethnicity": "ethnicity",
    "nationality": "nationality",
    "birth_date": "date",
    "occupation": "occupation",
    "doc_type": "doc_type",
    "doc_valid_from": "date",
    "doc_valid_to": "open_date",
    "phone": "phone",
    "household_address": "text",
    "residence_address": "text",
    "mailing_address": "text",
    "name": "name",
    "bank": "bank",
}
REP_KINDS: dict[str, str] = {"doc_type": "doc_type", "relation": "relation", "name": "name"}


def _apply(
    obj: object, kinds: dict[str, str], prefix: str, banks: Sequence[str]
) -> tuple[dict[str, str], list[Problem]]:
    changes: dict[str, str] = {}
    problems: list[Problem] = []
    for name, kind in kinds.items():
        raw = getattr(obj, name)
        if not isinstance(raw, str) or not raw.strip():
            continue
        n = normalise(kind, raw, banks=banks)
        if n.ok:
            if n.value != raw:
                changes[name] = n.value
        else:
            key = f"{prefix}.{name}" if prefix else name
            rule = "R-ID-1" if name == "doc_type" else "R-APP-4" if name == "bank" else "R-APP-1"
            problems.append(m.problem(key, rule, n.problem, n.fix or m.FIX_PICK))
    number = getattr(obj, "doc_number", "")
    if isinstance(number, str) and number.strip():
        folded = normalise_id_number(number).value
        if folded != number:
            changes["doc_number"] = folded
    return changes, problems


def normalise_person(p: PersonInput, *, banks: Sequence[str] = ()) -> tuple[PersonInput, list[Problem]]:
    """The person with every understood field in its standard form, and what was not understood.

    A field that is not understood keeps what was typed (nothing is lost) and gets a Problem
    naming the closest valid choices; the validator then skips its own message for that field.
    """
    changes, problems = _apply(p, PERSON_KINDS, "", banks)
    reps: dict[str, RepresentativeInput] = {}
    for role in ("guardian", "agent"):
        rep = getattr(p, role)
        if rep is None:
            continue
        rep_changes, rep_problems = _apply(rep, REP_KINDS, role, banks)
        problems += rep_problems
        if rep_changes:
            reps[role] = dataclasses.replace(rep, **rep_changes)
    if changes or reps:
        p = dataclasses.replace(p, **changes, **reps)  # type: ignore[arg-type]
    return p, problems


def merge_problems(pre: list[Problem], found: Sequence[Problem]) -> list[Problem]:
    """Normaliser problems first; a validator's message on the same field would only repeat it."""
    fields = {x.field for x in pre}
    return [*pre, *(x for x in found if x.field not in fields)]
