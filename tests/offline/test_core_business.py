"""The transactional core: one business = business row + receipt + audit + sealed envelope(s), or nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from offline import audit, outbox
from offline.business import Blob, ServiceContext, commit_business
from offline.receipts import next_receipt_no, parse_receipt_no
from offline.store import Store


def _count(store: Store, table: str) -> int:
    row = store.one(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


def test_commit_writes_business_audit_and_envelopes_together(ctx: ServiceContext) -> None:
    with ctx.store.write() as conn:
        result = commit_business(
            ctx, conn, item="apply", summary="申领", details={"x": 1}, blobs=(Blob("photo", b"\xff\xd8jpeg"),)
        )
    assert _count(ctx.store, "businesses") == 1
    assert _count(ctx.store, "audit") == 1
    entries = outbox.entries(ctx.store)
    assert [e.kind for e in entries] == ["blob", "business"]
    # The blob is named by the business envelope and points back at it.
    assert entries[0].parent_id == entries[1].envelope_id
    assert result.envelope_ids == (entries[0].envelope_id, entries[1].envelope_id)
    assert parse_receipt_no(result.receipt_no)["service_point"] == ctx.service_point


def test_business_payload_names_receipt_operator_and_audit_head(ctx: ServiceContext, sealer) -> None:  # type: ignore[no-untyped-def]
    with ctx.store.write() as conn:
        result = commit_business(ctx, conn, item="apply", summary="申领", details={"person": "p1"})
    header, payload = sealer.sealed[-1]
    body = json.loads(payload)
    assert header.kind == "business" and header.station_id == ctx.station_id
    assert body["receipt_no"] == result.receipt_no
    assert body["operator"]["real_name"] == ctx.operator.real_name  # R-ID-6
    assert body["audit_seq"] == 1


def test_failure_after_commit_business_writes_nothing(ctx: ServiceContext) -> None:
    with pytest.raises(RuntimeError), ctx.store.write() as conn:
        commit_business(ctx, conn, item="apply", summary="申领", details={})
        raise RuntimeError("the service failed after writing")
    for table in ("businesses", "audit", "outbox", "receipt_counters"):
        assert _count(ctx.store, table) == 0, table


def test_R_PIN_6_pin_fields_refused_before_anything_is_written(ctx: ServiceContext) -> None:
    with pytest.raises(ValueError, match="R-PIN-6"), ctx.store.write() as conn:
        commit_business(ctx, conn, item="pin_change", summary="x", details={"card": {"new_pin": "123456"}})
    assert _count(ctx.store, "businesses") == 0


def test_receipt_numbers_are_sequential_per_day_and_unique(ctx: ServiceContext) -> None:
    numbers = []
    for _ in range(3):
        with ctx.store.write() as conn:
            numbers.append(commit_business(ctx, conn, item="apply", summary="s", details={}).receipt_no)
    serials = [parse_receipt_no(n)["serial"] for n in numbers]
    assert serials == ["0001", "0002", "0003"]
    assert len(set(numbers)) == 3


def test_receipt_number_layout_two_terminals_never_collide(store: Store) -> None:
    with store.write() as conn:
        a = next_receipt_no(conn, service_point="42010200100100001", terminal="01", day="20261124")
    other = Store.open(store.path.with_name("other.db"))
    with other.write() as conn:
        b = next_receipt_no(conn, service_point="42010200100100001", terminal="02", day="20261124")
    assert len(a) == len(b) == 31
    assert a != b


def test_audit_chain_detects_edit(ctx: ServiceContext) -> None:
    for _ in range(3):
        with ctx.store.write() as conn:
            commit_business(ctx, conn, item="apply", summary="s", details={})
    assert audit.verify(ctx.store.connection()).ok
    with ctx.store.write() as conn:
        conn.execute("UPDATE audit SET target = 'forged' WHERE seq = 2")
    report = audit.verify(ctx.store.connection())
    assert not report.ok and report.first_bad_seq == 2


def test_store_refuses_newer_schema(store: Store) -> None:
    with store.write() as conn:
        conn.execute("PRAGMA user_version = 999")
    from offline.errors import StoreError

    with pytest.raises(StoreError) as info:
        Store.open(store.path)
    assert "升级" in info.value.message_zh


def test_context_clock_is_injectable(store: Store, sealer) -> None:  # type: ignore[no-untyped-def]
    from offline.profiles import load_profile
    from tests.conftest import SERVICE_POINT, STATION_ID, add_operator

    fixed = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
    c = ServiceContext(
        store=store,
        operator=add_operator(store),
        sealer=sealer,
        station_id=STATION_ID,
        service_point=SERVICE_POINT,
        profile=load_profile("hunan"),
        now=lambda: fixed,
    )
    with store.write() as conn:
        r = commit_business(c, conn, item="apply", summary="s", details={})
    assert r.receipt_no[17:25] == "20261001"


def test_R_SEC_1_store_file_and_its_wal_are_owner_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import stat

    s = Store.open(tmp_path / "personal.db")
    with s.write() as conn:
        conn.execute("INSERT INTO settings(key, value) VALUES ('k', 'v')")
    for name in ("personal.db", "personal.db-wal"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
