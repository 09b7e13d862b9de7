"""Reading a batch list as it arrives — CSV (UTF-8, BOM or GBK) or .xlsx — and writing its templates.

Why both: village assistants keep their lists in Excel; saving as CSV is one more step where
Excel in China picks GBK and turns 18-digit ID numbers into 4.30102E+17. Reading the .xlsx itself
(openpyxl, read-only streaming) keeps the cells as typed: date cells arrive as dates (Excel stores
them as serial numbers with a date format), text as text. A number in an ID column longer than 15
digits has already lost its last digits inside Excel; that is said plainly, with the fix.

The type is detected from the content (a .xlsx is a zip: 'PK\\x03\\x04'), not the file name.
The .xlsx template has a dropdown on every coded column (lists on a hidden sheet, typing other
words such as 农行 stays allowed: the normalisers understand them), date and text formats on the
date and number columns, and a sheet of instructions in Chinese.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from offline.services.batch_layout import CSV_HEADER, DATE_COLUMNS, ID_COLUMNS, BatchFileError

#: Marks an ID cell that Excel stored as a number with more than 15 digits (digits lost).
NUMBER_LOST = "\x00excel-number:"
XLSX_MAGIC = b"PK\x03\x04"
#: The old binary .xls (and .et/.wps sheets saved in that format): an OLE compound file.
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
TEMPLATE_ROWS = 1000
#: A list longer than this is refused before any row is built (split it): it bounds memory and
#: the time an import holds the station.
MAX_ROWS = 20_000
#: An .xlsx whose parts would unpack to more than this is not a list (a zip bomb).
MAX_UNPACKED = 200 * 1024 * 1024
DATA_SHEET = "申领名单"
LISTS_SHEET = "代码表"
HELP_SHEET = "填写说明"


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
            "文件编码无法识别：请在 Excel 中“另存为 CSV（逗号分隔）”或“CSV UTF-8”后再导入，或直接导入 .xlsx 文件。"
        ) from exc


def is_xlsx(data: bytes) -> bool:
    return data[:4] == XLSX_MAGIC


def table_rows(data: bytes) -> Iterator[list[str]]:
    """Every row of the list as strings (header first), from CSV or .xlsx bytes."""
    if data[:4] == OLE_MAGIC:
        raise BatchFileError(
            "这是旧版 Excel（.xls）或 WPS 表格文件：请在 Excel/WPS 中“另存为”Excel 工作簿（.xlsx）后再导入。"
        )
    if is_xlsx(data):
        yield from _xlsx_rows(data)
    else:
        yield from csv.reader(io.StringIO(decode(data), newline=""))


MSG_BAD_XLSX = "Excel 文件无法打开（可能已损坏或不是 .xlsx）：请在 Excel 中另存为 .xlsx 后再导入。"


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    """Rows of the sheet whose first row holds 姓名 (else the active sheet).

    The file is untrusted and the parser a third party's: whatever it raises on a damaged file
    becomes a BatchFileError (nothing imported), never a traceback.
    """
    from zipfile import ZipFile

    try:
        unpacked = sum(info.file_size for info in ZipFile(io.BytesIO(data)).infolist())
    except Exception as exc:  # damaged zip: any error of the zip reader means the same
        raise BatchFileError(MSG_BAD_XLSX) from exc
    if unpacked > MAX_UNPACKED:
        raise BatchFileError(
            f"Excel 文件解压后超过 {MAX_UNPACKED // 1024 // 1024} MB，不像一份名单：请只保留名单表后另存再导入。"
        )
    try:
        yield from _sheet_rows(data)
    except BatchFileError:
        raise
    except Exception as exc:  # openpyxl on a damaged workbook: KeyError, XML errors, TypeError …
        raise BatchFileError(MSG_BAD_XLSX) from exc


def _sheet_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = next((ws for ws in book.worksheets if _has_header(ws)), book.active)
        if sheet is None:
            raise BatchFileError(MSG_BAD_XLSX)
        header: list[str] | None = None
        for values in sheet.iter_rows(values_only=True):
            if header is None:
                header = [_cell(v, "") for v in values]
                yield header
                continue
            yield [_cell(v, header[i] if i < len(header) else "") for i, v in enumerate(values)]
    finally:
        book.close()


def _has_header(ws: Any) -> bool:
    first = next(ws.iter_rows(max_row=1, values_only=True), ())
    return any("姓名" in str(v) for v in first if v is not None)


def _cell(value: object, column: str) -> str:
    """A cell as the text a person would have typed."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        if column.strip() in ID_COLUMNS and abs(value) >= 10**15:
            return NUMBER_LOST + f"{value:.0f}"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    return str(value)


# ----------------------------------------------------------------- templates


def write_template(path: Path | str | None = None) -> str:
    """The empty CSV (header only). Written with a BOM so that Excel opens it as UTF-8."""
    text = ",".join(CSV_HEADER) + "\r\n"
    if path is not None:
        Path(path).write_text(text, encoding="utf-8-sig", newline="")
    return text


