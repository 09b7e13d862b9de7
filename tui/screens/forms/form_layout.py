"""Turning `Field` declarations into compact one-line widgets, and widget values back into data.

The layout half of the form screen (`base.FormScreen` adds validation, drafts and submit):
a title, a status line, one `FieldRow` per field with a problem line under it (hidden while
empty), section headers, and the submit/back buttons. Widget lookups are cached and problem
lines repaint only when their text changes, because a county clerk pays for every byte.
"""

from __future__ import annotations

from typing import ClassVar, cast

from textual.app import ComposeResult
from textual.containers import HorizontalGroup, VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Select, Static

from offline.errors import Problem
from tui.host import host
from tui.screens.forms import messages as M
from tui.screens.forms.fields import (
    NORMALISED_INPUT,
    NORMALISED_MAX_LENGTH,
    Data,
    Field,
    norm_kind,
    normalise_value,
    options_for,
    problem_text,
)
from tui.widgets.compact import CompactButton, CompactInput, CompactScreen, CompactSelect, FieldRow
from tui.widgets.footer import StationFooter
from tui.widgets.form_field import FlagBox


class FieldsScreen(CompactScreen[None]):
    """A screen made of declared fields; subclasses set TITLE, HINT and FIELDS."""

    TITLE: ClassVar[str] = ""
    FIELDS: ClassVar[tuple[Field, ...]] = ()
    HINT: ClassVar[str] = ""

    DEFAULT_CSS = """
    FieldsScreen { layout: vertical; background: ansi_default; }
    FieldsScreen > #form-title { height: 1; text-style: bold; color: ansi_default; }
    FieldsScreen > #form-status { height: auto; max-height: 3; color: ansi_default; }
    FieldsScreen > #form-status.-bad { color: ansi_red; }
    FieldsScreen > #form-status.-good { color: ansi_green; }
    FieldsScreen > #form-body { height: 1fr; scrollbar-size-vertical: 1; }
    FieldsScreen .form-section { height: 1; color: ansi_cyan; text-style: bold; }
    FieldsScreen .field-problem { height: auto; color: ansi_red; padding-left: 13; }
    FieldsScreen .field-problem.-empty { display: none; }
    FieldsScreen .field-problem.-note { color: ansi_green; }
    FieldsScreen #form-general { height: auto; color: ansi_red; }
    FieldsScreen #form-general.-empty { display: none; }
    FieldsScreen #form-result { height: auto; }
    FieldsScreen #form-result.-empty { display: none; }
    FieldsScreen > #form-buttons { height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._loading = False
        self.touched: set[str] = set()  # fields the operator has left once: their problems show
        self._cache: dict[str, Widget] = {}
        self._problem_texts: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static(self.TITLE, id="form-title")
        yield Static(self.HINT, id="form-status")
        with VerticalScroll(id="form-body", can_focus=False):
            shown_sections: set[str] = set()
            for f in self.FIELDS:
                if f.section and f.section not in shown_sections:
                    shown_sections.add(f.section)
                    yield Static(f"── {f.section} ──", classes="form-section", id=f"sec-{_sid(f.section)}")
                # A flag carries its (often long) label itself; the label column stays empty.
                label = "" if f.kind == "flag" else f.label
                yield FieldRow(label, self._widget_for(f), required=f.required, id=f"row-{f.key}")
                yield Static("", classes="field-problem -empty", id=f"p-{f.key}")
            yield Static("", id="form-general", classes="-empty")
            yield Static("", id="form-result", classes="-empty", markup=False)
        with HorizontalGroup(id="form-buttons"):
            yield CompactButton(f"{M.SUBMIT}(^S)", id="form-submit", variant="primary")
            yield CompactButton(f"{M.BACK}(Esc)", id="form-back")
        yield StationFooter()

    def _widget_for(self, f: Field) -> Widget:
        wid = f"f-{f.key}"
        if f.kind == "select":
            profile = host(self.app).services.profile
            options = options_for(f, profile)
            value = f.default if f.default in {code for _, code in options} else Select.NULL
            return CompactSelect(options, prompt=M.SELECT_PROMPT, id=wid, value=value)
        if f.kind == "flag":
            return FlagBox(f.label, f.default == "1", id=wid)
        placeholder = f.placeholder or (M.DATE_PLACEHOLDER if f.kind == "date" else "")
        restrict = f.restrict
        max_length = f.max_length
        norm = norm_kind(f)
        if norm in NORMALISED_INPUT:  # accept what people write; the normaliser brings it to standard
            restrict = NORMALISED_INPUT[norm]
            max_length = max(max_length, NORMALISED_MAX_LENGTH.get(norm, 0))
        elif f.kind == "pin":
            restrict, max_length, placeholder = r"[0-9]*", 6, placeholder or M.PIN_PLACEHOLDER
        elif f.kind == "number":
            restrict = restrict or r"[0-9]*"
        return CompactInput(
            f.default,
            placeholder=placeholder,
            id=wid,
            max_length=max_length,
            restrict=restrict,
            password=f.kind == "pin",
        )

    # ----------------------------------------------------------------- values

    def field_widget(self, key: str) -> Widget:
        w = self._cache.get(f"#f-{key}")
        if w is None:
            w = self._cache[f"#f-{key}"] = self.query_one(f"#f-{key}")
        return w

    def _node(self, selector: str) -> Widget:
        """query_one, remembered: a keystroke must not walk the DOM dozens of times."""
        w = self._cache.get(selector)
        if w is None:
            w = self._cache[selector] = self.query_one(selector)
        return w

    def values(self) -> Data:
        """Current values as strings: selects give their code ('' when blank), flags '1'/''."""
        data: Data = {}
        for f in self.FIELDS:
            w = self.field_widget(f.key)
            if isinstance(w, Select):
                v = w.value
                data[f.key] = "" if v is Select.NULL or v is None else str(v)
            elif isinstance(w, Checkbox):
                data[f.key] = "1" if w.value else ""
            elif isinstance(w, Input):
                data[f.key] = w.value
        return data

    def fill(self, data: Data, *, secrets: bool = False) -> None:
        """Put values into the widgets (draft restore, prefill); PIN fields only when `secrets`."""
        self._loading = True
        try:
            for f in self.FIELDS:
                if f.key not in data or (f.secret and not secrets):
                    continue
                w = self.field_widget(f.key)
                value = data[f.key]
                if isinstance(w, Select):
                    codes = {code for _, code in w._options if code is not Select.NULL}
                    w.value = value if value in codes else Select.NULL
                elif isinstance(w, Checkbox):
                    w.value = value == "1"
                elif isinstance(w, Input):
                    w.value = value
        finally:
            self._loading = False
        self._update_visibility()

    def form_is_empty(self) -> bool:
        defaults = {f.key: f.default for f in self.FIELDS}
        return all(v == defaults.get(k, "") for k, v in self.values().items())

    def _first_field(self) -> Widget | None:
        data = self.values()
        for f in self.FIELDS:
            if f.visible(data):
                return self.field_widget(f.key)
        return None

    def _update_visibility(self) -> None:
        data = self.values()
        sections: dict[str, bool] = {}
        for f in self.FIELDS:
            shown = f.visible(data)
            row = self._node(f"#row-{f.key}")
            if row.display != shown:
                row.display = shown
            if not shown:
                self._show_field_problems(f.key, [])
            if f.section:
                sections[f.section] = sections.get(f.section, False) or shown
        for section, shown in sections.items():
            header = self._node(f"#sec-{_sid(section)}")
            if header.display != shown:
                header.display = shown

    def show_problems(self, problems: list[Problem], *, only_touched: bool = False) -> None:
        by_field: dict[str, list[Problem]] = {}
        general: list[Problem] = []
        keys = {f.key for f in self.FIELDS}
        for p in problems:
            if p.field in keys:
                by_field.setdefault(p.field, []).append(p)
            else:
                general.append(p)
        for f in self.FIELDS:
            if only_touched and f.key not in self.touched:
                continue
            self._show_field_problems(f.key, by_field.get(f.key, []))
        if not only_touched:
            g = self.query_one("#form-general", Static)
            text = "\n".join(f"【{p.label or p.field}】{problem_text(p)}" for p in general)
            g.update(text)
            g.set_class(not text, "-empty")

    def _show_field_problems(self, key: str, problems: list[Problem], note: str = "") -> None:
        """The field's problems (red) or, when there are none, what was understood (green)."""
        text = "\n".join(problem_text(p) for p in problems) or note
        if self._problem_texts.get(key, "") == text:
            return  # unchanged: no repaint
        self._problem_texts[key] = text
        line = cast(Static, self._node(f"#p-{key}"))
        line.update(text)
        line.set_class(not text, "-empty")
        line.set_class(bool(text) and not problems, "-note")

    def normalise_field(self, key: str) -> str:
        """Put the standard form of what was typed into the field (2020.1.1 -> 2020-01-01,
        138-1234-5678 -> 13812345678) and return what to show ("已识别为：…"), '' if nothing."""
        f = next((x for x in self.FIELDS if x.key == key), None)
        w = self.field_widget(key) if f is not None else None
        if f is None or not isinstance(w, Input):
            return ""
        n = normalise_value(f, w.value)
        if n is None or not n.ok or not n.shown:
            return ""
        if w.value != n.value:
            w.value = n.value
        return str(n.note)

    def normalise_all(self) -> None:
        """Every visible field in standard form (before a submit typed without leaving a field)."""
        data = self.values()
        for f in self.FIELDS:
            if f.visible(data) and norm_kind(f):
                note = self.normalise_field(f.key)
                if note:
                    self._show_field_problems(f.key, [], note)

    def set_status(self, text: str, kind: str = "") -> None:
        status = self.query_one("#form-status", Static)
        status.update(text)
        status.set_class(kind == "bad", "-bad")
        status.set_class(kind == "good", "-good")


def _sid(section: str) -> str:
    """A CSS-safe id for a Chinese section title."""
    return "s" + "".join(f"{ord(c):x}" for c in section)
