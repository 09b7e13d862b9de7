"""The batch list's layout: its columns, which are optional, and the error for an unusable file.

Shared by the readers (`batch_files`: CSV and .xlsx, templates) and the row builder (`batch`), so
the columns are declared once. The column names are the provincial form's own words.
"""

from __future__ import annotations

from offline.errors import CardstationError, Problem

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


class BatchFileError(CardstationError):
    """The file itself cannot be used (encoding, header): nothing was imported."""

    def __init__(
        self, message_zh: str, *, missing: tuple[str, ...] = (), unknown: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message_zh)
        self.missing = missing
        self.unknown = unknown


#: Columns whose spreadsheet cells are dates (serial numbers in .xlsx) and long numbers kept as text.
DATE_COLUMNS = ("证件有效期起", "证件有效期止")
ID_COLUMNS = ("证件号码", "监护人证件号码", "联系电话", "邮政编码")


def row_problem(column: str, message: str, fix: str, rule: str = "R-APP-9") -> Problem:
    """A problem of one cell of a row, labelled with its column."""
    return Problem(column, rule, message, fix, column)
