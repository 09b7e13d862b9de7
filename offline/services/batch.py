"""Batch application (代为申领, R-APP-9, HN 11): a unit's or village assistant's list of persons.

Each row is checked and committed on its own (`apply_card`, one transaction per row): one bad
row never stops the others, and the result names every row's receipt or its rules and fix.
`run_batch` yields each outcome as soon as its row is committed, so the CLI prints it at once;
a row an earlier run already committed (same cells: `batch_ref` in the business details) is
reported as skipped with its receipt, never applied twice.

The layout (`batch_layout.CSV_HEADER`, any column order) is what a village assistant fills in
Excel, read as .xlsx or CSV (`batch_files`). Every cell goes through the normalisers
(`offline.validation.normalise`): dates as people write them or Excel stores them, 长期, codes
by name, short name or number (农民, 父亲, 农行 …), phones with spaces or +86. What was
changed is listed in the row's notes; what is not understood is a row problem naming the
closest choices. Photos come from the photo cell or a file named by the ID number and are
fixed when they can be (`batch_photos`).

Rows whose document carries no citizen number (passports, travel permits) have no birth date
in this layout and are refused with a pointer to the window, where the full form is used.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offline.business import Operator, ServiceContext
from offline.errors import DomainError, Problem
from offline.services.batch_files import MAX_ROWS, NUMBER_LOST, write_template, write_xlsx_template
from offline.services.batch_layout import (
    CSV_HEADER,
    GUARDIAN_COLUMNS,
    GUARDIAN_PROOF,
    OPTIONAL_COLUMNS,
    BatchFileError,
    row_problem,
)
from offline.services.batch_photos import PhotoFolders, load_photo, photo_folders

__all__ = [
    "CSV_HEADER",
    "OPTIONAL_COLUMNS",
    "BatchFileError",
    "BatchList",
    "BatchOutcome",
    "BatchRow",
    "apply_batch",
    "open_list",
    "parse_csv_bytes",
    "read_batch",
    "read_batch_csv",
    "run_batch",
    "write_template",
    "write_xlsx_template",
]


@dataclass(frozen=True)
class BatchRow:
    """One data row (numbered from 1): the application, or what made it unreadable."""

    row: int
    application: Any = None  # ApplicationInput | None
    problems: tuple[Problem, ...] = ()
    name: str = ""
    notes: tuple[str, ...] = ()  # what was understood / corrected (shown in the row's report)


@dataclass(frozen=True)
class BatchOutcome:
    row: int
    status: str  # accepted | rejected | skipped (committed by an earlier run of the same list)
    receipt: str = ""
    rules: list[str] = field(default_factory=list)
    message: str = ""
    name: str = ""
    notes: list[str] = field(default_factory=list)  # what was understood or corrected

    def as_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "status": self.status,
            "name": self.name,
            "receipt": self.receipt,
            "rules": self.rules,
            "message": self.message,
            "notes": self.notes,
        }


def standard_column(header: str) -> str:
    """A header cell as the template names it: spaces and width folded, '*' (required marks)
    dropped, other provinces' and people's wordings mapped (offline/data/alias_column.tsv)."""
    from offline.validation.norm_codes import column_keys, key_of

    key = key_of(header.lstrip("\ufeff")).replace("*", "")
    return column_keys().get(key, header.strip().lstrip("\ufeff"))


MSG_NUMBER_LOST = "Excel 把号码存成了数字（{value}），超过 15 位的部分已丢失"
FIX_NUMBER_LOST = "请把该列设置为“文本”格式后重新输入号码（模板中已设好），或在号码前加英文单引号。"
MSG_SKIPPED = "此行已于 {at} 受理（受理编号 {receipt}），本次跳过"


def _header_check(header: list[str]) -> dict[str, int]:
    cols = [standard_column(h) for h in header]
    missing = tuple(c for c in CSV_HEADER if c not in cols and c not in OPTIONAL_COLUMNS)
    unknown = tuple(c for c in cols if c and c not in CSV_HEADER)
    if missing or unknown:
        parts = []
        if missing:
            parts.append("缺少列：" + "、".join(missing))
        if unknown:
            parts.append("无法识别的列：" + "、".join(unknown))
        raise BatchFileError(
            "表头不正确（" + "；".join(parts) + "）。请使用 cardstation apply --template 生成的模板。",
            missing=missing,
            unknown=unknown,
        )
    return {c: cols.index(c) for c in CSV_HEADER if c in cols}


class BatchList:
    """A list read and header-checked, its rows built one at a time as they are iterated.

    Building a row reads and may fix its photo, so rows are built lazily: the import streams, and
    `len()` (for the progress bar) costs nothing.
    """

    def __init__(
        self, cells: list[tuple[int, dict[str, str]]], build: Callable[[int, dict[str, str]], BatchRow]
    ):
        self._cells = cells
        self._build = build

    def __len__(self) -> int:
        return len(self._cells)

    def __iter__(self) -> Iterator[BatchRow]:
        for number, values in self._cells:
            yield self._build(number, values)


def open_list(
    data: bytes,
    *,
    base_dir: Path,
    channel: str = "batch",
    mode: str = "batch",
    unit_name: str = "",
    override_by: Operator | None = None,
    photo_dir: Path | None = None,
) -> BatchList:
    """A batch list from CSV or .xlsx bytes. Raises BatchFileError when the file is unusable."""
    from offline.services.batch_files import table_rows

    folders = photo_folders(base_dir, photo_dir)
    rows = table_rows(data)
    try:
        header = next(rows)
    except StopIteration as exc:
        raise BatchFileError(
            "文件是空的：第一行应为表头。请使用 cardstation apply --template 生成的模板。"
        ) from exc
    index = _header_check(header)
    cells: list[tuple[int, dict[str, str]]] = []
    for raw in rows:
        if not any(c.strip() for c in raw):
            continue
        if len(cells) >= MAX_ROWS:
            raise BatchFileError(f"名单超过 {MAX_ROWS} 行：请分成几个文件分别导入。")
        values = {c: (raw[i].strip() if i < len(raw) else "") for c, i in index.items()}
        cells.append((len(cells) + 1, values))

    def build(number: int, values: dict[str, str]) -> BatchRow:
        return _row(number, values, base_dir, channel, mode, unit_name, override_by, folders)

    return BatchList(cells, build)


def parse_csv_bytes(data: bytes, *, base_dir: Path, **kwargs: Any) -> list[BatchRow]:
    """Every row of a list (CSV or .xlsx bytes), built at once."""
    return list(open_list(data, base_dir=base_dir, **kwargs))


def read_batch(path: Path | str, **kwargs: Any) -> BatchList:
    """The list in a file (CSV or .xlsx, detected from its content), read safely (`offline.files`)."""
    from offline.files import BATCH_CAP, FileRefused, read_capped

    p = Path(path)
    try:
        data = read_capped(p, cap=BATCH_CAP, what="名单文件")
    except FileRefused as exc:
        raise BatchFileError(exc.message_zh) from None
    return open_list(data, base_dir=p.parent, **kwargs)


def read_batch_csv(path: Path | str, **kwargs: Any) -> list[BatchRow]:
    return list(read_batch(path, **kwargs))


def _normalised(
    column: str, kind: str, value: str, problems: list[Problem], notes: list[str], banks: tuple[str, ...] = ()
) -> str:
    """The cell in standard form (2020.1.1, 农民, 农行 …); a cell not understood becomes a row problem
    naming the closest choices, and what was changed is noted for the row's report."""
    from offline.validation.normalise import normalise

    n = normalise(kind, value, banks=banks)
    if not n.ok:
        rule = "R-APP-4" if kind == "bank" else "R-APP-9"
        problems.append(row_problem(column, n.problem, n.fix, rule))
        return ""
    if n.shown:
        notes.append(f"{column}“{value.strip()}”→{n.shown}")
    return n.value


