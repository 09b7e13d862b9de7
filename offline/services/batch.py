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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from offline.business import Operator, ServiceContext
from offline.errors import DomainError, Problem
from offline.files import write_private

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


@dataclass(frozen=True)
class BatchOutcome:
    row: int
    status: str  # accepted | rejected
    receipt: str = ""
    rules: list[str] = field(default_factory=list)
    message: str = ""
    name: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "status": self.status,
            "receipt": self.receipt,
            "rules": self.rules,
            "message": self.message,
        }


def write_template(path: Path | str | None = None) -> str:
    """The empty CSV (header only). Written with a BOM so that Excel opens it as UTF-8."""
    text = ",".join(CSV_HEADER) + "\r\n"
    if path is not None:
        write_private(path, text, encoding="utf-8-sig")
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
    missing = tuple(c for c in CSV_HEADER if c not in cols)
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
    return {c: cols.index(c) for c in CSV_HEADER}


def _code(table: Mapping[str, str], value: str) -> str | None:
    from offline.codes import code_by_name

    v = value.strip()
    if v in table:
        return v
    return code_by_name(table, v)


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
    p = Path(path)
    return parse_csv_bytes(p.read_bytes(), base_dir=p.parent, **kwargs)


def _problem(field_: str, label: str, message: str, fix: str) -> Problem:
    return Problem(field_, "R-APP-9", message, fix, label)


def _parse_date(value: str, label: str, problems: list[Problem], *, open_end: bool = False) -> date | None:
    v = value.strip()
    if open_end and v in ("", "长期"):
        return None
    try:
        return date.fromisoformat(v.replace("/", "-"))
    except ValueError:
        problems.append(
            _problem(
                label,
                label,
                f"“{v}”不是有效日期",
                "请按 YYYY-MM-DD 填写" + ("，长期有效填“长期”。" if open_end else "。"),
            )
        )
        return None


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
    looked: dict[str, str] = {}
    for column, table in (
        ("性别", codes.SEX),
        ("民族", codes.ETHNICITY),
        ("国籍", codes.NATIONALITY),
        ("证件类型", codes.DOC_TYPES),
        ("职业", codes.OCCUPATIONS),
    ):
        code = _code(table, v[column])
        if code is None:
            problems.append(
                _problem(column, column, f"“{v[column]}”不是有效的{column}", f"请按标准名称填写{column}。")
            )
        else:
            looked[column] = code
    doc_type = looked.get("证件类型", "")
    doc_number = v["证件号码"].upper()
    birth: date | None = None
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
            birth, _sex = ssn_birth_and_sex(doc_number)
        except (ValueError, IndexError):
            problems.append(
                Problem(
                    "doc_number",
                    "R-ID-3",
                    f"证件号码“{doc_number}”不是有效的公民身份号码",
                    "请核对18位证件号码。",
                    "证件号码",
                )
            )
    valid_from = _parse_date(v["证件有效期起"], "证件有效期起", problems)
    valid_to = _parse_date(v["证件有效期止"], "证件有效期止", problems, open_end=True)
    photo: bytes | None = None
    if v["照片"]:
        try:
            photo = (base_dir / v["照片"]).resolve().read_bytes()
        except (OSError, ValueError):  # ValueError: a NUL byte in the cell (fuzz campaign)
            problems.append(
                _problem(
                    "照片",
                    "照片",
                    f"找不到照片文件“{v['照片']}”",
                    "照片路径相对于 CSV 文件所在目录，请核对文件名。",
                )
            )
    guardian = None
    if any(v[c] for c in GUARDIAN_COLUMNS):
        g_doc = _code(codes.DOC_TYPES, v["监护人证件类型"])
        relation = _code(codes.RELATIONS, v["监护关系"])
        if g_doc is None:
            problems.append(
                _problem(
                    "监护人证件类型",
                    "监护人证件类型",
                    f"“{v['监护人证件类型']}”不是有效的证件类型",
                    "请按标准名称填写，如“居民身份证”。",
                )
            )
        if relation is None:
            problems.append(
                _problem(
                    "监护关系",
                    "监护关系",
                    f"“{v['监护关系']}”不是有效的监护关系",
                    "请填写：" + "、".join(codes.RELATIONS.values()) + "。",
                )
            )
        guardian = RepresentativeInput(
            name=v["监护人姓名"],
            doc_type=g_doc or "",
            doc_number=v["监护人证件号码"].upper(),
            relation=relation or "",
            proof=GUARDIAN_PROOF,
        )
    if problems or birth is None or valid_from is None:
        return BatchRow(number, None, tuple(problems), v["姓名"])
    person = PersonInput(
        name=v["姓名"],
        sex=looked["性别"],
        ethnicity=looked["民族"],
        nationality=looked["国籍"],
        birth_date="",  # derived from the citizen number (R-ID-3)
        occupation=looked["职业"],
        doc_type=doc_type,
        doc_number=doc_number,
        doc_valid_from=valid_from.isoformat(),
        doc_valid_to=valid_to.isoformat() if valid_to else "",
        household_address=v["户口所在地地址"],
        residence_address=v["常住所在地地址"],
        phone=v["联系电话"],
        bank=v["发卡银行"],
        photo=photo,
        guardian=guardian,
    )
    app = ApplicationInput(
        person=person,
        channel=channel,
        mode=mode,
        bank=v["发卡银行"],
        unit_name=unit_name,
        override_by=override_by,
    )
    return BatchRow(number, app, (), v["姓名"])


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
        )
    try:
        result = apply(ctx, row.application)
    except DomainError as exc:
        return BatchOutcome(row.row, "rejected", "", exc.rules, str(exc), row.name)
    except Exception as exc:  # one bad row never stops the others (R-APP-9)
        return BatchOutcome(row.row, "rejected", "", [], f"系统错误，本行未受理：{exc}", row.name)
    return BatchOutcome(row.row, "accepted", result.receipt_no, [], result.summary, row.name)
