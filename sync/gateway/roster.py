"""Import of a province card-holder extract (持卡人名册) into the gateway's catalogue.

`cardstation gateway roster import --db GW FILE`. The file is a CSV in UTF-8 (with or without
BOM) or GBK/GB18030 — what county offices export from Excel — and may hold a million rows, so it
is streamed: rows are read, checked and upserted in batches of `BATCH` in their own transaction,
and never held in memory together. Re-importing the same file changes nothing (an upsert that
only writes rows whose content differs, so versions and deltas do not churn). A bad row is
reported with its line number and the reason, in Chinese, and every other row is still imported.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from offline.codes import DOC_TYPES, ETHNICITY, code_by_name
from offline.protocols import CardstationError
from offline.validation.card_numbers import validate_card_number
from offline.validation.ids import ssn_birth_and_sex, validate_ssn
from sync.gateway import catalogue
from sync.gateway.db import GatewayStore, Lock

HEADER = (
    "社会保障号码",
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "证件类型",
    "证件号码",
    "联系电话",
    "常住地址",
    "社会保障卡卡号",
    "卡状态",
    "卡规范版本",
    "发卡银行",
    "发卡日期",
    "有效期至",
    "参保地区划",
)
BATCH = 2000
MAX_PROBLEMS = 10_000
SNIFF_BYTES = 1 << 20
SEX = {"男": "1", "1": "1", "女": "2", "2": "2", "未知": "9", "未说明": "9", "9": "9", "0": "9"}


class RosterFileError(CardstationError):
    """The file as a whole cannot be used (missing, wrong header, undecodable); Chinese."""


@dataclass
class RosterImportReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    bad: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)
    encoding: str = ""
    deltas: int = 0
    changed: int = 0
    refresh: bool = False  # too many changes for deltas: stations fetch a new snapshot instead

    def line_zh(self) -> str:
        return (
            f"名册导入完成（{self.encoding}）：新增 {self.imported} 行，更新 {self.updated} 行，"
            f"无变化 {self.unchanged} 行，有误 {self.bad} 行。"
        )


def sniff_encoding(path: Path) -> str:
    """'utf-8-sig' when the first MiB decodes as UTF-8, else 'gb18030' (a superset of GBK)."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _day(text: str, what: str) -> str:
    t = text.strip().replace("/", "-").replace(".", "-")
    if not t:
        return ""
    try:
        if len(t) == 8 and t.isdigit():
            return date(int(t[:4]), int(t[4:6]), int(t[6:])).isoformat()
        return date.fromisoformat(t[:10]).isoformat()
    except ValueError:
        raise ValueError(f"{what}“{text}”不是日期（应为 YYYYMMDD 或 YYYY-MM-DD）") from None


def _doc_type(text: str) -> str:
    t = text.strip()
    if not t or t in ("1", "01"):
        return "resident_id"
    if t in DOC_TYPES:
        return t
    code = code_by_name(DOC_TYPES, t)
    if code is None:
        raise ValueError(f"证件类型“{t}”无法识别（例如：居民身份证、户口簿、外国人永久居留身份证）")
    return code


def _ethnicity(text: str) -> str:
    t = text.strip()
    if not t:
        return ""
    if t in ETHNICITY:
        return t
    if t.isdigit() and t.zfill(2) in ETHNICITY:
        return t.zfill(2)
    code = code_by_name(ETHNICITY, t)
    if code is None:
        raise ValueError(f"民族“{t}”无法识别（填民族名称如“汉族”或两位代码如“01”）")
    return code


def parse_row(cells: list[str]) -> dict[str, str]:
    """One CSV row → a normalised catalogue row; ValueError with the Chinese reason."""
    if len(cells) != len(HEADER):
        raise ValueError(f"应有 {len(HEADER)} 列，实际 {len(cells)} 列")
    v = [c.strip() for c in cells]
    ssn = v[0].upper()
    problems = validate_ssn(ssn)
    if problems:
        raise ValueError(f"社会保障号码：{problems[0].message}")
    if not v[1]:
        raise ValueError("姓名为空")
    birth_from_ssn, sex_from_ssn = ssn_birth_and_sex(ssn)
    sex = SEX.get(v[2], "") if v[2] else sex_from_ssn
    if not sex:
        raise ValueError(f"性别“{v[2]}”无法识别（应为 男、女 或 1、2）")
    status_label = v[10]
    if status_label not in catalogue.CARD_STATUS_CODES:
        raise ValueError(f"卡状态“{status_label}”无效，应为：{'、'.join(catalogue.CARD_STATUS_CODES)}之一")
    number = v[9].upper()
    if number:
        bad = validate_card_number(number)
        if bad:
            raise ValueError(f"社会保障卡卡号：{bad[0].message}")
        if not v[12]:
            raise ValueError("发卡银行为空（有卡号的行须填写发卡银行）")
    elif status_label != "制卡中":
        raise ValueError("社会保障卡卡号为空（只有“制卡中”的行可以没有卡号）")
    region = v[15]
    if not (region.isascii() and region.isdigit() and len(region) == 6):
        raise ValueError(f"参保地区划“{region}”应为 6 位行政区划代码")
    return {
        "ssn": ssn,
        "name": v[1],
        "sex": sex,
        "ethnicity": _ethnicity(v[3]),
        "birth_date": _day(v[4], "出生日期") or birth_from_ssn.isoformat(),
        "doc_type": _doc_type(v[5]),
        "doc_number": v[6].upper() or ssn,
        "phone": v[7],
        "address": v[8],
        "card_number": number,
        "status": catalogue.CARD_STATUS_CODES[status_label],
        "spec_version": v[11],
        "bank": v[12],
        "issue_date": _day(v[13], "发卡日期"),
        "expiry_date": _day(v[14], "有效期至"),
        "region": region,
    }


