"""Province extract import (gateway) and roster rows at the station: what could go wrong, checked."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from offline.roster import apply_rows
from offline.store import Store
from sync.gateway import catalogue
from sync.gateway.db import GatewayStore
from sync.gateway.roster import HEADER, RosterFileError, import_roster
from sync.gateway.roster_sample import write_roster_csv


def _rows(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.reader(fh))


def test_gbk_file_with_bad_rows_reports_line_and_reason_and_imports_the_rest(
    tmp_path: Path, gateway_store: Callable[[Path], GatewayStore]
) -> None:
    src = tmp_path / "r.csv"
    write_roster_csv(src, 10, seed=1)
    rows = _rows(src)
    rows[2][0] = rows[2][0][:17] + ("0" if rows[2][0][17] != "0" else "1")  # wrong check digit
    rows[4][10] = "丢失"  # not a 卡状态
    rows[6][15] = "4301"  # region too short
    gbk = tmp_path / "gbk.csv"
    with gbk.open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows(rows)
    db = gateway_store(tmp_path)
    report = import_roster(db, gbk)
    assert (report.encoding, report.imported, report.bad) == ("GBK", 7, 3)
    lines = dict(report.problems)
    assert set(lines) == {3, 5, 7}
    assert "社会保障号码" in lines[3] and "正常、临时挂失" in lines[5] and "参保地区划" in lines[7]
    assert db.one("SELECT COUNT(*) FROM holders")[0] == 7


def test_reimport_is_an_upsert_and_a_changed_status_is_an_update(
    tmp_path: Path, gateway_store: Callable[[Path], GatewayStore]
) -> None:
    src = tmp_path / "r.csv"
    write_roster_csv(src, 20, seed=2)
    db = gateway_store(tmp_path)
    assert import_roster(db, src).imported == 20
    rows = _rows(src)
    rows[1][10] = "正式挂失" if rows[1][10] != "正式挂失" else "正常"
    with (tmp_path / "bom.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    again = import_roster(db, tmp_path / "bom.csv")
    assert (again.imported, again.updated, again.unchanged, again.encoding) == (0, 1, 19, "UTF-8")
    assert db.one("SELECT COUNT(*) FROM holder_cards")[0] == 20


def test_wrong_header_names_the_columns(
    tmp_path: Path, gateway_store: Callable[[Path], GatewayStore]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(reversed(HEADER)) + "\n", encoding="utf-8")
    with pytest.raises(RosterFileError, match="列的顺序不对"):
        import_roster(gateway_store(tmp_path), bad)


def test_deltas_go_only_to_stations_whose_area_covers_the_holder(
    tmp_path: Path, gateway_store: Callable[[Path], GatewayStore]
) -> None:
    src = tmp_path / "r.csv"
    first = write_roster_csv(src, 10, regions=("430121", "430181"), seed=4)
    db = gateway_store(tmp_path)
    import_roster(db, src)
    catalogue.set_area(db, "S1", ["430121"])
    catalogue.set_area(db, "S2", ["4301"])
    target = next(r for r in first if r["参保地区划"] == "430181")
    done = catalogue.set_card_status(db, target["社会保障卡卡号"], "临时挂失", "2026-03-02T09:00:00+00:00")
    assert done["stations"] == 1
    queued = db.query("SELECT station_id, kind FROM updates")
    assert [(r["station_id"], r["kind"]) for r in queued] == [("S2", "roster_holder")]


def _row(version: int, status: str) -> dict[str, str]:
    return {
        "ssn": "11010519491231002X", "name": "张三", "sex": "1", "ethnicity": "01",
        "birth_date": "1949-12-31", "doc_type": "resident_id", "doc_number": "11010519491231002X",
        "phone": "", "address": "", "region": "430121", "person_status": "active",
        "card_number": "A00000013", "status": status, "spec_version": "3.0", "bank": "中国银行",
        "issue_date": "2020-01-01", "expiry_date": "2030-01-01",
        "person_version": str(version), "card_version": str(version),
    }  # fmt: skip


def test_an_older_delta_never_moves_a_card_back(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "st.db")
    with store.write() as conn:
        apply_rows(conn, [_row(5, "lost")], "t1")
        counts = apply_rows(conn, [_row(3, "normal")], "t2")
    assert counts["skipped"] == 1
    assert store.one("SELECT status FROM cards")[0] == "lost"  # type: ignore[index]
    with store.write() as conn:
        apply_rows(conn, [_row(6, "pin_locked")], "t3")
    card = store.one("SELECT status, pin_locked, source FROM cards")
    assert tuple(card) == ("issued", 1, "catalogue")  # type: ignore[arg-type]
    moves = store.query("SELECT from_status, to_status FROM card_moves")
    assert [tuple(m) for m in moves] == [("lost", "issued")]


def test_a_card_signed_in_here_stays_in_stock_when_the_catalogue_says_waiting(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "st.db")
    with store.write() as conn:
        apply_rows(conn, [_row(1, "ready")], "t1")
        conn.execute("UPDATE cards SET status = 'arrived'")
        apply_rows(conn, [_row(2, "ready")], "t2")
    assert store.one("SELECT status FROM cards")[0] == "arrived"  # type: ignore[index]


def test_R_INFO_2_an_information_change_reaches_the_other_stations_only(
    tmp_path: Path, gateway_store: Callable[[Path], GatewayStore]
) -> None:
    src = tmp_path / "r.csv"
    first = write_roster_csv(src, 5, regions=("430121",), seed=6)
    db = gateway_store(tmp_path)
    import_roster(db, src)
    catalogue.set_area(db, "S1", ["430121"])
    catalogue.set_area(db, "S2", ["430121"])
    ssn = first[0]["社会保障号码"]
    record = {
        "item": "info_change",
        "details": {"ssn": ssn, "changes": {"phone": {"old": "1", "new": "13900000000"}}},
    }
    with db.write() as conn:
        catalogue.on_business(conn, "S1", record, "2026-03-02T09:00:00+00:00")
    assert db.one("SELECT phone FROM holders WHERE ssn = ?", (ssn,))[0] == "13900000000"
    queued = db.query("SELECT station_id, payload FROM updates")
    assert [r["station_id"] for r in queued] == ["S2"] and "13900000000" in queued[0]["payload"]


def test_R_TRF_1_a_transfer_reaches_the_stations_of_the_new_and_the_old_region(
    tmp_path: Path, gateway_store: Callable[[Path], GatewayStore]
) -> None:
    src = tmp_path / "r.csv"
    first = write_roster_csv(src, 5, regions=("430121",), seed=8)
    db = gateway_store(tmp_path)
    import_roster(db, src)
    catalogue.set_area(db, "OLD", ["430121"])
    catalogue.set_area(db, "NEW", ["430181"])
    catalogue.set_area(db, "ELSE", ["4302"])
    ssn = first[0]["社会保障号码"]
    record = {"item": "transfer", "details": {"ssn": ssn, "old_region": "430121", "new_region": "430181"}}
    with db.write() as conn:
        catalogue.on_business(conn, "THIS", record, "2026-03-02T09:00:00+00:00")
    assert db.one("SELECT region FROM holders WHERE ssn = ?", (ssn,))[0] == "430181"
    assert sorted(r["station_id"] for r in db.query("SELECT station_id FROM updates")) == ["NEW", "OLD"]
