"""Every field a service's input dataclass takes is reachable from its screen (R-APP-1, R-ID-4, R-ID-5).

Why this test exists: a service once required a proof of guardianship (R-ID-5) and a unit letter
(R-ID-4) that no form could supply, so children could not be enrolled from the screen at all.
Checking one form by hand finds one gap; this test finds the class.

How: every `FormScreen` subclass is submitted with its fields filled (text, dates, every flag
ticked) once per option of each small select (so each branch of a form — proxy channel, death
as the reason, exchange instead of replacement — is taken), with the service replaced by a
recorder. Each dataclass the form built is walked recursively; a field counts as reached when
some submission gave it a value other than its default. Every `*Input` dataclass of
`offline.services` must be built by some form, or be listed in NOT_FROM_A_FORM with the surface
that fills it; every field must be reached, or be listed in FILLED_ELSEWHERE with why.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import types
from typing import Any

import pytest

import offline.services
import tui.screens.forms
from offline import codes
from tui.screens.forms.base import FormScreen
from tui.screens.forms.fields import Field, options_for

#: A valid GB 11643 number (an adult, so guardian/agent checks that read it do not refuse).
VALID_ID = "110101199003070016"

#: Input dataclasses no form builds, and the surface that does.
NOT_FROM_A_FORM: dict[str, str] = {
    "UnitCollectInput": "单位代领 on the stock screen's unit action (tui/screens/stock.py)",
}

#: (class, field) filled by something other than a typed field, and by what.
FILLED_ELSEWHERE: dict[tuple[str, str], str] = {
    ("ApplicationInput", "photo_adjusted"): "set by the service when it crops/re-encodes the photo",
    ("ApplicationInput", "batch_ref"): "the batch import's row identity (cardstation apply --file)",
    ("ApplicationInput", "override_by"): "the supervisor's freeze override dialog (R-FRZ-3)",
    ("BankChangeInput", "doc_scans"): "the document scanner",
    ("ExchangeInput", "doc_scans"): "the document scanner",
    ("ReplaceInput", "doc_scans"): "the document scanner",
    ("KeyInfoChangeInput", "doc_scans"): "the document scanner",
    ("KeyInfoChangeInput", "channel"): "a key-information change is made at the window (HB 25)",
    ("ExchangeInput", "channel"): "补换领 at the window; other channels file a new application",
    ("ReplaceInput", "channel"): "补换领 at the window; other channels file a new application",
    ("IssueInput", "delivery_run_id"): "the door-to-door delivery screen (tui/screens/delivery.py)",
    ("ReceiveInput", "source"): "'shipment' when the sign-in is pre-filled from the card_shipped downlink",
    **{
        ("ArrivingCard", f): "pre-filled from the card_shipped downlink (stock.shipped_cards); typed sign-in"
        " gives only the numbers"
        for f in ("ssn", "card_id_code", "bank", "issue_date", "expiry_date")
    },
}


def _form_classes() -> list[type[FormScreen]]:
    for info in pkgutil.iter_modules(tui.screens.forms.__path__):
        importlib.import_module(f"tui.screens.forms.{info.name}")
    seen: list[type[FormScreen]] = []
    stack = list(FormScreen.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.FIELDS and "submit" in {n for c in cls.__mro__ if c is not FormScreen for n in vars(c)}:
            seen.append(cls)
    return sorted(seen, key=lambda c: c.FORM_ID)


def _service_inputs() -> set[str]:
    names: set[str] = set()
    for info in pkgutil.iter_modules(offline.services.__path__):
        module = importlib.import_module(f"offline.services.{info.name}")
        for name, obj in vars(module).items():
            if (
                name.endswith("Input")
                and inspect.isclass(obj)
                and dataclasses.is_dataclass(obj)
                and obj.__module__ == module.__name__
            ):
                names.add(name)
    return names


class _Profile:
    banks = ("中国工商银行", "中国农业银行")
    cartoon_age = 16
    household_register_max_age = 16


def _options(field: Field) -> list[str]:
    return [code for _label, code in options_for(field, _Profile()) if code]  # type: ignore[arg-type]


def _value(field: Field) -> str:
    if field.kind == "flag":
        return "1"
    if field.kind == "date":
        return "2020-01-01"
    if field.kind == "select":
        opts = _options(field)
        return field.default or (opts[0] if opts else "x")
    if field.kind == "pin":
        return "135792"
    key = field.key
    if "ssn" in key or "doc_number" in key:
        return VALID_ID
    if key == "card_number":
        return "A00000017"
    if key == "card_numbers":
        return "A00000017"
    if key == "new_region":
        return "430100"
    return "x"


def _scenarios(cls: type[FormScreen]) -> list[dict[str, str]]:
    """Every pair of choices (each small select's options, each flag on and off) over a full form."""
    base = {f.key: _value(f) for f in cls.FIELDS}
    choices: list[list[tuple[str, str]]] = []
    for f in cls.FIELDS:
        if f.kind == "flag":
            choices.append([(f.key, "1"), (f.key, "")])
        elif f.kind == "select" and 1 < len(_options(f)) <= 12:
            choices.append([(f.key, o) for o in _options(f)])
    out = [base]
    for i, first in enumerate(choices):
        for j in range(i, len(choices)):
            for k1, v1 in first:
                for k2, v2 in choices[j]:
                    out.append({**base, k1: v1, k2: v2})
    return out


def _walk(obj: Any, reached: dict[str, set[str]], built: set[str]) -> None:
    if isinstance(obj, tuple | list):
        for item in obj:
            _walk(item, reached, built)
        return
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        return
    name = type(obj).__name__
    built.add(name)
    bucket = reached.setdefault(name, set())
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        default = f.default if f.default is not dataclasses.MISSING else None
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        if isinstance(value, bool) and default is None:
            if value:  # a required flag is reached when the form can tick it
                bucket.add(f.name)
        elif value not in (None, "", (), b"") and value != default:
            bucket.add(f.name)
        _walk(value, reached, built)


#: The context a form's submit sees here: no card in the reader, no store (services are recorded).
NO_CTX = types.SimpleNamespace(card=None, store=None)


def _submit_all(monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, set[str]], set[str], dict[str, set[str]]]:
    captured: list[Any] = []

    def recorder(path: str) -> Any:
        return lambda ctx, *args, **kw: captured.extend([*args, *kw.values()])

    fixed: dict[str, Any] = {
        "service": recorder,
        "card_id_for": lambda ctx, number: 7,
        "person_id_for": lambda ctx, ssn: 11,
        "card_number_of": lambda ctx, data: data.get("card_number", "") or "A00000017",
        "read_photo": lambda data: b"\xff\xd8jpeg" if data.get("photo_path") else None,
        "read_doc_images": lambda data: (b"front", b"back") if data.get("doc_front_path") else (),
    }
    for info in pkgutil.iter_modules(tui.screens.forms.__path__):
        module = importlib.import_module(f"tui.screens.forms.{info.name}")
        for name, fn in fixed.items():
            if hasattr(module, name):
                monkeypatch.setattr(module, name, fn)
    # The forms call their services as functions of the service modules: every function of
    # offline.services that takes the context first is replaced by a recorder of its input.
    import inspect

    import offline.services

    for info in pkgutil.iter_modules(offline.services.__path__):
        service_module = importlib.import_module(f"offline.services.{info.name}")
        for name, fn in vars(service_module).items():
            if inspect.isfunction(fn) and fn.__module__ == service_module.__name__:
                params = list(inspect.signature(fn).parameters)
                if params[:1] == ["ctx"]:
                    monkeypatch.setattr(service_module, name, recorder(name))
    # Cards in hand (R-HLD-1/2) are adopted before the business: not this test's subject.
    monkeypatch.setattr("offline.services.persons.find_person_by_ssn", lambda store, ssn: object())
    monkeypatch.setattr("tui.screens.forms.common.adopt_card_in_reader", lambda ctx, **kw: None)
    for form in _form_classes():  # forms that hold their service as a class attribute (PIN items)
        if "SERVICE" in vars(form):
            monkeypatch.setattr(form, "SERVICE", staticmethod(recorder(form.__name__)))
    reached: dict[str, set[str]] = {}
    built: set[str] = set()
    by_form: dict[str, set[str]] = {}
    for cls in _form_classes():
        screen = cls.__new__(cls)
        for data in _scenarios(cls):
            captured.clear()
            try:
                screen.submit(NO_CTX, data)  # type: ignore[arg-type]
            except Exception as exc:  # a form that cannot even build its input is a gap too
                raise AssertionError(
                    f"{cls.__name__} with {data} failed to build its input: {exc!r}"
                ) from exc
            forms_built: set[str] = set()
            _walk(captured, reached, forms_built)
            built |= forms_built
            by_form.setdefault(cls.FORM_ID, set()).update(forms_built)
    return reached, built, by_form


