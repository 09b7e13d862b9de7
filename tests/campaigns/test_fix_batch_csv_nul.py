"""Regression: a NUL byte in the photo cell of a batch CSV raised ValueError (fuzz campaign).

`parse_csv_bytes` must turn every unusable cell into a per-row problem (R-APP-9: each person
checked one by one, the batch goes on); `Path.resolve()` raises ValueError on an embedded NUL.
"""

from __future__ import annotations

from pathlib import Path

from offline.services.batch import CSV_HEADER, parse_csv_bytes


def test_R_APP_9_nul_byte_in_photo_cell_is_a_row_problem_not_an_exception(tmp_path: Path) -> None:
    cells = ["" for _ in CSV_HEADER]
    cells[CSV_HEADER.index("照片")] = "pho\x00to.jpg"
    cells[CSV_HEADER.index("姓名")] = "张三"
    data = (",".join(CSV_HEADER) + "\r\n" + ",".join(cells) + "\r\n").encode("utf-8")
    (row,) = parse_csv_bytes(data, base_dir=tmp_path)
    assert row.application is None
    assert any(p.field == "照片" and "不可见字符" in p.message for p in row.problems), row.problems
