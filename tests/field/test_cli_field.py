"""`cardstation delivery …` and `cardstation report daily` against a real station store file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cardstation.cli import main
from sync import keys
from sync.gateway.app import Gateway, GatewayConfig
from tests.field.conftest import PASSWORD, VILLAGE, Field


def _enrol(field: Field, tmp_path: Path) -> None:
    gw = Gateway(GatewayConfig(tmp_path / "gw.db"))
    priv, pub, _kid = keys.new_station_key()
    keys.pin_bundle(field.store, gw.keyring.register(field.info.station_id, pub, gw.now()))
    keys.save_identity(field.store, station_id=field.info.station_id, private_key=priv)


def _cli(field: Field, *args: str) -> int:
    return main(["--db", str(field.store.path), *args])


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDSTATION_PASSWORD", PASSWORD)


def test_R_ISS_7_cli_prepare_list_show_close(
    field: Field, tmp_path: Path, logged: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _enrol(field, tmp_path)
    a, b = field.in_stock(1), field.in_stock(2)
    capsys.readouterr()
    assert _cli(field, "delivery", "prepare", "--as", "wangxh", "--name", "青山村", "--village", VILLAGE) == 0
    assert "共 2 张卡" in capsys.readouterr().out
    assert _cli(field, "delivery", "list", "--as", "county", "--json") == 0
    runs: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["total"], r["state"]) for r in runs] == [("青山村", 2, "open")]
    assert _cli(field, "delivery", "show", str(runs[0]["id"]), "--as", "county") == 0
    out = capsys.readouterr().out
    assert a.card_number in out and b.card_number in out and "待送" in out and "有" in out
    assert _cli(field, "delivery", "close", str(runs[0]["id"]), "--as", "county") == 1  # auditor: read-only
    assert "无权办理" in capsys.readouterr().err
    assert _cli(field, "delivery", "close", str(runs[0]["id"]), "--as", "wangxh", "--json") == 0
    closed = json.loads(capsys.readouterr().out)
    assert closed["counts"] == {"pending": 2} and set(closed["undelivered"]) == {a.card_number, b.card_number}
    pending = field.store.one("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
    assert pending is not None and pending[0] > 0


def test_R_ISS_7_cli_prepare_needs_a_scope(
    field: Field, logged: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(field, "delivery", "prepare", "--as", "wangxh", "--name", "x") == 2
    assert "--village" in capsys.readouterr().err


def test_R_SEC_3_cli_daily_report_text_json_pdf(
    field: Field, tmp_path: Path, logged: None, capsys: pytest.CaptureFixture[str]
) -> None:
    field.in_stock(1)
    capsys.readouterr()
    pdf = tmp_path / "daily.pdf"
    assert _cli(field, "report", "daily", "--as", "county", "--date", "2025-03-03", "--pdf", str(pdf)) == 0
    out = capsys.readouterr().out
    assert "业务日报表" in out and "王小红" in out and "合计" in out and str(pdf) in out
    assert pdf.read_bytes().startswith(b"%PDF")
    assert _cli(field, "report", "daily", "--as", "county", "--date", "2025-03-03", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["count"] == 2 and {line["item"] for line in data["lines"]} == {"apply", "stock"}
    assert _cli(field, "report", "daily", "--as", "admin", "--date", "2025-03-03") == 1
    assert "无权办理" in capsys.readouterr().err
    assert _cli(field, "report", "daily", "--as", "county", "--date", "2025-13-01") == 2