def test_every_service_input_is_built_by_a_form_R_APP_1(monkeypatch: pytest.MonkeyPatch) -> None:
    _reached, built, _ = _submit_all(monkeypatch)
    missing = sorted(_service_inputs() - built - set(NOT_FROM_A_FORM))
    assert not missing, f"service inputs no screen builds: {missing}"


def test_every_input_field_is_reachable_on_its_screen_R_ID_4_R_ID_5(monkeypatch: pytest.MonkeyPatch) -> None:
    reached, built, _ = _submit_all(monkeypatch)
    gaps: list[str] = []
    for cls_name in sorted(built):
        cls = _class_named(cls_name)
        for f in dataclasses.fields(cls):
            if f.name in reached.get(cls_name, set()) or (cls_name, f.name) in FILLED_ELSEWHERE:
                continue
            gaps.append(f"{cls_name}.{f.name}")
    assert not gaps, f"fields no screen can fill: {gaps}"


def test_exemptions_are_still_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exemption for a field a form now fills, or that no longer exists, is stale."""
    reached, _built, _ = _submit_all(monkeypatch)
    stale = [
        f"{c}.{f}"
        for (c, f) in FILLED_ELSEWHERE
        if f in reached.get(c, set()) or f not in {x.name for x in dataclasses.fields(_class_named(c))}
    ]
    assert not stale, f"stale exemptions: {stale}"


def test_guardian_proof_and_unit_letter_reach_the_validator_R_ID_5_R_ID_4() -> None:
    from tui.screens.forms.person_fields import person_input

    data = {
        "name": "张小明",
        "doc_type": codes.DOC_HOUSEHOLD_REGISTER,
        "doc_number": VALID_ID,
        "channel": "proxy_unit",
        "unit_name": "某某小学",
        "no_full_capacity": "1",
        "guardian_name": "张大明",
        "guardian_doc_type": "resident_id",
        "guardian_doc_number": VALID_ID,
        "guardian_relation": "parent",
        "guardian_proof": "birth_certificate",
        "agent_name": "李老师",
        "agent_doc_type": "resident_id",
        "agent_doc_number": VALID_ID,
        "agent_proof": "介绍信 2026-01",
        "doc_valid_from": "2020-01-01",
    }
    person = person_input(data, photo=None)
    assert person.guardian.proof == "出生医学证明"
    assert person.agent.proof == "介绍信 2026-01" and person.agent.relation == "unit"
    assert person.full_capacity is False
    assert person.doc_valid_from == ""  # a 户口簿 has no validity dates (R-ID-1)


def _class_named(name: str) -> type[Any]:
    for info in pkgutil.iter_modules(offline.services.__path__):
        module = importlib.import_module(f"offline.services.{info.name}")
        if hasattr(module, name):
            obj = getattr(module, name)
            if inspect.isclass(obj):
                return obj
    module = importlib.import_module("offline.validation")
    return getattr(module, name)  # type: ignore[no-any-return]