def template_lists(banks: Sequence[str]) -> dict[str, list[str]]:
    """Column -> the standard names its dropdown offers."""
    from offline import codes

    citizen_docs = [codes.DOC_TYPES[c] for c in codes.DOC_TYPES if c in codes.CITIZEN_NUMBER_DOCS]
    return {
        "性别": [codes.SEX[c] for c in ("1", "2")],
        "民族": list(codes.ETHNICITY.values()),
        "国籍": ["中国", *sorted(n for c, n in codes.NATIONALITY.items() if c != "CHN")],
        "证件类型": citizen_docs,
        "职业": list(codes.OCCUPATIONS.values()),
        "发卡银行": list(banks),
        "监护人证件类型": [codes.DOC_TYPES[c] for c in codes.DOC_TYPES if c in codes.VALID_DOC_TYPES],
        "监护关系": [codes.RELATIONS[c] for c in codes.RELATIONS if c in codes.GUARDIAN_RELATIONS],
    }


HELP_LINES: tuple[str, ...] = (
    "社会保障卡批量申领名单 填写说明",
    "",
    "1. 在“申领名单”表中每人填一行，不要改动第一行表头，不要合并单元格。",
    "2. 带下拉箭头的列可从列表中选择；也可以直接填写常用说法，系统会自动识别，例如：",
    "   性别：男/女；民族：汉、汉族；国籍：中国、中华人民共和国、CHN；证件类型：身份证、居民身份证；",
    "   职业：农民、学生、无业、离退休、外出务工（对应关系见操作手册）；监护关系：父亲、母亲、爷爷、奶奶；",
    "   发卡银行：农行、工行、邮储、农信等简称。",
    "3. 日期可写 2020-01-01、2020.1.1、2020/1/1、20200101 或 2020年1月1日；证件长期有效的，有效期止填“长期”。",
    "4. 证件号码、电话、邮编列已设为文本格式，请直接输入；若从别处粘贴后变成 4.30102E+17，须改为文本后重新输入。",
    "5. 联系电话：手机 11 位，可带空格或横线；固定电话须带区号，如 0731-88888888。",
    "6. 照片：填写照片文件名（与名单放在同一文件夹或其子文件夹）；或不填，把照相馆按证件号码命名的照片",
    "   （如 43010219900101123X.jpg）放在名单旁或“照片”子文件夹中，系统按证件号码自动匹配。",
    "   照片尺寸、格式或大小不合规的会自动裁剪压缩为 358×441、14-40 KB 的 JPEG，结果注明“照片已自动调整”；",
    "   背景不是白色、比 358×441 还小、或无法识别的照片会退回，请重新拍照。不满 7 周岁的儿童可不填照片。",
    "7. 姓名含生僻字的，卡片由省制卡中心制作后邮寄，必须填写邮寄地址和邮政编码。",
    "8. 不满 16 周岁的申请人须填写监护人四列。",
    "9. 导入：cardstation apply --file 名单.xlsx --as 用户名；每行单独受理，结果逐行显示；",
    "   中途中断后重新导入同一名单，已受理的行会跳过并注明，不会重复受理。",
)


def write_xlsx_template(path: Path | str, banks: Sequence[str]) -> None:
    """The .xlsx template: header, dropdowns on coded columns, formats, instructions (see module doc)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = DATA_SHEET
    sheet.append(list(CSV_HEADER))
    sheet.freeze_panes = "A2"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    lists = book.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    last = TEMPLATE_ROWS + 1
    for i, (column, names) in enumerate(template_lists(banks).items(), 1):
        letter = get_column_letter(i)
        lists.cell(row=1, column=i, value=column)
        for j, name in enumerate(names, 2):
            lists.cell(row=j, column=i, value=name)
        target = get_column_letter(CSV_HEADER.index(column) + 1)
        dv = DataValidation(
            type="list",
            formula1=f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(names) + 1}",
            allow_blank=True,
            showErrorMessage=False,  # 农行, 农民, 父亲 … are understood too
            showInputMessage=True,
            promptTitle=column,
            prompt="可从下拉列表选择，也可填写常用简称（如 农行、农民、父亲）。",
        )
        dv.add(f"{target}2:{target}{last}")
        sheet.add_data_validation(dv)
    for i, column in enumerate(CSV_HEADER, 1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = 22 if "地址" in column or "证件号码" in column else 14
        fmt = "yyyy-mm-dd" if column in DATE_COLUMNS else "@" if column in ID_COLUMNS else None
        if fmt:
            for r in range(2, last + 1):
                sheet.cell(row=r, column=i).number_format = fmt
    help_sheet = book.create_sheet(HELP_SHEET)
    help_sheet.column_dimensions["A"].width = 110
    for line in HELP_LINES:
        help_sheet.append([line])
    help_sheet["A1"].font = Font(bold=True, size=14)
    for row in help_sheet.iter_rows():
        row[0].alignment = Alignment(wrap_text=False)
    book.save(str(path))