#: Column -> normaliser kind (offline.validation.normalise).
COLUMN_KINDS: dict[str, str] = {
    "性别": "sex",
    "民族": "ethnicity",
    "国籍": "nationality",
    "证件类型": "doc_type",
    "证件号码": "id_number",
    "证件有效期起": "date",
    "证件有效期止": "open_date",
    "职业": "occupation",
    "户口所在地地址": "text",
    "常住所在地地址": "text",
    "联系电话": "phone",
    "发卡银行": "bank",
    "邮寄地址": "text",
    "邮政编码": "id_number",
    "监护人证件类型": "doc_type",
    "监护人证件号码": "id_number",
    "监护关系": "relation",
    "姓名": "name",
    "监护人姓名": "name",
}


def batch_ref(values: dict[str, str]) -> str:
    """The identity of a row's content (every cell but the photo path): an earlier run that
    committed the same row is found by it, whatever the file name or the row's position."""
    cells = {k: v for k, v in sorted(values.items()) if k != "照片" and v}
    digest = hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode("utf-8")).hexdigest()
    return "row:" + digest[:32]


def _row(
    number: int,
    v: dict[str, str],
    base_dir: Path,
    channel: str,
    mode: str,
    unit_name: str,
    override_by: Operator | None,
    folders: PhotoFolders | None = None,
) -> BatchRow:
    from offline import codes
    from offline.services.applications import ApplicationInput
    from offline.validation import PersonInput, RepresentativeInput, ssn_birth_and_sex

    problems: list[Problem] = []
    notes: list[str] = []
    n: dict[str, str] = {}
    for column, kind in COLUMN_KINDS.items():
        if v.get(column, "").startswith(NUMBER_LOST):
            problems.append(
                row_problem(
                    column, MSG_NUMBER_LOST.format(value=v[column][len(NUMBER_LOST) :]), FIX_NUMBER_LOST
                )
            )
            v = {**v, column: ""}
        n[column] = _normalised(column, kind, v.get(column, ""), problems, notes) if v.get(column) else ""
    doc_type = n["证件类型"]
    doc_number = n["证件号码"]
    if doc_type and doc_type not in codes.CITIZEN_NUMBER_DOCS:
        problems.append(
            row_problem(
                "证件类型",
                f"批量导入不支持“{v['证件类型']}”（表中无出生日期）",
                "请到窗口单笔办理此人的申领。",
            )
        )
    elif doc_type and not any(p.field == "证件号码" for p in problems):  # one message per cell
        try:
            ssn_birth_and_sex(doc_number)
        except (ValueError, IndexError):
            problems.append(
                Problem(
                    "doc_number",
                    "R-ID-3",
                    f"证件号码“{v['证件号码']}”不是有效的公民身份号码",
                    "请核对18位证件号码。",
                    "证件号码",
                )
            )
    postcode = n["邮政编码"]
    if postcode and not (len(postcode) == 6 and postcode.isdigit()):
        problems.append(
            row_problem(
                "邮政编码",
                f"“{v['邮政编码']}”不是 6 位邮政编码",
                "请填写 6 位数字邮编，例如 410000。",
            )
        )
    if postcode and n["邮寄地址"]:
        n["邮寄地址"] = f"{n['邮寄地址']}（邮编 {postcode}）"
    if not v.get("证件有效期起"):
        problems.append(row_problem("证件有效期起", "不能为空", "请按证件上的有效期限填写。"))
    photo, photo_note, photo_adjusted = load_photo(v, base_dir, problems, doc_number, folders)
    if photo_note:
        notes.append(photo_note)
    guardian = None
    if any(v.get(c) for c in GUARDIAN_COLUMNS):
        guardian = RepresentativeInput(
            name=n["监护人姓名"],
            doc_type=n["监护人证件类型"],
            doc_number=n["监护人证件号码"],
            relation=n["监护关系"],
            proof=GUARDIAN_PROOF,
        )
    if problems:
        return BatchRow(number, None, tuple(problems), v["姓名"], tuple(notes))
    person = PersonInput(
        name=n["姓名"],
        sex=n["性别"],
        ethnicity=n["民族"],
        nationality=n["国籍"],
        birth_date="",  # derived from the citizen number (R-ID-3)
        occupation=n["职业"],
        doc_type=doc_type,
        doc_number=doc_number,
        doc_valid_from=n["证件有效期起"],
        doc_valid_to=n["证件有效期止"],
        household_address=n["户口所在地地址"],
        residence_address=n["常住所在地地址"],
        phone=n["联系电话"],
        mailing_address=n["邮寄地址"],
        bank=n["发卡银行"],
        photo=photo,
        guardian=guardian,
    )
    app = ApplicationInput(
        person=person,
        channel=channel,
        mode=mode,
        bank=n["发卡银行"],
        unit_name=unit_name,
        override_by=override_by,
        mailing=bool(n["邮寄地址"]),
        batch_ref=batch_ref(v),
        photo_adjusted=photo_adjusted,
    )
    return BatchRow(number, app, (), v["姓名"], tuple(notes))


