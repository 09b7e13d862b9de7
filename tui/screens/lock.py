"""The lock screen (idle or Ctrl+L) and the draft-restore prompt.

The lock is a modal pushed over whatever screen is open, so a half-typed form stays intact
underneath and is back exactly as it was after unlocking. Only the same operator unlocks (their
password, checked with the same lockout as login); anyone else quits or the operator logs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from tui import messages as M
from tui.host import host
from tui.widgets.compact import CompactInput, CompactModal, FieldRow, ProblemList

if TYPE_CHECKING:
    from offline.business import Operator


class LockScreen(CompactModal[None]):
    """Covers the whole screen (nothing of the form underneath is readable while locked)."""

    AUTO_FOCUS = "#lock-password"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "noop", show=False, id="lock.escape", priority=True),
    ]
    DEFAULT_CSS = """
    LockScreen { align: center middle; background: ansi_default; }
    LockScreen #lock-box { width: 64; height: auto; padding: 0 1; }
    """

    @dataclass
    class Checked(Message):
        ok: bool
        error: str

    def __init__(self, operator: Operator, *, idle_minutes: int = 0) -> None:
        super().__init__()
        self.operator = operator
        self.idle_minutes = idle_minutes

    def compose(self) -> ComposeResult:
        body = (
            M.LOCK_IDLE_BODY.format(minutes=self.idle_minutes)
            if self.idle_minutes
            else M.LOCK_BODY.format(real_name=self.operator.real_name, username=self.operator.username)
        )
        with Vertical(id="lock-box", classes="panel") as box:
            box.border_title = M.LOCK_TITLE
            yield Static(body, markup=False)
            yield FieldRow(M.LOGIN_PASSWORD, CompactInput(id="lock-password", password=True, max_length=128))
            yield ProblemList(id="lock-problems")
            yield Static(M.LOCK_SWITCH_HINT, classes="hint", markup=False)

    def action_noop(self) -> None:
        """Esc does not leave the lock screen."""

    @on(Input.Submitted, "#lock-password")
    def _submit(self, event: Input.Submitted) -> None:
        if event.value:
            self._check(event.value)

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def _check(self, password: str) -> None:
        from offline.errors import AuthError
        from tui import adapters

        app = host(self.app)
        try:
            adapters.authenticate(app.services, self.operator.username, password)
        except AuthError as exc:
            self.post_message(self.Checked(False, exc.message_zh))
            return
        except Exception as exc:
            self.post_message(self.Checked(False, str(exc)))
            return
        self.post_message(self.Checked(True, ""))

    def on_lock_screen_checked(self, message: Checked) -> None:
        field = self.query_one("#lock-password", Input)
        field.value = ""
        if not message.ok:
            self.query_one(ProblemList).show([M.LOCK_WRONG.format(reason=message.error)])
            field.focus()
            return
        app = host(self.app)
        self.dismiss()
        app.unlocked()


class DraftPrompt(CompactModal[bool]):
    """ "有未完成的表单，是否恢复？" — Y restores (opens the form), N discards the drafts."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", M.DRAFT_RESTORE, id="drafts.restore"),
        Binding("n", "answer(False)", M.DRAFT_DISCARD, id="drafts.discard"),
    ]
    DEFAULT_CSS = """
    DraftPrompt { align: center middle; }
    DraftPrompt #draft-box { width: 64; height: auto; padding: 0 1; }
    """

    def __init__(self, drafts: list[tuple[str, str]]) -> None:
        super().__init__()
        self.drafts = drafts

    def compose(self) -> ComposeResult:
        from offline.items import ITEMS_BY_CODE

        lines = []
        for form, at in self.drafts[:8]:
            code = form.split(":")[0].split(".")[0]
            name = ITEMS_BY_CODE[code].name_zh if code in ITEMS_BY_CODE else form
            lines.append(M.DRAFT_LINE.format(form=name, at=at[:16].replace("T", " ")))
        with Vertical(id="draft-box", classes="panel") as box:
            box.border_title = M.DRAFT_TITLE
            yield Static("\n".join(lines), markup=False)
            yield Static(M.DRAFT_HINT, classes="hint", markup=False)

    def action_answer(self, restore: bool) -> None:
        app = host(self.app)
        self.dismiss(restore)
        app.drafts_decided(restore)
