"""Batch application (代为申领, R-APP-9, HN 11): a unit's or village assistant's list of persons.

Each row is checked and committed on its own (`apply_card`, one transaction per row): one bad
row never stops the others, and the result names every row's receipt or its rules and fix.

The CSV layout is what a village assistant fills in Excel: a header row in Chinese, exactly the
columns of `CSV_HEADER` (any order), dates as YYYY-MM-DD ('长期' for no end), codes by their
Chinese names (sex, ethnicity, nationality, document type, relation; occupation by name or
code). Excel in China saves CSV as GBK, newer versions as UTF-8 with a BOM: both are read
(GB18030 is a superset of GBK). The photo column is a JPEG path relative to the CSV; it may
be empty for a child under the cartoon age (R-APP-2).

Rows whose document carries no citizen number (passports, travel permits) have no birth date
in this layout and are refused with a pointer to the window, where the full form is used.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offline.business import Operator, ServiceContext
from offline.errors import DomainError, Problem

CSV_HEADER: tuple[str, ...] = (
    "姓名",
    "性别",
    "民族",
    "国籍",
    "证件类型",
    "证件号码",
    "证件有效期起",
    "证件有效期止",
    "职业",
    "户口所在地地址",
    "常住所在地地址",
    "联系电话",
    "发卡银行",
    "邮寄地址",
    "邮政编码",
    "照片",
    "监护人姓名",
    "监护人证件类型",
    "监护人证件号码",
    "监护关系",
)
#: The layout has no proof column: the household register is what a village assistant or unit checks
#: for a child on the list (R-ID-5); the business records that the proof was checked that way.
GUARDIAN_PROOF = "户口簿（批量申领，代办人核验）"
GUARDIAN_COLUMNS = ("监护人姓名", "监护人证件类型", "监护人证件号码", "监护关系")
#: Columns a file made from an older template may lack (R-APP-6: the mailing address lets a
#: rare-character applicant, whose card is mailed, be accepted through the batch).
OPTIONAL_COLUMNS = ("邮寄地址", "邮政编码")


class BatchFileError(Exception):
    """The file itself cannot be used (encoding, header): nothing was imported."""

    def __init__(
        self, message_zh: str, *, missing: tuple[str, ...] = (), unknown: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.missing = missing
        self.unknown = unknown


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
    status: str  # accepted | rejected
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


def write_template(path: Path | str | None = None) -> str:
    """The empty CSV (header only). Written with a BOM so that Excel opens it as UTF-8."""
    text = ",".join(CSV_HEADER) + "\r\n"
    if path is not None:
        Path(path).write_text(text, encoding="utf-8-sig", newline="")
    return text


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (covers GBK, what Excel in China writes)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise BatchFileError(
            "文件编码无法识别：请在 Excel 中“另存为 CSV（逗号分隔）”或“CSV UTF-8”后再导入。"
        ) from exc


def _header_check(header: list[str]) -> dict[str, int]:
    cols = [h.strip().lstrip("\ufeff") for h in header]
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


def parse_csv_bytes(
    data: bytes,
    *,
    base_dir: Path,
    channel: str = "batch",
    mode: str = "batch",
    unit_name: str = "",
    override_by: Operator | None = None,
) -> list[BatchRow]:
    """Read a batch file into rows. Raises BatchFileError when the file is unusable."""
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration as exc:
        raise BatchFileError(
            "文件是空的：第一行应为表头。请使用 cardstation apply --template 生成的模板。"
        ) from exc
    index = _header_check(header)
    rows: list[BatchRow] = []
    number = 0
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        number += 1
        values = {c: (cells[i].strip() if i < len(cells) else "") for c, i in index.items()}
        rows.append(_row(number, values, base_dir, channel, mode, unit_name, override_by))
    return rows


def read_batch_csv(path: Path | str, **kwargs: Any) -> list[BatchRow]:
    from offline.files import BATCH_CAP, FileRefused, read_capped

    p = Path(path)
    try:
        data = read_capped(p, cap=BATCH_CAP, what="名单文件")
    except FileRefused as exc:
        raise BatchFileError(exc.message_zh) from None
    return parse_csv_bytes(data, base_dir=p.parent, **kwargs)


def _problem(field_: str, label: str, message: str, fix: str) -> Problem:
    return Problem(field_, "R-APP-9", message, fix, label)


def _normalised(
    column: str, kind: str, value: str, problems: list[Problem], notes: list[str], banks: tuple[str, ...] = ()
) -> str:
    """The cell in standard form (2020.1.1, 农民, 农行 …); a cell not understood becomes a row problem
    naming the closest choices, and what was changed is noted for the row's report."""
    from offline.validation.normalise import normalise

    n = normalise(kind, value, banks=banks)
    if not n.ok:
        rule = "R-APP-4" if kind == "bank" else "R-APP-9"
        problems.append(Problem(column, rule, n.problem, n.fix, column))
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
    "姓名": "text",
    "监护人姓名": "text",
}


