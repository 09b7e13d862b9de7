"""Batch application (R-APP-9): CSV in UTF-8/BOM/GBK, per-row outcomes, and the `cardstation apply` CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
from pathlib import Path

import pytest

from offline.business import ServiceContext
from offline.services.batch import (
    CSV_HEADER,
    BatchFileError,
    apply_batch,
    parse_csv_bytes,
    read_batch_csv,
    write_template,
)
from offline.store import Store
from tests.helpers import one

ROOT = Path(__file__).resolve().parents[3]
CARDSTATION = ROOT / ".venv" / "bin" / "cardstation"


def ssn(seed: int, age: int) -> str:
    from offline.validation.ids import ssn_check_digit

    rng = random.Random(seed)
    first17 = (
        f"430102{2026 - age}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(100, 999):03d}"
    )
    return first17 + ssn_check_digit(first17)


def sex_of(number: str) -> str:
    return "男" if int(number[16]) % 2 else "女"


def row(seed: int, *, name: str = "", age: int = 40, **over: str) -> dict[str, str]:
    number = ssn(seed, age)
    r = {
        "姓名": name or f"刘{'一二三四五六七八九十'[seed % 10]}军",
        "性别": sex_of(number),
        "民族": "汉族",
        "国籍": "中国",
        "证件类型": "居民身份证",
        "证件号码": number,
        "证件有效期起": "2020-01-01",
        "证件有效期止": "2040-01-01",
        "职业": "不便分类的其他从业人员",
        "户口所在地地址": "湖南省长沙市芙蓉区五一大道100号",
        "常住所在地地址": "湖南省长沙市芙蓉区五一大道100号",
        "联系电话": f"1380000{seed:04d}",
        "发卡银行": "中国农业银行",
        "照片": "photo.jpg",
        "监护人姓名": "",
        "监护人证件类型": "",
        "监护人证件号码": "",
        "监护关系": "",
    }
    r.update(over)
    return r


def mixed_rows() -> list[dict[str, str]]:
    """12 rows: 5 good, 7 bad for different reasons (expected outcome in the comment)."""
    parent = ssn(900, 35)
    good = row(1)
    bad_check = row(4)
    bad_check["证件号码"] = bad_check["证件号码"][:17] + ("0" if bad_check["证件号码"][17] != "0" else "1")
    return [
        good,  # 1 accepted
        row(2),  # 2 accepted
        row(
            3,
            age=3,
            照片="",
            监护人姓名="刘父亲",
            监护人证件类型="居民身份证",
            监护人证件号码=parent,
            监护关系="父母",
        ),  # 3 accepted: child, cartoon card (R-APP-2, R-ID-5)
        bad_check,  # 4 rejected R-ID-3
        row(5, 发卡银行="某某村镇银行"),  # 5 rejected R-APP-4
        row(6, 民族="火星族"),  # 6 rejected R-APP-9 (unknown name)
        dict(good),  # 7 rejected R-APP-3 (same person as row 1)
        row(8, 照片="missing.jpg"),  # 8 rejected: no such photo file
        row(9, 照片=""),  # 9 rejected R-APP-2 (adult without photo)
        row(10, 证件类型="外国护照", 证件号码="E12345678"),  # 10 rejected: not in batch layout
        row(11, 证件有效期起="2020/13/45"),  # 11 rejected: bad date
        row(12, age=55, 证件有效期止="长期"),  # 12 accepted: open-ended ID over 46
    ]


EXPECTED = {
    1: "accepted",
    2: "accepted",
    3: "accepted",
    4: "rejected",
    5: "rejected",
    6: "rejected",
    7: "rejected",
    8: "rejected",
    9: "rejected",
    10: "rejected",
    11: "rejected",
    12: "accepted",
}


def write_csv(path: Path, rows: list[dict[str, str]], *, encoding: str, photo: bytes) -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(CSV_HEADER), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    (path.parent / "photo.jpg").write_bytes(photo)
    return path


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "utf-8"])
def test_R_APP_9_mixed_batch_each_row_on_its_own(
    ctx: ServiceContext, tmp_path: Path, photo: bytes, encoding: str
) -> None:
    path = write_csv(tmp_path / "list.csv", mixed_rows(), encoding=encoding, photo=photo)
    rows = read_batch_csv(path)
    assert len(rows) == 12
    outcomes = apply_batch(ctx, rows)
    assert {o.row: o.status for o in outcomes} == EXPECTED
    by_row = {o.row: o for o in outcomes}
    assert "R-ID-3" in by_row[4].rules and "R-APP-4" in by_row[5].rules and "R-APP-9" in by_row[6].rules
    assert by_row[7].rules == ["R-APP-3"] and by_row[1].receipt in by_row[7].message
    assert "R-APP-2" in by_row[9].rules and "窗口" in by_row[10].message
    accepted = [o for o in outcomes if o.status == "accepted"]
    assert all(o.receipt for o in accepted) and len({o.receipt for o in accepted}) == 4
    assert one(ctx.store, "SELECT COUNT(*) FROM businesses")[0] == 4
    assert (
        one(ctx.store, "SELECT COUNT(*) FROM applications WHERE channel = 'batch' AND mode = 'batch'")[0] == 4
    )
    child = one(ctx.store, "SELECT details FROM businesses WHERE receipt_no = ?", (by_row[3].receipt,))[0]
    assert json.loads(child)["cartoon"] is True


def test_R_APP_9_progress_reported_per_row(ctx: ServiceContext, tmp_path: Path, photo: bytes) -> None:
    path = write_csv(tmp_path / "l.csv", mixed_rows()[:3], encoding="utf-8", photo=photo)
    seen: list[tuple[int, int]] = []
    apply_batch(ctx, read_batch_csv(path), progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_R_APP_9_wrong_header_names_missing_and_unknown_columns(tmp_path: Path) -> None:
    header = [c for c in CSV_HEADER if c != "发卡银行"] + ["备注"]
    with pytest.raises(BatchFileError) as exc:
        parse_csv_bytes(",".join(header).encode("utf-8"), base_dir=tmp_path)
    assert exc.value.missing == ("发卡银行",) and exc.value.unknown == ("备注",)
    assert "发卡银行" in exc.value.message_zh and "备注" in exc.value.message_zh
    with pytest.raises(BatchFileError):
        parse_csv_bytes(b"", base_dir=tmp_path)


def test_template_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_template(path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_batch_csv(path) == []


# --------------------------------------------------------------------------- the CLI, through a subprocess


def run_cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CARDSTATION), *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """An initialised station with an operator and (test) sealing keys pinned."""
    if not (ROOT / "cardstation" / "sealing.py").exists():
        pytest.skip("cardstation/sealing.py is not in the tree yet")
    db = tmp_path_factory.mktemp("cli") / "station.db"
    env = {
        **os.environ,
        "CARDSTATION_DB": str(db),
        "CARDSTATION_ADMIN_PASSWORD": "Admin#2026pass",
        "CARDSTATION_PASSWORD": "Admin#2026pass",
        "CARDSTATION_NEW_PASSWORD": "Oper#2026pass",
    }
    done = run_cli(
        "init",
        "--province",
        "hunan",
        "--service-point",
        "43010200100100001",
        "--admin",
        "admin",
        "--admin-name",
        "张管理",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    added = run_cli(
        "operator", "add", "--as", "admin", "--name", "王经办", "--role", "operator", "op1", env=env
    )
    assert added.returncode == 0, added.stderr
    _pin_test_keys(db)
    return db, {**env, "CARDSTATION_PASSWORD": "Oper#2026pass"}


def _pin_test_keys(db: Path) -> None:
    """Enrol the station offline with fresh test keys (the gateway enrolment is sync's own test)."""
    from offline.station import station_info
    from sync import keys
    from sync.suite import b64
    from sync.testing import fresh_keys

    store = Store.open(db)
    info = station_info(store)
    assert info is not None
    test_keys = fresh_keys(info.station_id)
    keys.save_identity(store, station_id=info.station_id, private_key=test_keys.station_private)
    server = {
        "key_id": test_keys.server_key_id,
        "public_key": b64(test_keys.server_public),
        "not_after": test_keys.not_after,
    }
    with store.write() as conn:
        store.set_setting(conn, keys.S_SERVER_KEYS, json.dumps([server]))
    store.close()


def test_cli_template_to_stdout() -> None:
    done = subprocess.run(
        [str(CARDSTATION), "apply", "--template"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert done.stdout.strip().split(",") == list(CSV_HEADER)


def test_cli_R_APP_9_json_outcomes_per_row(
    station: tuple[Path, dict[str, str]], tmp_path: Path, photo: bytes
) -> None:
    _db, env = station
    path = write_csv(tmp_path / "gbk.csv", mixed_rows(), encoding="gbk", photo=photo)
    done = run_cli("apply", "--csv", str(path), "--as", "op1", "--json", env=env)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [x["row"] for x in lines] == list(range(1, 13))
    assert {x["row"]: x["status"] for x in lines} == EXPECTED
    assert all(set(x) >= {"row", "status", "receipt", "rules", "message", "notes"} for x in lines)
    assert "R-APP-4" in lines[4]["rules"]


def test_cli_text_summary_and_bad_header(
    station: tuple[Path, dict[str, str]], tmp_path: Path, photo: bytes
) -> None:
    _db, env = station
    rows = [row(300 + i) for i in range(2)]
    path = write_csv(tmp_path / "ok.csv", rows, encoding="utf-8-sig", photo=photo)
    done = run_cli("apply", "--csv", str(path), "--as", "op1", env=env)
    assert done.returncode == 0, done.stderr
    assert "受理 2 行" in done.stdout and "已受理" in done.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,性别\n张三,男\n", encoding="utf-8")
    refused = run_cli("apply", "--csv", str(bad), "--as", "op1", env=env)
    assert refused.returncode != 0 and "缺少列" in refused.stderr and "发卡银行" in refused.stderr


def test_cli_wrong_password_refused(
    station: tuple[Path, dict[str, str]], tmp_path: Path, photo: bytes
) -> None:
    _db, env = station
    path = write_csv(tmp_path / "one.csv", [row(500)], encoding="utf-8", photo=photo)
    done = run_cli("apply", "--csv", str(path), "--as", "op1", env={**env, "CARDSTATION_PASSWORD": "wrong"})
    assert done.returncode == 1 and "错误" in done.stderr