def apply_batch(
    ctx: ServiceContext, rows: Iterable[BatchRow], progress: Callable[[int, int], None] | None = None
) -> list[BatchOutcome]:
    """Check and commit each row on its own (R-APP-9); `progress(done, total)` after each row."""
    outcomes: list[BatchOutcome] = []
    total = len(rows) if isinstance(rows, Sized) else 0
    for i, outcome in enumerate(run_batch(ctx, rows), 1):
        outcomes.append(outcome)
        if progress is not None:
            progress(i, total)
    return outcomes


def run_batch(ctx: ServiceContext, rows: Iterable[BatchRow]) -> Iterator[BatchOutcome]:
    """Each row's outcome as soon as it is committed (or refused), so a caller can print it at once.

    A row that an earlier run of the same list already committed (same cells, see `batch_ref`) is
    not applied again: its outcome is 'skipped' and names the receipt it got then.
    """
    from offline.permissions import require
    from offline.services.applications import apply_card

    require(ctx.operator, "apply")
    this_run: set[str] = set()  # a duplicate row within the list is R-APP-3's, not a rerun
    for row in rows:
        ref = getattr(row.application, "batch_ref", "")
        done = _already_done(ctx, row) if ref not in this_run else None
        outcome = done if done is not None else _one(ctx, row, apply_card)
        if outcome.status == "accepted":
            this_run.add(ref)
        yield outcome


