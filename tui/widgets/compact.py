"""Compact, low-repaint form widgets every screen uses (bandwidth: county staff on 64 kbit/s SSH).

Why these and not the stock ones: stock Input/Select/Button draw a 3-line tall border that is
repainted on every focus change, blink the cursor twice a second (≈1.7 KB/s idle over SSH), and
tint the whole widget on focus. These variants are one line high, never blink, have no border,
and mark focus with a single-line style change, so a keystroke repaints one line and a Tab
repaints two.

Sizes and borders are in each class's DEFAULT_CSS (so a widget keeps its one-line shape
anywhere); colours and focus marks are theme variables in tui/styles/widgets.tcss.

Public API (the business screens build forms with these):

- `CompactInput(value="", *, placeholder="", id=None, max_length=0, restrict=None, password=False,
  validators=None, classes=None)` — one-line Input.
- `CompactSelect(options, *, prompt="请选择", value=..., allow_blank=True, id=None)` — one-line Select.
- `CompactButton(label, *, id=None, variant="default")` — one-line Button.
- `CompactCheckbox(label, value=False, *, id=None)` — one-line Checkbox.
- `FieldRow(label, field, *, required=False, id=None)` — "label: [field]" on one line, label
  column of fixed width so Chinese labels align.
- `CompactScreen` / `CompactModal` — Screen / ModalScreen bases whose focus change does not repaint
  the whole screen (stock Screen.focused is a repainting reactive: every Tab rewrote all 24 lines,
  ~2.5 KB at 80x24). Business screens should inherit from these.
- `ProblemList(id=None)` — shows a DomainError's problems inline (field label, message, rule id,
  fix); `show(problems)` / `clear()`; repaints only when the text changes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any, cast

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.message import Message
from textual.reactive import Reactive
from textual.screen import ModalScreen, ScreenResultType
from textual.validation import Validator
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from offline.errors import CardstationError, DomainError
from tui.widgets.frames import OneFrameScreen


class CompactInput(Input):
    """One-line input: no border, no blink, focus shown by a one-line style."""

    DEFAULT_CSS = """
    CompactInput {
        height: 1;
        width: 1fr;
        border: none;
        padding: 0;
        &:focus { border: none; }
        &.-invalid { border: none; }
        &.-invalid:focus { border: none; }
    }
    """

    def __init__(
        self,
        value: str = "",
        *,
        placeholder: str = "",
        id: str | None = None,
        classes: str | None = None,
        max_length: int = 0,
        restrict: str | None = None,
        password: bool = False,
        validators: Validator | Iterable[Validator] | None = None,
        type: str = "text",
        disabled: bool = False,
    ) -> None:
        super().__init__(
            value,
            placeholder=placeholder,
            id=id,
            classes=classes,
            max_length=max_length,
            restrict=restrict,
            password=password,
            validators=validators,
            type=type,  # type: ignore[arg-type]
            compact=True,
            select_on_focus=False,
            disabled=disabled,
            valid_empty=True,
        )
        self.cursor_blink = False


class CompactSelect(Select[Any]):
    """One-line select (type to search); the overlay opens only on Enter/Space/↓.

    Typed text while the list is closed is collected and reported (`Typed`), so the form can
    pick the option people mean by the name they use ("工行", "汉", "身份证") and say what it
    understood — a clerk who knows the answer should not have to scroll a list of 56 peoples.
    The text starts afresh after a pause or when the field is left.
    """

    #: A pause longer than this starts a new typed text.
    TYPED_PAUSE_S = 2.0

    class Typed(Message):
        """The operator typed `text` into a closed select."""

        def __init__(self, select: CompactSelect, text: str) -> None:
            super().__init__()
            self.select = select
            self.text = text

        @property
        def control(self) -> CompactSelect:
            return self.select

    DEFAULT_CSS = """
    CompactSelect {
        height: 1;
        width: 1fr;
        & > SelectCurrent { border: none; padding: 0; height: 1; }
        & > SelectCurrent:ansi { border: none; }
        &:focus > SelectCurrent { border: none; }
        &:focus > SelectCurrent:ansi { border: none; }
        & > SelectOverlay { border: none; }
        & > SelectOverlay:focus { border: none; }
    }
    """

    def __init__(
        self,
        options: Iterable[tuple[str, Any]],
        *,
        prompt: str = "请选择",
        value: Any = Select.NULL,
        allow_blank: bool = True,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            options,
            prompt=prompt,
            value=value,
            allow_blank=allow_blank,
            id=id,
            classes=classes,
            disabled=disabled,
            compact=True,
        )
        self._typed = ""
        self._typed_at = 0.0

    def on_key(self, event: events.Key) -> None:
        if self.expanded:
            return  # the open list searches by itself
        if event.key == "backspace" and self._typed:
            self._typed = self._typed[:-1]
        elif event.is_printable and event.character and event.character != " ":
            now = time.monotonic()
            if now - self._typed_at > self.TYPED_PAUSE_S:
                self._typed = ""
            self._typed += event.character
            self._typed_at = now
        else:
            return
        event.stop()
        event.prevent_default()
        self.post_message(self.Typed(self, self._typed))

    def on_blur(self, _event: events.Blur) -> None:
        self._typed = ""


class CompactButton(Button):
    """One-line button with no border; focus is reverse video of its label only."""

    DEFAULT_CSS = """
    CompactButton {
        height: 1;
        min-width: 4;
        width: auto;
        border: none;
        padding: 0 1;
        margin: 0 1 0 0;
        &:hover { border: none; }
        &.-active { border: none; }
        &.-primary, &.-error, &.-success, &.-warning { border: none; }
    }
    """

    def __init__(
        self,
        label: str,
        *,
        id: str | None = None,
        variant: str = "default",
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            label,
            id=id,
            variant=cast(Any, variant),
            classes=classes,
            disabled=disabled,
            compact=True,
        )
        self.active_effect_duration = 0


class CompactCheckbox(Checkbox):
    """One-line checkbox without the tall border, showing its state as `[X]` or `[ ]`.

    Why not the stock glyphs: Textual draws `▐X▌` whether ticked or not and shows the state by
    colour only, which vanishes under NO_COLOR, on 16-colour and monochrome SSH clients (the
    door-to-door dialog's ticks all looked alike). The brackets are ASCII, so CJK terminals that
    draw ambiguous-width glyphs wide stay aligned too.
    """

    BUTTON_LEFT = "["
    BUTTON_RIGHT = "]"

    DEFAULT_CSS = """
    CompactCheckbox {
        height: 1;
        width: auto;
        border: none;
        padding: 0;
        &:focus { border: none; }
        &:hover { border: none; }
    }
    """

    def __init__(
        self,
        label: str,
        value: bool = False,
        *,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(label, value, id=id, classes=classes, disabled=disabled, compact=True)
        self.BUTTON_INNER = "X" if value else " "

    def watch_value(self) -> None:
        self.BUTTON_INNER = "X" if self.value else " "
        super().watch_value()


LABEL_CELLS = 12
"""Width (terminal cells) of the label column in a FieldRow: six Chinese characters."""


class FieldRow(HorizontalGroup):
    """'标签：[field]' on one line; the label column has a fixed cell width so rows align."""

    DEFAULT_CSS = """
    FieldRow { height: 1; width: 1fr; }
    FieldRow > .field-label { width: 13; height: 1; }
    """

    def __init__(
        self,
        label: str,
        field: Widget,
        *,
        required: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.label_text = label
        self.field = field
        self.required = required

    def on_descendant_focus(self, _event: events.DescendantFocus) -> None:
        """Under NO_COLOR (app class -mono) the focused row's label is marked (widgets.tcss)."""
        if self.app.has_class("-mono"):
            self.add_class("-focus")

    def on_descendant_blur(self, _event: events.DescendantBlur) -> None:
        if self.has_class("-focus"):
            self.remove_class("-focus")

    def compose(self) -> ComposeResult:
        mark = "*" if self.required else " "
        text = self.label_text
        pad = max(0, LABEL_CELLS - cell_len(text) - 1)
        yield Label(
            f"{mark}{text}{' ' * pad}", classes="field-label" + (" -required" if self.required else "")
        )
        yield self.field


class ProblemList(Static):
    """Inline list of what is wrong: 【字段】问题（规则）改正方法 — one line per problem."""

    DEFAULT_CSS = """
    ProblemList { height: auto; max-height: 6; }
    ProblemList.-empty { display: none; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self._text = ""
        self.add_class("-empty")

    def show(self, problems: Sequence[Any]) -> None:
        """Show `Problem`s (or anything with a Chinese `str()`), one per line."""
        text = "\n".join(str(p) for p in problems)
        if text == self._text:
            return
        self._text = text
        self.set_class(not text, "-empty")
        self.update(text)

    def show_error(self, error: BaseException) -> None:
        """A DomainError shows its problems; any other error its Chinese message."""
        if isinstance(error, DomainError):
            self.show(list(error.problems))
        else:
            self.show([error.message_zh if isinstance(error, CardstationError) else str(error)])

    def clear(self) -> None:
        self.show([])

    @property
    def text(self) -> str:
        return self._text


class CompactScreen(OneFrameScreen[ScreenResultType]):
    """A Screen whose focus change repaints only the two widgets involved (not all 24 lines).

    Textual declares `Screen.focused` as a reactive that repaints the screen; the focused and
    blurred widgets already refresh themselves, so the full repaint only costs bandwidth.
    From `OneFrameScreen` (tui/widgets/frames.py): it appears in one frame, and its compositor
    never cuts a wide character at the edge of a covered widget.
    """

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)


class CompactModal(OneFrameScreen[ScreenResultType], ModalScreen[ScreenResultType]):
    """ModalScreen with the same frugal focus change and single-frame appearance as CompactScreen."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
