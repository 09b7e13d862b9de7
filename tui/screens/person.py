"""The person page: who, which cards in which state, which businesses, synced or not.

Shows `offline.services.queries.person_page`: the person's data, every card with its status
label, the applications' progress (R-INFO-3), and every business with its sync state and
what the card management system answered (remote status and reason, e.g. a central one
person one card rejection, R-APP-3). Keys open the frequent items prefilled for this person.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from tui.host import host
from tui.screens.forms import messages as M
from tui.widgets.compact import CompactScreen
from tui.widgets.footer import StationFooter

#: key → (binding id, item code, footer label): items opened prefilled for this person.
PERSON_ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("g", "temp_loss", "挂失"),
    ("b", "replace", "补换领"),
    ("x", "info_change", "信息变更"),
    ("f", "issue", "发放"),
    ("k", "temp_card", "临时卡"),
    ("q", "query", "进度"),
)
#: The other items, opened the same way (not in the footer, which has no room at 80 columns; the
#: manual lists them): every business on a holder starts from the holder's page.
PERSON_MORE_ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("z", "formal_loss", "正式挂失"),
    ("j", "lift_loss", "解挂"),
    ("n", "cancel", "注销"),
    ("h", "activate", "激活"),
    ("m", "pin_change", "改密"),
    ("c", "pin_reset", "重置密码"),
    ("u", "pin_unlock", "解锁"),
    ("y", "transfer", "转移"),
    ("e", "bank_change", "换银行"),
    ("d", "key_info_change", "关键信息"),
)

_ITEM_LABELS: dict[str, str] = {}


def item_label(code: str) -> str:
    if not _ITEM_LABELS:
        from offline.items import SERVICE_ITEMS

        _ITEM_LABELS.update({i.code: i.name_zh for i in SERVICE_ITEMS})
    return _ITEM_LABELS.get(code, code)


class PersonScreen(CompactScreen[None]):
    """人员信息 for one person id."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(key, f"open_item('{code}')", label, id=f"person.{code}")
            for key, code, label in PERSON_ACTIONS
        ),
        *(
            Binding(key, f"open_item('{code}')", label, show=False, id=f"person.{code}")
            for key, code, label in PERSON_MORE_ACTIONS
        ),
        Binding("r", "reload", M.KEY_REFRESH, show=False, id="person.reload"),
    ]

    class Loaded(Message):
        def __init__(self, page: Any, error: str = "") -> None:
            super().__init__()
            self.page = page
            self.error = error

    def __init__(self, person_id: int | None = None) -> None:
        super().__init__(id="person")
        self.person_id = person_id
        self.page: Any = None

    def compose(self) -> ComposeResult:
        yield Static(M.PERSON_TITLE, id="person-title")
        with VerticalScroll(id="person-body", can_focus=False):
            yield Static("", id="person-info", markup=False)
            yield Static(M.PERSON_CARDS, classes="person-section")
            cards: DataTable[str] = DataTable(id="person-cards", cursor_type="row")
            cards.add_columns(*M.PERSON_CARD_COLUMNS)
            yield cards
            yield Static(M.PERSON_APPS, classes="person-section")
            yield Static("", id="person-apps", markup=False)
            yield Static(M.PERSON_BUSINESSES, classes="person-section")
            bus: DataTable[str] = DataTable(id="person-businesses", cursor_type="row")
            bus.add_columns(*M.PERSON_BUS_COLUMNS)
            yield bus
        yield StationFooter()

    def on_mount(self) -> None:
        self.action_reload()
        auto = getattr(self.app, "autosync", None)
        if auto is not None:  # the card management system's answers appear without R
            auto.changed_signal.subscribe(self, lambda _text: self.action_reload())

    def on_screen_resume(self) -> None:
        """Back from a business opened here: show what it changed."""
        if self.page is not None:
            self.action_reload()

    def action_reload(self) -> None:
        if self.person_id is None:
            self.query_one("#person-info", Static).update(M.PERSON_NOT_FOUND.format(id="—"))
            return
        self._load(self.person_id)

    @work(thread=True, exclusive=True, group="person")
    def _load(self, person_id: int) -> None:
        from offline.errors import DomainError

        try:
            from offline.services.reads import view_person

            page = view_person(host(self.app).make_ctx(), person_id)  # R-SEC-2 in the service
        except DomainError as exc:
            self.post_message(self.Loaded(None, str(exc.problems[0].message)))
            return
        self.post_message(self.Loaded(page))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        info = self.query_one("#person-info", Static)
        if message.page is None:
            info.update(message.error or M.PERSON_NOT_FOUND.format(id=self.person_id))
            return
        self.page = page = message.page
        p = page.person
        from offline.printing.facts import code_name

        status = _status_label(p.status)
        info.update(
            "\n".join(
                [
                    M.PERSON_LINE1.format(
                        name=p.name, sex=code_name("SEX", p.sex), birth=p.birth_date, ssn=p.ssn
                    ),
                    M.PERSON_LINE2.format(
                        doc_type=code_name("DOC_TYPES", p.doc_type),
                        doc_number=p.doc_number,
                        phone=p.phone or "—",
                        status=status,
                    ),
                    M.PERSON_ADDRESS.format(address=p.residence_address or "—"),
                ]
            )
        )
        cards = self.query_one("#person-cards", DataTable)
        cards.clear()
        for c in page.cards:
            cards.add_row(c.card_number, c.status_label, c.bank, c.issue_date or "—", c.expiry_date or "—")
        apps = self.query_one("#person-apps", Static)
        lines = []
        for a in page.applications:
            line = f"{a.receipt_no}  {a.kind_label}  {a.status_label}"
            if a.deadline and a.status not in ("issued", "rejected", "cancelled"):
                line += f"  期限 {a.deadline}"
            if a.reject_reason:
                line += f"  原因：{a.reject_reason}"
            lines.append(line)
        apps.update("\n".join(lines) or M.PERSON_NONE)
        bus = self.query_one("#person-businesses", DataTable)
        bus.clear()
        for b in page.businesses:
            remote = M.REMOTE_STATUS.get(b.remote_status, b.remote_status)
            if b.remote_reason:
                remote = f"{remote}：{b.remote_reason}"
            bus.add_row(
                b.receipt_no[-12:],
                item_label(b.item),
                b.at.replace("T", " ")[5:16],
                M.SYNC_STATE.get(b.sync_state, b.sync_label),
                remote,
            )

    def prefill(self) -> dict[str, str]:
        """What a form opened from this page starts with: the person's SSN and current card."""
        if self.page is None:
            return {}
        p = self.page.person
        data = {"ssn": p.ssn, "doc_number": p.doc_number}
        live = [c for c in self.page.cards if c.status not in ("cancelled", "returned")]
        if live:
            data["card_number"] = live[0].card_number
        return data

    def action_open_item(self, code: str) -> None:
        from tui.screens.items import open_item_screen

        open_item_screen(host(self.app), code, prefill=self.prefill())


def _status_label(status: str) -> str:
    from offline.services.persons import PERSON_STATUS_LABELS

    return str(PERSON_STATUS_LABELS.get(status, status))