def _already_done(ctx: ServiceContext, row: BatchRow) -> BatchOutcome | None:
    ref = getattr(row.application, "batch_ref", "")
    if not ref:
        return None
    found = ctx.store.one(
        "SELECT receipt_no, at FROM businesses WHERE json_extract(details, '$.batch_ref') = ?", (ref,)
    )
    if found is None:
        return None
    message = MSG_SKIPPED.format(at=str(found["at"])[:16].replace("T", " "), receipt=found["receipt_no"])
    return BatchOutcome(row.row, "skipped", str(found["receipt_no"]), [], message, row.name, list(row.notes))


def _one(ctx: ServiceContext, row: BatchRow, apply: Callable[..., Any]) -> BatchOutcome:
    if row.application is None:
        return BatchOutcome(
            row.row,
            "rejected",
            "",
            sorted({p.rule for p in row.problems}),
            "；".join(str(p) for p in row.problems),
            row.name,
            list(row.notes),
        )
    try:
        result = apply(ctx, row.application)
    except DomainError as exc:
        return BatchOutcome(row.row, "rejected", "", exc.rules, str(exc), row.name, list(row.notes))
    except Exception as exc:  # one bad row never stops the others (R-APP-9)
        msg = f"系统错误，本行未受理：{exc}"
        return BatchOutcome(row.row, "rejected", "", [], msg, row.name, list(row.notes))
    return BatchOutcome(row.row, "accepted", result.receipt_no, [], result.summary, row.name, list(row.notes))
