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
  the problems — nothing written (one business = one transaction);
- a form with a 签字 box (field `signed`) reads the signature pad where one is configured
  (`signature_dir`): Ctrl+G takes the newest image saved after the form opened
  (`offline.signatures`), ticks the box, and the business keeps and prints it (HB 11, 13, 39).

The widget layout lives in `form_layout.FieldsScreen`, the leave question in `confirm.py`.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Checkbox, Input, Select, Static

from offline.business import BusinessResult, ServiceContext
from offline.errors import CardstationError, DomainError, Problem
from offline.protocols import CardError
from offline.signatures import Signature
from tui.host import host
from tui.screens.forms import messages as M
from tui.screens.forms.confirm import ConfirmLeave
from tui.screens.forms.fields import Data, basic_problems, choose_typed, draft_data, options_for
from tui.screens.forms.form_layout import FieldsScreen
from tui.widgets.compact import (
    CompactButton,
    CompactSelect,
)

DRAFT_DELAY_S = 1.0


class FormScreen(FieldsScreen):
    """Base of every business form. Subclasses set the class attributes and `submit()`."""

    FORM_ID: ClassVar[str] = "form"
    ITEM: ClassVar[str] = ""
    NEEDS_CARD: ClassVar[bool] = False
    #: Read-only forms (queries) keep no draft: there is nothing to lose, only prompts to answer.
    KEEPS_DRAFT: ClassVar[bool] = True

    class Done(Message):
        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    class Refused(Message):
        def __init__(self, problems: list[Problem], reason: str) -> None:
            super().__init__()
            self.problems = problems
            self.reason = reason

    class PhotoChecked(Message):
        """What the photo named in 'photo_path' became (R-APP-2: "照片已自动调整：原 … → …")."""

        def __init__(self, path: str, note: str, problems: list[Problem]) -> None:
            super().__init__()
            self.path = path
            self.note = note
            self.problems = problems

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
            Binding(
                "ctrl+g", "read_signature", M.KEY_SIGNATURE, id=f"{cls.FORM_ID}.signature", priority=True
            ),
            *getattr(cls, "EXTRA_BINDINGS", ()),
        ]
        super().__init_subclass__(**kwargs)

    def __init__(self, *, prefill: Data | None = None, restore_draft: bool = True) -> None:
        super().__init__(id="form-" + self.FORM_ID.replace(".", "-"))
        self.prefill = dict(prefill or {})
        self.restore_draft = restore_draft
        self.busy = False
        self.submit_tried = False
        self._draft_timer: Any = None
        self.last_result: BusinessResult | None = None
        self._service_problems: dict[str, list[Problem]] = {}
        self._typed_notes: dict[str, str] = {}  # select key -> "已识别为：…" of a typed choice
        self.opened_at = time.time()  # the pad's images saved after this are this customer's

    #: The signature pad's image read on this form (None: the ticked 签字 box and the paper form).
    signature: Signature | None = None

    def on_mount(self) -> None:
        if self.prefill:
            self.fill(self.prefill)
        self._update_visibility()
        first = self._first_field()
        if first is not None:
            first.focus()
        if self.restore_draft and not self.prefill and self.KEEPS_DRAFT:
            self._load_draft()

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
        if key in self._typed_notes:
            self._show_field_problems(key, [], self._typed_notes.pop(key))  # chosen by typing: say what
        elif self._problem_texts.get(key) and not isinstance(control, Input):
            # A select or box chosen after a refused submit: its stale "此项必填" goes at once
            # (typed fields are re-checked when left, so typing is not interrupted).
            self._show_field_problems(key, [p for p in self.validate(self.values()) if p.field == key])
        self._update_visibility()
        self._schedule_draft()

    @on(CompactSelect.Typed)
    def _typed_into_select(self, event: CompactSelect.Typed) -> None:
        """A name typed into a closed select picks the option it means, and says so (R-APP-1)."""
        key = (event.select.id or "")[2:]
        f = next((x for x in self.FIELDS if x.key == key), None)
        if f is None:
            return
        profile = host(self.app).services.profile
        n = choose_typed(f, options_for(f, profile), event.text, profile.banks)
        if not n.ok:
            self._show_field_problems(key, [Problem(key, "R-APP-1", n.problem, n.fix, f.label)])
            return
        if event.select.value != n.value:
            self._typed_notes[key] = n.note  # shown when its Select.Changed arrives (drafts, visibility)
            event.select.value = n.value
        else:
            self._show_field_problems(key, [], n.note)

    @on(Input.Blurred)
    def _blurred(self, event: Input.Blurred) -> None:
        """Check the field just left, and only it (its line repaints; the others stay as they are).

        An empty field passed over is not an error yet: "此项必填" waits for the first submit,
        which means less noise for the clerk and no problem line pushing the form down on
        every Tab over SSH. What the service refused stays shown until the field changes.
        """
        key = (event.input.id or "")[2:]
        self.touched.add(key)
        note = self.normalise_field(key)  # 2020.1.1 -> 2020-01-01, shown as "已识别为：…"
        data = self.values()
        problems = [p for p in self.validate(data) if p.field == key]
        if not data.get(key, "").strip() and not self.submit_tried:
            problems = []
        self._show_field_problems(key, problems or self._service_problems.get(key, []), note)
        if key == "photo_path" and data.get(key, "").strip() and not problems:
            self._check_photo(data[key].strip())

    @work(thread=True, exclusive=True, group="form-photo")
    def _check_photo(self, path: str) -> None:
        """Read (safely) and fix the photo off the event loop; say what it was and what it became."""
        from offline.files import PHOTO_CAP, FileRefused, read_capped
        from offline.validation.photo_fix import fix_photo

        try:
            fixed = fix_photo(read_capped(path, cap=PHOTO_CAP, what="照片"))
        except FileRefused as exc:
            problem = Problem("photo_path", "R-APP-2", exc.message_zh, M.PHOTO_FIX, "照片文件")
            self.post_message(self.PhotoChecked(path, "", [problem]))
            return
        problems = [
            Problem("photo_path", p.rule, p.message, p.fix, p.label or "照片文件") for p in fixed.problems
        ]
        note = fixed.note or (M.PHOTO_OK.format(before=fixed.before) if fixed.data else "")
        self.post_message(self.PhotoChecked(path, note, problems))

    @on(PhotoChecked)
    def _photo_checked(self, message: PhotoChecked) -> None:
        if self.values().get("photo_path", "").strip() != message.path:
            return  # the operator has typed another path since
        self._show_field_problems("photo_path", message.problems, message.note)

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

    def typed_data(self, data: Data) -> Data:
        """What the operator typed: values that are neither a field's default nor the prefill."""
        defaults = {f.key: f.default for f in self.FIELDS}
        return {
            k: v
            for k, v in draft_data(self.FIELDS, data).items()
            if v.strip() and v != defaults.get(k, "") and v != self.prefill.get(k)
        }

    def _save_draft_now(self) -> None:
        self._draft_timer = None
        if self.busy:  # a submit is running: save after it, unless it commits (then no draft)
            self._schedule_draft()
            return
        op = host(self.app).operator
        if op is None or self.last_result is not None or self.busy:
            return  # while a submit runs, its commit decides: the draft goes with it or stays
        typed = self.typed_data(self.values()) if self.KEEPS_DRAFT else {}
        self._draft_worker(op.id, typed)

    @work(thread=True, exclusive=True, group="form-draft")
    def _draft_worker(self, operator_id: int, data: Data) -> None:
        """Save what was typed; a form with nothing typed keeps no draft (no empty restore prompts)."""
        from offline.drafts import discard_draft, save_draft

        store = host(self.app).services.store
        if data:
            save_draft(store, operator_id, self.FORM_ID, data)
        else:
            discard_draft(store, operator_id, self.FORM_ID)

    @work(thread=True, exclusive=True, group="form-draft-load")
    def _load_draft(self) -> None:
        op = host(self.app).operator
        if op is None:
            return
        from offline.drafts import load_draft

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
        self.normalise_all()
        data = self.values()
        self.submit_tried = True
        self.touched.update(f.key for f in self.FIELDS)
        problems = self.validate(data)
        self.show_problems(problems)
        if problems:
            self._announce_problems(problems)
            return
        self.busy = True
        if self._draft_timer is not None:
            # A draft save still pending from the last keystrokes would land after the commit
            # discarded the draft and bring it back; a refusal schedules it again.
            self._draft_timer.stop()
            self._draft_timer = None
        self.set_status(M.SUBMITTING)
        self._submit_worker(data)

    @work(thread=True, exclusive=True, group="form-submit")
    def _submit_worker(self, data: Data) -> None:
        try:
            ctx = host(self.app).make_ctx(with_card=self.needs_card(data))
            if self.signature is not None:  # kept with the business the service commits
                ctx = dataclasses.replace(ctx, signature=self.signature)
            result = self.submit(ctx, data)
        except DomainError as exc:
            committed = getattr(exc, "result", None)
            if not isinstance(committed, BusinessResult):
                self.post_message(self.Refused(list(exc.problems), ""))
                return
            # Something WAS done (e.g. the card went back for re-production, R-ISS-3): never
            # say "未办理"; show that business and its slip like any other.
            result = committed
        except CardError as exc:
            self.post_message(self.Refused([], M.CARD_FAILED.format(message=exc.message_zh)))
            return
        except Exception as exc:  # shown, never swallowed: the operator must know nothing was done
            message = exc.message_zh if isinstance(exc, CardstationError) else M.UNEXPECTED.format(error=exc)
            self.post_message(self.Refused([], str(message)))
            return
        from offline.drafts import discard_draft

        op = host(self.app).operator
        if op is not None:
            discard_draft(host(self.app).services.store, op.id, self.FORM_ID)
        self.post_message(self.Done(result))

    # ----------------------------------------------------------------- signature pad

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """读取签名 exists on forms with a 签字 box where a pad is configured (`signature_dir`)."""
        if action == "read_signature":
            return bool(host(self.app).config.signature_dir) and any(f.key == "signed" for f in self.FIELDS)
        return super().check_action(action, parameters)

    def action_read_signature(self) -> None:
        if not self.check_action("read_signature", ()):
            return
        self.set_status(M.SIGNATURE_READING)
        self._signature_worker(Path(host(self.app).config.signature_dir).expanduser())

    @work(thread=True, exclusive=True, group="form-signature")
    def _signature_worker(self, folder: Path) -> None:
        from offline.signatures import SignatureError, newest_signature

        try:
            found: Signature | str = newest_signature(folder, self.opened_at)
        except SignatureError as exc:
            found = exc.message_zh
        self.app.call_from_thread(self._signature_read, found)

    def _signature_read(self, found: Signature | str) -> None:
        if isinstance(found, str):
            self.set_status(found, "bad")
            return
        self.signature = found
        self.fill({"signed": "1"})  # the pad's image is the customer's 签字确认
        self.set_status(M.SIGNATURE_READ.format(text=found.text), "good")

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
        self._schedule_draft()  # nothing was committed: keep what was typed as a draft
        keys = {f.key for f in self.FIELDS}
        message.problems = [  # a service's 'heir.doc_number' is this form's 'heir_doc_number'
            dataclasses.replace(p, field=p.field.replace(".", "_"))
            if p.field not in keys and p.field.replace(".", "_") in keys
            else p
            for p in message.problems
        ]
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
