"""上门发放: the mobile team's screen — runs, a run's doors, hand a card over, close the run.

Keyboard first and offline all day (R-ISS-7, R-SEC-5): every call goes to `offline.delivery` in
a thread worker; nothing here needs the link. One screen, two lists: the runs (Enter opens one)
and the run's cards with name, address, photo-available flag, deadline (！ past it) and outcome.
At a door: D opens the handover form (the card must be in the portable reader: the read-card
test of R-ISS-3 runs through issue_card), H/X/M record 不在家/拒收/已迁走 at once (each is a
business, the card stays in stock). C closes the run (pressed twice). Esc goes back to the runs.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tui.host import host
from tui.widgets.compact import (
    CompactCheckbox,
    CompactInput,
    CompactModal,
    CompactScreen,
    CompactSelect,
    FieldRow,
    ProblemList,
)
from tui.widgets.footer import BottomBar

TITLE = "上门发放（移动服务队，可全天离线）"
RUN_COLUMNS = ("编号", "清单名称", "村", "状态", "卡数", "送达", "超期")
ITEM_COLUMNS = ("姓名", "地址", "照片", "期限", "结果")
RUNS_SUMMARY = "清单 {count} 张；Enter 打开，N 新建"
ITEMS_SUMMARY = "#{id} {name}（{state}）共 {total} 张，送达 {delivered}，超期 {overdue}"
NO_ITEMS = "请先选择一张清单。"
CONFIRM_CLOSE = "再按 C 确认结束清单“{name}”（未送达的卡留在库中）"
CLOSED = "清单已结束：送达 {delivered} 张，未送达 {undelivered} 张；受理编号 {receipt}"
RECORDED = "{name}：{outcome}（受理编号 {receipt}）"
RETURNED = "读卡检测不合格，卡已退回重制（受理编号 {receipt}）"
PREPARED = "已生成清单 #{id}：共 {total} 张"
ERROR = "未完成：{error}"
DELIVER_TITLE = "上门发放：{name}  卡号 {card}  {address}"
PREPARE_TITLE = "新建上门发放清单（按村匹配户籍地址或居住地址）"
FORM_HINT = "Ctrl+S 确认  Esc 取消；确认前请将卡插入读卡器"
CATEGORY_OPTIONS = (
    ("一般", ""),
    ("退休人员", "retired"),
    ("无完全民事行为能力人", "incapacitated"),
    ("外出务工人员", "migrant"),
)


def _short_date(text: str) -> str:
    return text[5:10] if len(text) >= 10 else (text or "—")


class DeliveryScreen(CompactScreen[None]):
    """上门发放."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_run", "打开", id="delivery.open", show=False),
        Binding("n", "prepare", "新建", id="delivery.prepare"),
        Binding("d", "deliver", "发放", id="delivery.deliver"),
        Binding("h", "visit('not_at_home')", "不在家", id="delivery.not_at_home"),
        Binding("x", "visit('refused')", "拒收", id="delivery.refused"),
        Binding("m", "visit('moved')", "迁走", id="delivery.moved"),
        Binding("c", "close_run", "结束", id="delivery.close"),
        Binding("r", "reload", "刷新", id="delivery.reload"),
        Binding("escape", "back", "返回", id="delivery.back"),
    ]

    def __init__(self) -> None:
        super().__init__(id="delivery")
        self.run_id: int | None = None
        self.runs: list[Any] = []
        self.items: list[Any] = []
        self.info: Any = None
        self.today = date.today()
        self._confirm_close = False

    def compose(self) -> ComposeResult:
        yield Static(TITLE, id="delivery-title", markup=False)
        yield Static("", id="delivery-summary", markup=False)
        yield DataTable(id="delivery-table", cursor_type="row", zebra_stripes=False)
        yield Static("", id="delivery-note", markup=False)
        yield BottomBar()

    def on_mount(self) -> None:
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Door keys only inside a run; N and Enter only on the run list."""
        if action in ("deliver", "visit", "close_run"):
            return self.run_id is not None
        if action in ("prepare", "open_run"):
            return self.run_id is None
        return True

    # ------------------------------------------------------------------ loading

    def action_reload(self) -> None:
        self._load(self.run_id)

    @work(thread=True, exclusive=True, group="delivery")
    def _load(self, run_id: int | None) -> None:
        from offline.errors import DomainError
        from offline.services import reads

        services = host(self.app).services
        today = services.now().date()
        try:  # R-SEC-2: delivery lists name persons; the service checks who reads them
            ctx = host(self.app).make_ctx()
            if run_id is None:
                runs = reads.delivery_runs(ctx)
                self.app.call_from_thread(self._show_runs, runs, today)
            else:
                info, items = reads.delivery_run(ctx, run_id)
                self.app.call_from_thread(self._show_items, info, items, today)
        except DomainError as exc:
            self.app.call_from_thread(self.notify, str(exc.problems[0].message), severity="error")

    def _table(self, columns: tuple[str, ...]) -> DataTable[str]:
        table: DataTable[str] = self.query_one(DataTable)
        if tuple(str(c.label) for c in table.columns.values()) != columns:
            table.clear(columns=True)
            table.add_columns(*columns)
        else:
            table.clear()
        return table

    def _show_runs(self, runs: list[Any], today: date) -> None:
        self.runs, self.today = runs, today
        table = self._table(RUN_COLUMNS)
        for r in runs:
            table.add_row(
                str(r.id),
                r.name,
                r.village or "—",
                r.state_zh,
                str(r.total),
                str(r.counts.get("delivered", 0)),
                str(r.overdue),
                key=str(r.id),
            )
        self.query_one("#delivery-summary", Static).update(RUNS_SUMMARY.format(count=len(runs)))
        self.refresh_bindings()

    def _show_items(self, info: Any, items: list[Any], today: date) -> None:
        self.info, self.items, self.today = info, items, today
        table = self._table(ITEM_COLUMNS)
        for i in items:
            flag = "！" if i.overdue(today) else ""
            table.add_row(
                i.name,
                i.address,
                "有" if i.has_photo else "无",
                flag + _short_date(i.deadline),
                i.outcome_zh,
                key=str(i.id),
            )
        if info is not None:
            self.query_one("#delivery-summary", Static).update(
                ITEMS_SUMMARY.format(
                    id=info.id,
                    name=info.name,
                    state=info.state_zh,
                    total=info.total,
                    delivered=info.counts.get("delivered", 0),
                    overdue=info.overdue,
                )
            )
        self.refresh_bindings()

    def note(self, text: str) -> None:
        self.query_one("#delivery-note", Static).update(text)

    # ------------------------------------------------------------------ navigation

    def _cursor_key(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_open_run(self) -> None:
        key = self._cursor_key()
        if key is not None:
            self.run_id, self._confirm_close = int(key), False
            self.note("")
            self._load(self.run_id)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        if self.run_id is None:
            event.stop()
            self.action_open_run()

    def action_back(self) -> None:
        if self.run_id is not None:
            self.run_id, self.info, self.items, self._confirm_close = None, None, [], False
            self.note("")
            self._load(None)
        else:
            self.app.pop_screen()

    def selected_item(self) -> Any:
        key = self._cursor_key()
        return next((i for i in self.items if str(i.id) == key), None)

    # ------------------------------------------------------------------ actions

    def action_prepare(self) -> None:
        self.app.push_screen(PrepareRunScreen(), self._prepared)

    def _prepared(self, text: str | None) -> None:
        if text:
            self.note(text)
        self.action_reload()

    def action_deliver(self) -> None:
        item = self.selected_item()
        if item is None or self.run_id is None:
            self.note(NO_ITEMS)
            return
        self.app.push_screen(DeliverScreen(self.run_id, item), self._delivered)

    def _delivered(self, text: str | None) -> None:
        if text:
            self.note(text)
        self.action_reload()

    def action_visit(self, outcome: str) -> None:
        item = self.selected_item()
        if item is not None and self.run_id is not None:
            self._visit(self.run_id, item.id, item.name, outcome)

    @work(thread=True, group="delivery-write", exit_on_error=False)
    def _visit(self, run_id: int, item_id: int, name: str, outcome: str) -> None:
        from offline import delivery

        try:
            result = delivery.deliver(
                host(self.app).make_ctx(), run_id, item_id, delivery.DeliverInput(outcome)
            )
            text = RECORDED.format(name=name, outcome=delivery.OUTCOMES[outcome], receipt=result.receipt_no)
        except Exception as exc:
            text = ERROR.format(error=exc)
        self.app.call_from_thread(self._delivered, text)

    def action_close_run(self) -> None:
        if self.run_id is None or self.info is None:
            return
        if not self._confirm_close:
            self._confirm_close = True
            self.note(CONFIRM_CLOSE.format(name=self.info.name))
            return
        self._confirm_close = False
        self._close(self.run_id)

    @work(thread=True, group="delivery-write", exit_on_error=False)
    def _close(self, run_id: int) -> None:
        from offline import delivery

        try:
            s = delivery.close_run(host(self.app).make_ctx(), run_id)
            text = CLOSED.format(
                delivered=s.delivered, undelivered=len(s.undelivered), receipt=s.result.receipt_no
            )
        except Exception as exc:
            text = ERROR.format(error=exc)
        self.app.call_from_thread(self._delivered, text)


class PrepareRunScreen(CompactModal[str | None]):
    """新建清单: village and name; the cards in stock for that village are cached on the run."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "确认", id="delivery.prepare.submit"),
        Binding("escape", "cancel", "取消", id="delivery.prepare.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(PREPARE_TITLE, markup=False)
            yield FieldRow("村名", CompactInput(id="village"), required=True)
            yield FieldRow("清单名称", CompactInput(id="run-name"), required=True)
            yield ProblemList(id="problems")
            yield Static("Ctrl+S 确认  Esc 取消", markup=False)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        village = self.query_one("#village", CompactInput).value
        name = self.query_one("#run-name", CompactInput).value or village
        self._prepare(village, name)

    @work(thread=True, exclusive=True, group="prepare", exit_on_error=False)
    def _prepare(self, village: str, name: str) -> None:
        from offline import delivery

        try:
            info = delivery.prepare_run(host(self.app).make_ctx(), village=village, name=name)
        except Exception as exc:
            self.app.call_from_thread(self.query_one(ProblemList).show_error, exc)
            return
        self.app.call_from_thread(self.dismiss, PREPARED.format(id=info.id, total=info.total))


class DeliverScreen(CompactModal[str | None]):
    """Hand one card over at the door: document, recipient (R-ISS-7), face checked, signed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "确认", id="delivery.deliver.submit"),
        Binding("escape", "cancel", "取消", id="delivery.deliver.cancel"),
    ]

    def __init__(self, run_id: int, item: Any) -> None:
        super().__init__()
        self.run_id, self.item = run_id, item

    def compose(self) -> ComposeResult:
        from offline.delivery import DELIVERY_RELATIONS

        relations = [(label, code) for code, label in DELIVERY_RELATIONS.items()]
        with Vertical():
            yield Static(
                DELIVER_TITLE.format(
                    name=self.item.name, card=self.item.card_number, address=self.item.address
                ),
                markup=False,
            )
            yield FieldRow("持卡人证件号", CompactInput(id="doc", max_length=18), required=True)
            yield FieldRow(
                "人员类别",
                CompactSelect(CATEGORY_OPTIONS, id="category", value=self.item.category, allow_blank=False),
            )
            yield FieldRow(
                "领卡人", CompactSelect(relations, id="relation", value="holder", allow_blank=False)
            )
            yield FieldRow("领卡人姓名", CompactInput(id="recipient-name"))
            yield FieldRow("领卡人证件号", CompactInput(id="recipient-doc", max_length=18))
            yield CompactCheckbox("卡面照片清晰且为本人", id="face-photo")
            yield CompactCheckbox("卡面文字清晰且与记录一致", id="face-text")
            yield CompactCheckbox("领卡人已签字", id="signed")
            yield ProblemList(id="problems")
            yield Static(FORM_HINT, markup=False)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        from offline.delivery import DeliverInput

        def value(selector: str) -> Any:
            return self.query_one(selector).value  # type: ignore[attr-defined]

        inp = DeliverInput(
            "delivered",
            holder_doc_number=str(value("#doc")),
            relation=str(value("#relation")),
            recipient_name=str(value("#recipient-name")),
            recipient_doc_number=str(value("#recipient-doc")),
            category=str(value("#category")),
            face_photo_ok=bool(value("#face-photo")),
            face_text_ok=bool(value("#face-text")),
            signed=bool(value("#signed")),
        )
        self._deliver(inp)

    @work(thread=True, exclusive=True, group="deliver", exit_on_error=False)
    def _deliver(self, inp: Any) -> None:
        from offline import delivery
        from offline.services.issuance import CardReturned

        try:
            result = delivery.deliver(host(self.app).make_ctx(with_card=True), self.run_id, self.item.id, inp)
        except CardReturned as exc:
            self.app.call_from_thread(self.dismiss, RETURNED.format(receipt=exc.result.receipt_no))
            return
        except Exception as exc:
            self.app.call_from_thread(self.query_one(ProblemList).show_error, exc)
            return
        text = RECORDED.format(
            name=self.item.name, outcome=delivery.OUTCOMES["delivered"], receipt=result.receipt_no
        )
        self.app.call_from_thread(self.dismiss, text)