def _rows(path: Path, encoding: str) -> Iterator[tuple[int, list[str]]]:
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        reader = csv.reader(text)
        try:
            header = next(reader, None)
            if header is None:
                raise RosterFileError(f"文件 {path} 是空的，没有表头。")
            got = tuple(h.strip().lstrip("\ufeff") for h in header)
            if got != HEADER:
                missing = [h for h in HEADER if h not in got]
                unknown = [h for h in got if h not in HEADER]
                detail = "；".join(
                    part
                    for part in (
                        f"缺少列：{'、'.join(missing)}" if missing else "",
                        f"多出列：{'、'.join(unknown)}" if unknown else "",
                        "列的顺序不对" if not missing and not unknown else "",
                    )
                    if part
                )
                raise RosterFileError(f"名册表头不对（{detail}）。表头应为：{','.join(HEADER)}")
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                yield reader.line_num, cells
        except UnicodeDecodeError as exc:
            raise RosterFileError(
                f"文件在第 {reader.line_num + 1} 行附近无法按 {encoding} 解码：请另存为 UTF-8 或 GBK 后重试。"
            ) from exc
        except csv.Error as exc:
            raise RosterFileError(f"第 {reader.line_num} 行 CSV 格式有误（{exc}）。") from exc


def import_roster(db: GatewayStore, path: Path, *, now: datetime | None = None) -> RosterImportReport:
    """Stream `path` into the catalogue (upsert); bad rows are reported, the others imported."""
    path = Path(path)
    if not path.is_file():
        raise RosterFileError(f"找不到文件 {path}。")
    at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    report = RosterImportReport(encoding=sniff_encoding(path))
    batch: list[tuple[int, list[str]]] = []
    for item in _rows(path, report.encoding):
        batch.append(item)
        if len(batch) >= BATCH:
            _write(db, batch, at, report)
            batch = []
    if batch:
        _write(db, batch, at, report)
    report.encoding = "UTF-8" if report.encoding.startswith("utf") else "GBK"
    if report.refresh:
        report.deltas += catalogue.publish_refresh(db, at)
    return report


def _write(db: GatewayStore, batch: list[tuple[int, list[str]]], at: str, report: RosterImportReport) -> None:
    with db.write(Lock.CATALOGUE) as conn:  # versions are handed out under it (catalogue.next_version)
        version = catalogue.current_version(conn)
        publish = conn.execute("SELECT 1 FROM station_areas LIMIT 1").fetchone() is not None
        changed: list[str] = []
        for line, cells in batch:
            try:
                row = parse_row(cells)
            except ValueError as exc:
                report.bad += 1
                if len(report.problems) < MAX_PROBLEMS:
                    report.problems.append((line, str(exc)))
                continue
            version += 1
            if row["card_number"]:
                key_sql, key = "SELECT 1 FROM holder_cards WHERE card_number = ?", row["card_number"]
            else:
                key_sql, key = "SELECT 1 FROM holders WHERE ssn = ?", row["ssn"]
            existed = conn.execute(key_sql, (key,)).fetchone() is not None
            person = {f: row[f] for f in catalogue.PERSON_FIELDS if f in row}
            did = catalogue.upsert_holder(conn, person, at, version)
            if row["card_number"]:
                card = {f: row[f] for f in catalogue.CARD_FIELDS}
                card_changed = catalogue.upsert_card(conn, {**card, "ssn": row["ssn"]}, at, version)
                if card_changed and not did:
                    conn.execute(
                        "UPDATE holders SET version = ?, updated_at = ? WHERE ssn = ?",
                        (version, at, row["ssn"]),
                    )
                did = did or card_changed
            if not existed:
                report.imported += 1
            elif did:
                report.updated += 1
            else:
                report.unchanged += 1
            if did:
                changed.append(row["ssn"])
        conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (catalogue.VERSION_KEY, str(version)),
        )
        report.changed += len(changed)
        if publish and changed and not report.refresh:
            if report.changed <= catalogue.DELTA_LIMIT:
                report.deltas += catalogue.publish(conn, dict.fromkeys(changed), at)
            else:
                report.refresh = True
