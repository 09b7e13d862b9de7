"""Batch lists as a village assistant brings them (R-APP-9, R-APP-1, R-APP-2, R-APP-6), through the real CLI.

An .xlsx written by openpyxl (date cells stored as Excel serial numbers, a serial number in a cell
without a date format, an ID number Excel turned into a number), a GBK CSV written by the csv
module with serial dates, the words people use (农民, 父亲, 农行, 2020.01.01, 长期, 138-1234-5678),
a photo folder named by ID numbers, a PNG photo and a heavy JPEG fixed on the way, a rare-
character applicant with a mailing address — and an import killed half-way, then run again.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from offline.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from test_batch import CARDSTATION, row, ssn, station  # noqa: F401  (station is a fixture)

from offline.services.batch import CSV_HEADER


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CARDSTATION), "apply", *args, "--as", "op1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def db_rows(db: Path, sql: str, params: Any = ()) -> list[sqlite3.Row]:
    """Rows read through the store's own factory (the store `init` made is encrypted)."""
    store = Store.open(db, migrate=False)
    try:
        return list(store.query(sql, params))
    finally:
        store.close()


def portrait_bytes(w: int, h: int, fmt: str, *, noise: int = 3000, quality: int = 90) -> bytes:
    """A head-and-shoulders picture on white, larger than 358×441 (to be cropped and re-encoded)."""
    import random

    rng = random.Random(w * h)
    img = Image.new("RGB", (w, h), (255, 255, 255))
    d = ImageDraw.Draw(img)
    cx, hw = w // 2, min(w, h) // 6
    d.ellipse((cx - hw, h // 5, cx + hw, h // 5 + int(hw * 2.6)), fill=(200, 160, 130))
    d.rectangle((cx - 2 * hw, h * 6 // 10, cx + 2 * hw, h), fill=(40, 40, 90))
    for _ in range(noise):
        x, y = rng.randrange(cx - 2 * hw, cx + 2 * hw), rng.randrange(h // 5, h)
        c = rng.randrange(40, 200)
        d.rectangle((x, y, x + 3, y + 3), fill=(c, c // 2 + 20, c // 3))
    buf = io.BytesIO()
    img.save(buf, fmt, **(dict[str, Any](quality=quality) if fmt == "JPEG" else {}))
    return buf.getvalue()


GIVEN = "伟芳娜敏静丽强磊洋勇艳杰娟涛明超秀霞平刚桂英"


def village_row(seed: int, **over: str) -> dict[str, str]:
    """A row the way people write it (not the standard names); the name is unique per seed."""
    r = row(seed, name="赵" + GIVEN[seed // len(GIVEN) % len(GIVEN)] + GIVEN[seed % len(GIVEN)])
    r.update(
        性别="男" if int(r["证件号码"][16]) % 2 else "女",
        民族="汉",
        国籍="中华人民共和国",
        证件类型="身份证",
        证件有效期起="2020.01.01",
        证件有效期止="长期",
        职业="农民",
        联系电话=f"138-0000-{seed:04d}",
        发卡银行="农行",
    )
    r["证件号码"] = r["证件号码"][:6] + " " + r["证件号码"][6:14] + " " + r["证件号码"][14:].lower()
    r.update(over)
    return dict(r)


def test_R_APP_9_xlsx_from_a_spreadsheet_program(
    station: tuple[Path, dict[str, str]],  # noqa: F811
    tmp_path: Path,
    photo: bytes,
) -> None:
    from openpyxl import Workbook

    db, env = station
    (tmp_path / "照片").mkdir()
    parent = ssn(950, 36)
    rows = [
        village_row(1100),  # 1: accepted, every value understood
        village_row(1101, 证件有效期止="2040/1/1", 职业="离退休", 发卡银行="邮储"),  # 2
        village_row(1102, 照片=""),  # 3: photo found by ID number in 照片/, a PNG, fixed
        village_row(1103, 照片="heavy.jpg"),  # 4: a 1200×1600 JPEG over 40 KB, fixed
        village_row(
            1104, 姓名="王𠈌", 邮寄地址="湖南省长沙市芙蓉区五一大道100号", 邮政编码="410011"
        ),  # 5: R-APP-6
        village_row(1105),  # 6: ID number typed into a number cell: digits lost
        village_row(1106, 职业="种植"),  # 7: not understood, choices named
        village_row(
            1107, 照片="", 监护人姓名="刘大", 监护人证件类型="身份证", 监护人证件号码=parent, 监护关系="父亲"
        ),  # 8: child (age 3, see below), cartoon card, guardian 父亲
    ]
    rows[7]["证件号码"] = ssn(1107, 3)
    rows[7]["性别"] = "男" if int(rows[7]["证件号码"][16]) % 2 else "女"
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(list(CSV_HEADER))
    for i, r in enumerate(rows):
        cells: list[Any] = [r.get(c, "") for c in CSV_HEADER]
        if i in (0, 2, 3, 4, 7):
            cells[CSV_HEADER.index("证件有效期起")] = datetime(2020, 1, 1)  # a date cell (serial + format)
        if i == 1:
            cells[CSV_HEADER.index("证件有效期起")] = 43831  # a serial number without a date format
        if i == 5:
            cells[CSV_HEADER.index("证件号码")] = int(r["证件号码"].replace(" ", "").upper().rstrip("X") or 0)
        ws.append(cells)
    path = tmp_path / "名单.xlsx"
    book.save(path)
    assert path.read_bytes()[:2] == b"PK"
    (tmp_path / "photo.jpg").write_bytes(photo)
    (tmp_path / "heavy.jpg").write_bytes(portrait_bytes(1200, 1600, "JPEG", noise=12000, quality=97))
    assert (tmp_path / "heavy.jpg").stat().st_size > 40 * 1024
    number3 = rows[2]["证件号码"].replace(" ", "").upper()
    (tmp_path / "照片" / f"{number3}.png").write_bytes(portrait_bytes(800, 1000, "PNG"))

    done = cli(env, "--file", str(path), "--json")
    assert done.returncode == 0, done.stderr
    out = [json.loads(x) for x in done.stdout.splitlines()]
    status = {o["row"]: o["status"] for o in out}
    assert status == {
        1: "accepted",
        2: "accepted",
        3: "accepted",
        4: "accepted",
        5: "accepted",
        6: "rejected",
        7: "rejected",
        8: "accepted",
    }, out
    by = {o["row"]: o for o in out}
    assert any("照片按证件号码匹配" in n for n in by[3]["notes"])
    assert any("照片已自动调整" in n and "PNG" in n for n in by[3]["notes"])
    assert any("照片已自动调整" in n for n in by[4]["notes"]) and "照片已自动调整" in by[4]["message"]
    assert "15 位" in by[6]["message"] and "文本" in by[6]["message"]
    assert "公民身份号码" not in by[6]["message"]  # one message for the cell, not two
    assert "您是不是要填：" in by[7]["message"] and "农业生产人员" in by[7]["message"]
    assert any(n == "职业“农民”→5-01 农业生产人员" for n in by[1]["notes"])
    persons = {r["name"]: r for r in db_rows(db, "SELECT * FROM persons")}
    first = persons[rows[0]["姓名"]]
    assert (first["occupation"], first["phone"], first["doc_valid_from"], first["doc_valid_to"]) == (
        "5010000",
        "13800001100",
        "2020-01-01",
        "",
    )
    assert persons[rows[1]["姓名"]]["doc_valid_from"] == "2020-01-01"  # from serial 43831
    assert persons[rows[1]["姓名"]]["occupation"] == "8000000"
    assert persons["王𠈌"]["name_rare"] == 1
    banks = {r["bank"] for r in db_rows(db, "SELECT bank FROM applications")}
    assert banks <= {"中国农业银行", "中国邮政储蓄银行"}
    details = [json.loads(r["details"]) for r in db_rows(db, "SELECT details FROM businesses")]
    assert sum(d["photo_adjusted"] for d in details if d["ssn"] in (number3,)) == 1


def test_R_APP_9_gbk_csv_with_serial_dates(
    station: tuple[Path, dict[str, str]],  # noqa: F811
    tmp_path: Path,
    photo: bytes,
) -> None:
    db, env = station
    serial_2040 = str((date(2040, 1, 1) - date(1899, 12, 30)).days)  # Excel's day count
    rows = [village_row(1200 + i, 证件有效期起="43831", 证件有效期止=serial_2040) for i in range(3)]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(CSV_HEADER), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    path = tmp_path / "gbk.csv"
    path.write_bytes(buf.getvalue().encode("gbk"))
    (tmp_path / "photo.jpg").write_bytes(photo)
    done = cli(env, "--csv", str(path))
    assert done.returncode == 0, done.stderr
    assert "受理 3 行" in done.stdout, done.stdout
    got = db_rows(db, "SELECT doc_valid_from, doc_valid_to FROM persons WHERE name = ?", (rows[0]["姓名"],))
    assert (got[0]["doc_valid_from"], got[0]["doc_valid_to"]) == (
        "2020-01-01",
        "2040-01-01",
    )


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl+C"])
def test_R_APP_9_killed_import_printed_every_committed_row_and_rerun_skips_them(
    station: tuple[Path, dict[str, str]],  # noqa: F811
    tmp_path: Path,
    photo: bytes,
    stop: signal.Signals,
) -> None:
    db, env = station
    base = 1300 if stop == signal.SIGTERM else 1800
    rows = [village_row(base + i, 照片="heavy.jpg") for i in range(16)]  # photo fixing slows each row
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(CSV_HEADER), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    path = tmp_path / "kill.csv"
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    (tmp_path / "heavy.jpg").write_bytes(portrait_bytes(1600, 2000, "JPEG", noise=20000, quality=97))
    names = {r["姓名"] for r in rows}

    def committed() -> set[str]:
        marks = ",".join("?" * len(names))
        found = db_rows(
            db,
            f"SELECT p.name FROM applications a JOIN persons p ON p.id = a.person_id WHERE p.name IN ({marks})",
            tuple(names),
        )
        return {r["name"] for r in found}

    proc = subprocess.Popen(
        [str(CARDSTATION), "apply", "--file", str(path), "--as", "op1", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    printed = [json.loads(proc.stdout.readline()) for _ in range(3)]
    proc.send_signal(stop)
    rest, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    if stop == signal.SIGINT:
        assert "已中断" in err and proc.returncode == 130
    printed += [json.loads(x) for x in rest.splitlines() if x.startswith("{")]
    assert proc.returncode != 0 and len(printed) < len(rows), "the import was not interrupted"
    shown = {o["name"] for o in printed if o["status"] == "accepted"}
    assert shown == committed()  # every committed row was printed, and nothing else

    again = cli(env, "--file", str(path), "--json")
    assert again.returncode == 0, again.stderr
    out = [json.loads(x) for x in again.stdout.splitlines()]
    skipped = {o["name"] for o in out if o["status"] == "skipped"}
    assert skipped == shown
    assert all("本次跳过" in o["message"] and o["receipt"] for o in out if o["status"] == "skipped")
    assert {o["status"] for o in out if o["name"] not in shown} == {"accepted"}
    assert committed() == names
    count = db_rows(
        db,
        "SELECT COUNT(*) AS n FROM businesses WHERE json_extract(details, '$.batch_ref') IS NOT NULL AND json_extract(details, '$.name') IN ({})".format(
            ",".join("?" * len(names))
        ),
        tuple(names),
    )
    assert count[0]["n"] == len(rows)  # nothing committed twice

    text = cli(env, "--file", str(path))
    assert f"跳过 {len(rows)} 行" in text.stdout, text.stdout


def test_R_APP_9_progress_bar_on_a_terminal_rows_on_stdout(
    station: tuple[Path, dict[str, str]],  # noqa: F811
    tmp_path: Path,
    photo: bytes,
) -> None:
    """stderr is a terminal: a bar is drawn there; stdout still gets one line per row as it is committed."""
    import pty

    _db, env = station
    rows = [village_row(1400 + i) for i in range(3)]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(CSV_HEADER), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    path = tmp_path / "bar.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    (tmp_path / "photo.jpg").write_bytes(photo)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [str(CARDSTATION), "apply", "--file", str(path), "--as", "op1"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        text=True,
        env=env,
    )
    os.close(slave)
    out, _ = proc.communicate(timeout=120)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    bar = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, bar
    assert "1/3]" not in bar and "] 1/3" in bar and "] 3/3" in bar
    lines = [x for x in out.splitlines() if "已受理" in x]
    assert len(lines) == 3 and "受理 3 行" in out


def test_R_APP_9_headers_as_people_write_them(tmp_path: Path) -> None:
    """身份证号, 手机号, 邮编, *姓名, full-width brackets: the columns are recognised; .xls is named."""

    from offline.services.batch import BatchFileError, parse_csv_bytes

    renamed = {
        "姓名": "*姓名",
        "证件号码": "身份证号",
        "联系电话": "手机号",
        "邮政编码": "邮编",
        "国籍": "国籍／地区",
    }
    header = [renamed.get(c, c) for c in CSV_HEADER]
    r = village_row(1500, 照片="")
    line = ",".join(r.get(c, "") for c in CSV_HEADER)
    (got,) = parse_csv_bytes((",".join(header) + "\r\n" + line + "\r\n").encode("gbk"), base_dir=tmp_path)
    assert got.name == r["姓名"]
    assert got.application is not None and got.application.person.phone == "13800001500"
    with pytest.raises(BatchFileError, match="另存为"):
        parse_csv_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 600, base_dir=tmp_path)


def test_R_APP_9_oversized_lists_refused_before_any_row(tmp_path: Path, monkeypatch: Any) -> None:
    """Too many rows, or an .xlsx that would unpack to hundreds of MB: a file error, nothing built."""
    import zipfile

    from offline.services import batch, batch_files
    from offline.services.batch import BatchFileError, parse_csv_bytes

    monkeypatch.setattr(batch, "MAX_ROWS", 2)
    monkeypatch.setattr(batch_files, "MAX_UNPACKED", 1024 * 1024)
    line = ",".join(village_row(1600).get(c, "") for c in CSV_HEADER)
    data = (",".join(CSV_HEADER) + "\r\n" + (line + "\r\n") * 3).encode("utf-8")
    with pytest.raises(BatchFileError, match="超过 2 行"):
        parse_csv_bytes(data, base_dir=tmp_path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (batch_files.MAX_UNPACKED + 1))
    with pytest.raises(BatchFileError, match="解压后超过"):
        parse_csv_bytes(buf.getvalue(), base_dir=tmp_path)


def test_R_APP_9_xlsx_template_has_dropdowns_and_instructions_and_imports(
    station: tuple[Path, dict[str, str]],  # noqa: F811
    tmp_path: Path,
    photo: bytes,
) -> None:
    """The template the CLI writes: a dropdown per coded column (the station's banks), Chinese
    instructions, mailing-address and postcode columns; filled in and saved, it imports."""
    from openpyxl import load_workbook

    _db, env = station
    path = tmp_path / "模板.xlsx"
    made = subprocess.run(
        [str(CARDSTATION), "apply", "--template", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert made.returncode == 0 and "Excel 模板" in made.stdout, made.stderr
    book = load_workbook(path)
    sheet = book["申领名单"]
    header = [c.value for c in sheet[1]]
    assert header == list(CSV_HEADER) and "邮寄地址" in header and "邮政编码" in header
    covered = {
        str(rng).split(":")[0].rstrip("0123456789")
        for dv in sheet.data_validations.dataValidation
        for rng in dv.sqref.ranges
    }
    letters = {h: chr(ord("A") + i) for i, h in enumerate(header)}
    coded = ("性别", "民族", "国籍", "证件类型", "职业", "发卡银行", "监护人证件类型", "监护关系")
    assert covered == {letters[c] for c in coded}
    lists = book["代码表"]
    banks = [lists.cell(row=r, column=6).value for r in range(2, 20) if lists.cell(row=r, column=6).value]
    assert "湖南省农村信用社" in banks and "汉口银行" not in banks  # the station's province
    assert book["代码表"].sheet_state == "hidden"
    assert any("自动识别" in str(r[0].value) for r in book["填写说明"].iter_rows())
    r = village_row(1700)
    sheet.append([r.get(c, "") for c in CSV_HEADER])
    book.save(path)
    (tmp_path / "photo.jpg").write_bytes(photo)
    done = cli(env, "--file", str(path), "--json")
    assert done.returncode == 0, done.stderr
    (row_out,) = [json.loads(x) for x in done.stdout.splitlines()]
    assert row_out["status"] == "accepted", row_out


def test_R_APP_9_damaged_xlsx_is_a_file_error(tmp_path: Path) -> None:
    """Flipped bytes or a truncated sheet inside a real .xlsx: BatchFileError, never another exception."""
    import contextlib
    import random
    import zipfile

    from openpyxl import Workbook

    from offline.services.batch import BatchFileError, parse_csv_bytes

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(list(CSV_HEADER))
    ws.append([village_row(1900).get(c, "") for c in CSV_HEADER])
    buf = io.BytesIO()
    book.save(buf)
    good = buf.getvalue()
    rng = random.Random(12)
    for _ in range(60):
        damaged = bytearray(good)
        for _ in range(rng.randrange(1, 12)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        with contextlib.suppress(BatchFileError):  # anything else fails the test
            parse_csv_bytes(bytes(damaged), base_dir=tmp_path)
    cut = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(cut, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, data[: len(data) // 2] if "sheet1" in info.filename else data)
    with pytest.raises(BatchFileError, match="无法打开"):
        parse_csv_bytes(cut.getvalue(), base_dir=tmp_path)
