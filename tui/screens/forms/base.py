"""The form screen every service item uses: fields as data, inline validation, drafts, submit.

Why one base: the 18 items differ in their fields and in the service they call, not in how
an operator works a form. Here, once:
- compact one-line fields (tui/widgets/compact.py) so a keystroke or Tab repaints little;
- inline validation on blur and on submit: each `Problem` under its field as
  "规则 R-ID-3：… 修改方法：…";
- Enter moves to the next field (submits on the last), Ctrl+S submits, Esc goes back,
  asking first when the form is not empty (the draft stays anyway);
- draft autosave, debounced ~1 s, in a thread worker, never PIN fields (R-PIN-6); restored
  when the form opens, discarded after a committed business;
- submit runs the service in a thread worker (SQLite and card work never on the event loop)
  and either switches to the receipt screen ("已办理，受理编号 …") or shows "未办理：…" with
  the problems — nothing written (one business = one transaction).
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalGroup, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Select, Static

from offline.business import BusinessResult, ServiceContext
from offline.errors import DomainError, Problem
from offline.protocols import CardError
from tui.screens.forms import messages as M
from tui.screens.forms.fields import Data, Field, basic_problems, draft_data, options_for, problem_text
from tui.screens.forms.host import host
from tui.widgets.compact import (
    CompactButton,
    CompactInput,
    CompactModal,
    CompactScreen,
    CompactSelect,
    FieldRow,
)
from tui.widgets.footer import StationFooter
from tui.widgets.form_field import FlagBox

DRAFT_DELAY_S = 1.0


class ConfirmLeave(CompactModal[bool]):
    """ "表单已填写内容，确定返回吗？" — Y leaves, N/Esc stays."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "返回", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "继续填写", id="confirm.no"),
    ]
    DEFAULT_CSS = """
    ConfirmLeave { align: center middle; }
    ConfirmLeave > Static { width: 60; height: auto; padding: 1 2; background: ansi_default;
                            border: ascii ansi_yellow; }
    """

    def compose(self) -> ComposeResult:
        yield Static(f"{M.CONFIRM_LEAVE}\n\n{M.CONFIRM_YES}   {M.CONFIRM_NO}")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class FormScreen(CompactScreen[None]):
    """Base of every business form. Subclasses set the class attributes and `submit()`."""

    FORM_ID: ClassVar[str] = "form"
    ITEM: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    FIELDS: ClassVar[tuple[Field, ...]] = ()
    NEEDS_CARD: ClassVar[bool] = False
    HINT: ClassVar[str] = ""

    DEFAULT_CSS = """
    FormScreen { layout: vertical; background: ansi_default; }
    FormScreen > #form-title { height: 1; text-style: bold; color: ansi_default; }
    FormScreen > #form-status { height: auto; max-height: 3; color: ansi_default; }
    FormScreen > #form-status.-bad { color: ansi_red; }
    FormScreen > #form-status.-good { color: ansi_green; }
    FormScreen > #form-body { height: 1fr; scrollbar-size-vertical: 1; }
    FormScreen .form-section { height: 1; color: ansi_cyan; text-style: bold; }
    FormScreen .field-problem { height: auto; color: ansi_red; padding-left: 13; }
    FormScreen .field-problem.-empty { display: none; }
    FormScreen #form-general { height: auto; color: ansi_red; }
    FormScreen #form-general.-empty { display: none; }
    FormScreen #form-result { height: auto; }
    FormScreen #form-result.-empty { display: none; }
    FormScreen > #form-buttons { height: 1; }
    """

    class Done(Message):
        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    class Refused(Message):
        def __init__(self, problems: list[Problem], reason: str) -> None:
            super().__init__()
            self.problems = problems
            self.reason = reason

    class DraftLoaded(Message):
        def __init__(self, data: Data | None, note: str = "") -> None:
            super().__init__()
            self.data = data
            self.note = note

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Screen bindings with ids prefixed by the form id, so `[keys]` can remap them."""
        # Set before Textual's own __init_subclass__, which merges the class's BINDINGS.
        cls.BINDINGS = [
            Binding("ctrl+s", "submit", M.KEY_SUBMIT, id=f"{cls.FORM_ID}.submit", priority=True),
            Binding("escape", "back", M.KEY_BACK, id=f"{cls.FORM_ID}.back"),
            *getattr(cls, "EXTRA_BINDINGS", ()),
        ]
        super().__init_subclass__(**kwargs)

    def __init__(self, *, prefill: Data | None = None, restore_draft: bool = True) -> None:
        super().__init__(id="form-" + self.FORM_ID.replace(".", "-"))
        self.prefill = dict(prefill or {})
        self.restore_draft = restore_draft
        self.touched: set[str] = set()
        self.busy = False
        self._draft_timer: Any = None
        self._loading = False
        self.last_result: BusinessResult | None = None
        self._cache: dict[str, Widget] = {}
        self._problem_texts: dict[str, str] = {}
        self._service_problems: dict[str, list[Problem]] = {}

    # ----------------------------------------------------------------- layout

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
            profile = getattr(getattr(self.app, "services", None), "profile", None)
            options = options_for(f, profile)
            value = f.default if f.default in {code for _, code in options} else Select.NULL
            return CompactSelect(options, prompt=M.SELECT_PROMPT, id=wid, value=value)
        if f.kind == "flag":
            return FlagBox(f.label, f.default == "1", id=wid)
        placeholder = f.placeholder or (M.DATE_PLACEHOLDER if f.kind == "date" else "")
        restrict = f.restrict
        max_length = f.max_length
        if f.kind == "date":
            restrict, max_length = restrict or r"[0-9-]*", max_length or 10
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

    def on_mount(self) -> None:
        if self.prefill:
            self.fill(self.prefill)
        self._update_visibility()
        first = self._first_field()
        if first is not None:
            first.focus()
        if self.restore_draft and not self.prefill:
            self._load_draft()

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

    # ----------------------------------------------------------------- validation

    def validate(self, data: Data) -> list[Problem]:
        """Required/date checks plus the form's own (`extra_problems`), all at once."""
        problems = basic_problems(self.FIELDS, data)
        keys = {p.field for p in problems}
        problems.extend(p for p in self.extra_problems(data) if p.field not in keys)
        return self.in_form_order(problems)

    def in_form_order(self, problems: list[Problem]) -> list[Problem]:
        """Problems in the order the fields appear (the first one is where the cursor goes)."""
        order = {f.key: i for i, f in enumerate(self.FIELDS)}
        return sorted(problems, key=lambda p: order.get(p.field, len(order)))

    def extra_problems(self, data: Data) -> list[Problem]:
        """Form-specific validation through `offline.validation` (override; must be cheap)."""
        return []

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

    def _show_field_problems(self, key: str, problems: list[Problem]) -> None:
        text = "\n".join(problem_text(p) for p in problems)
        if self._problem_texts.get(key, "") == text:
            return  # unchanged: no repaint
        self._problem_texts[key] = text
        line = cast(Static, self._node(f"#p-{key}"))
        line.update(text)
        line.set_class(not text, "-empty")

    def _announce_problems(self, problems: list[Problem]) -> None:
        """Say "未办理" with the first problem, and put the cursor on that field (scrolls to it)."""
        problems = self.in_form_order(problems)
        first = problems[0]
        label = first.label or next((f.label for f in self.FIELDS if f.key == first.field), first.field)
        self.set_status(
            M.NOT_DONE_PROBLEMS.format(
                count=len(problems), label=label, message=first.message, rule=first.rule
            ),
            "bad",
        )
        keys = {f.key for f in self.FIELDS if f.visible(self.values())}
        for p in problems:
            if p.field in keys:
                self.field_widget(p.field).focus()
                break

    def set_status(self, text: str, kind: str = "") -> None:
        status = self.query_one("#form-status", Static)
        status.update(text)
        status.set_class(kind == "bad", "-bad")
        status.set_class(kind == "good", "-good")

    # ----------------------------------------------------------------- events

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _changed(self, event: Message) -> None:
        if self._loading or self.busy or self.last_result is not None:
            return  # restoring, submitting, or already committed: nothing to save
        control = getattr(event, "control", None)
        key = (getattr(control, "id", None) or "")[2:]
        self._service_problems.pop(key, None)  # the operator is fixing it: the service's word is stale
        self._update_visibility()
        self._schedule_draft()

    @on(Input.Blurred)
    def _blurred(self, event: Input.Blurred) -> None:
        key = (event.input.id or "")[2:]
        self.touched.add(key)
        problems = self.validate(self.values())
        fields = {p.field for p in problems}
        for field, kept in self._service_problems.items():
            if field not in fields:
                problems.extend(kept)  # what the service refused stays shown until the field changes
        self.show_problems(problems, only_touched=True)

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        data = self.values()
        visible = [f for f in self.FIELDS if f.visible(data)]
        key = (event.input.id or "")[2:]
        idx = next((i for i, f in enumerate(visible) if f.key == key), -1)
        if idx == len(visible) - 1:
            self.action_submit()
        else:
            self.focus_next()

    @on(CompactButton.Pressed, "#form-submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(CompactButton.Pressed, "#form-back")
    def _back_pressed(self) -> None:
        self.action_back()

    # ----------------------------------------------------------------- drafts

    def _schedule_draft(self) -> None:
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DELAY_S, self._save_draft_now)

    def _save_draft_now(self) -> None:
        self._draft_timer = None
        op = host(self.app).operator
        if op is None or self.last_result is not None:
            return
        self._draft_worker(op.id, draft_data(self.FIELDS, self.values()))

    @work(thread=True, exclusive=True, group="form-draft")
    def _draft_worker(self, operator_id: int, data: Data) -> None:
        try:
            from offline.drafts import save_draft
        except ImportError:
            return
        save_draft(host(self.app).services.store, operator_id, self.FORM_ID, data)

    @work(thread=True, exclusive=True, group="form-draft-load")
    def _load_draft(self) -> None:
        op = host(self.app).operator
        if op is None:
            return
        try:
            from offline.drafts import load_draft
        except ImportError:
            self.post_message(self.DraftLoaded(None, M.DRAFT_UNAVAILABLE))
            return
        self.post_message(self.DraftLoaded(load_draft(host(self.app).services.store, op.id, self.FORM_ID)))

    @on(DraftLoaded)
    def _draft_loaded(self, message: DraftLoaded) -> None:
        if message.data:
            self.fill(message.data)
            self.set_status(M.DRAFT_RESTORED.format(when="草稿"), "good")
        elif message.note:
            self.set_status(message.note)

    def flush_draft(self) -> None:
        """Save now (e.g. before the app exits) instead of waiting for the debounce."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._save_draft_now()

    # ----------------------------------------------------------------- submit

    def action_submit(self) -> None:
        if self.busy:
            return
        data = self.values()
        self.touched.update(f.key for f in self.FIELDS)
        problems = self.validate(data)
        self.show_problems(problems)
        if problems:
            self._announce_problems(problems)
            return
        self.busy = True
        self.set_status(M.SUBMITTING)
        self._submit_worker(data)

    @work(thread=True, exclusive=True, group="form-submit")
    def _submit_worker(self, data: Data) -> None:
        try:
            ctx = host(self.app).make_ctx(with_card=self.needs_card(data))
            result = self.submit(ctx, data)
        except DomainError as exc:
            self.post_message(self.Refused(list(exc.problems), ""))
            return
        except CardError as exc:
            self.post_message(self.Refused([], M.CARD_FAILED.format(message=exc.message_zh)))
            return
        except ImportError as exc:
            self.post_message(self.Refused([], M.SERVICE_MISSING.format(path=exc.name or str(exc))))
            return
        except Exception as exc:  # shown, never swallowed: the operator must know nothing was done
            message = getattr(exc, "message_zh", None) or M.UNEXPECTED.format(error=exc)
            self.post_message(self.Refused([], str(message)))
            return
        try:
            from offline.drafts import discard_draft

            op = host(self.app).operator
            if op is not None:
                discard_draft(host(self.app).services.store, op.id, self.FORM_ID)
        except ImportError:
            pass
        self.post_message(self.Done(result))

    def needs_card(self, data: Data) -> bool:
        """Whether this submission works on the chip (asks the reader for the card)."""
        return self.NEEDS_CARD

    def submit(self, ctx: ServiceContext, data: Data) -> Any:
        """Call the service (runs in a thread worker); a BusinessResult goes to the receipt screen."""
        raise NotImplementedError

    def show_result(self, result: Any) -> None:
        """Show a read-only answer (not a committed business) below the fields."""
        lines = getattr(result, "lines", None)
        text = "\n".join(str(x) for x in lines) if isinstance(lines, list | tuple) else str(result)
        box = self.query_one("#form-result", Static)
        box.update(text)
        box.set_class(not text, "-empty")
        self.set_status(M.QUERY_DONE, "good")

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        self.busy = False
        if message.problems:
            self._service_problems = {}
            for p in message.problems:
                self._service_problems.setdefault(p.field, []).append(p)
            self.show_problems(message.problems)
            self._announce_problems(message.problems)
        else:
            self.set_status(M.NOT_DONE.format(reason=message.reason), "bad")

    @on(Done)
    def _done(self, message: Done) -> None:
        self.busy = False
        if not isinstance(message.result, BusinessResult):
            self.show_result(message.result)  # read-only items (query) answer in place
            return
        self.last_result = message.result
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        from tui.screens.receipt import ReceiptScreen

        self.app.switch_screen(ReceiptScreen(message.result, title=self.TITLE))

    # ----------------------------------------------------------------- leaving

    def action_back(self) -> None:
        if self.form_is_empty():
            self.dismiss()
            return
        self.flush_draft()

        def answered(leave: bool | None) -> None:
            if leave:
                self.dismiss()

        self.app.push_screen(ConfirmLeave(), answered)


def _sid(section: str) -> str:
    """A CSS-safe id for a Chinese section title."""
    return "s" + "".join(f"{ord(c):x}" for c in section)