def _row(
    number: int,
    v: dict[str, str],
    base_dir: Path,
    channel: str,
    mode: str,
    unit_name: str,
    override_by: Operator | None,
) -> BatchRow:
    from offline import codes
    from offline.services.applications import ApplicationInput
    from offline.validation import PersonInput, RepresentativeInput, ssn_birth_and_sex

    problems: list[Problem] = []
    notes: list[str] = []
    n: dict[str, str] = {}
    for column, kind in COLUMN_KINDS.items():
        n[column] = _normalised(column, kind, v.get(column, ""), problems, notes) if v.get(column) else ""
    doc_type = n["证件类型"]
    doc_number = n["证件号码"]
    if doc_type and doc_type not in codes.CITIZEN_NUMBER_DOCS:
        problems.append(
            _problem(
                "证件类型",
                "证件类型",
                f"批量导入不支持“{v['证件类型']}”（表中无出生日期）",
                "请到窗口单笔办理此人的申领。",
            )
        )
    elif doc_type:
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
            _problem(
                "邮政编码",
                "邮政编码",
                f"“{v['邮政编码']}”不是 6 位邮政编码",
                "请填写 6 位数字邮编，例如 410000。",
            )
        )
    if postcode and n["邮寄地址"]:
        n["邮寄地址"] = f"{n['邮寄地址']}（邮编 {postcode}）"
    if not v.get("证件有效期起"):
        problems.append(_problem("证件有效期起", "证件有效期起", "不能为空", "请按证件上的有效期限填写。"))
    photo, photo_note = _photo(v, base_dir, problems)
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
    )
    return BatchRow(number, app, (), v["姓名"], tuple(notes))


def _photo(v: dict[str, str], base_dir: Path, problems: list[Problem]) -> tuple[bytes | None, str]:
    """The row's photo bytes and a note for the report ('' when nothing to say).

    The path must be a regular file under the list's folder, within the size cap, opened without
    blocking (`offline.files`): a cell naming /dev/zero or a FIFO is a row problem, not a hang.
    """
    from offline.files import PHOTO_CAP, FileRefused, read_capped

    if not v.get("照片"):
        return None, ""
    try:
        return read_capped(v["照片"], root=base_dir, cap=PHOTO_CAP, what="照片"), ""
    except FileRefused as exc:
        problems.append(_problem("照片", "照片", exc.message_zh, "照片路径相对于名单文件所在的文件夹。"))
        return None, ""


def apply_batch(
    ctx: ServiceContext, rows: list[BatchRow], progress: Callable[[int, int], None] | None = None
) -> list[BatchOutcome]:
    """Check and commit each row on its own (R-APP-9); `progress(done, total)` after each row."""
    from offline.permissions import require
    from offline.services.applications import apply_card

    require(ctx.operator, "apply")
    outcomes: list[BatchOutcome] = []
    for i, row in enumerate(rows, 1):
        outcomes.append(_one(ctx, row, apply_card))
        if progress is not None:
            progress(i, len(rows))
    return outcomes


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
