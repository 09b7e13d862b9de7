"""apply_card (item 1): R-ID, R-APP-1..8, R-APP-10, on a real store; refusals write nothing."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest

from offline.business import ServiceContext
from offline.errors import PermissionDenied, ValidationError
from offline.services.applications import ApplicationInput, apply_card
from offline.services.persons import name_initials
from tests.helpers import one

BANK = "中国农业银行"


def app(person: Any, **kw: Any) -> ApplicationInput:
    return ApplicationInput(
        person=person,
        channel=kw.pop("channel", "local"),
        mode=kw.pop("mode", "fast"),
        bank=kw.pop("bank", BANK),
        **kw,
    )


def business_payload(sealer: Any, receipt_no: str) -> dict[str, Any]:
    for _header, payload in sealer.sealed:
        try:
            data = json.loads(payload)
        except (UnicodeDecodeError, ValueError):
            continue
        if data.get("receipt_no") == receipt_no:
            return dict(data)
    raise AssertionError("no business envelope names the receipt")


def test_R_APP_8_accepted_application_writes_person_application_business_audit_outbox(
    ctx: ServiceContext, make_person: Callable[..., Any], counts: Callable[[], dict[str, int]], sealer: Any
) -> None:
    person = make_person()
    result = apply_card(ctx, app(person))
    assert result.item == "apply" and result.fee_fen == 0  # R-APP-10 first application free
    row = one(ctx.store, "SELECT * FROM applications WHERE business_id = ?", (result.business_id,))
    assert row["status"] == "accepted" and row["kind"] == "first" and row["bank"] == BANK
    p = one(ctx.store, "SELECT * FROM persons WHERE id = ?", (row["person_id"],))
    assert p["ssn"] == person.doc_number and p["name"] == person.name
    assert (
        p["birth_date"] == f"{person.doc_number[6:10]}-{person.doc_number[10:12]}-{person.doc_number[12:14]}"
    )
    assert p["name_initials"] == name_initials(person.name)
    assert one(ctx.store, "SELECT COUNT(*) FROM photos WHERE person_id = ?", (row["person_id"],))[0] == 1
    c = counts()
    assert c["businesses"] == 1 and c["audit"] == 1
    assert c["outbox"] == 2  # photo blob + business envelope
    payload = business_payload(sealer, result.receipt_no)
    assert payload["details"]["ssn"] == person.doc_number
    assert payload["blobs"][0]["kind"] == "photo"
    assert "666666" not in json.dumps(payload)  # R-PIN-6: no PIN digits anywhere


def test_R_ID_3_bad_check_digit_rejected_and_nothing_written(
    ctx: ServiceContext, make_person: Callable[..., Any], counts: Callable[[], dict[str, int]]
) -> None:
    person = make_person()
    bad = person.doc_number[:17] + ("0" if person.doc_number[17] != "0" else "1")
    before = counts()
    with pytest.raises(ValidationError) as exc:
        apply_card(ctx, app(dataclasses.replace(person, doc_number=bad)))
    assert "R-ID-3" in exc.value.rules
    assert counts() == before


def test_R_APP_1_missing_fields_reported_all_at_once(
    ctx: ServiceContext, make_person: Callable[..., Any], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(ValidationError) as exc:
        apply_card(ctx, app(make_person(phone="", residence_address="", occupation="")))
    fields = {p.field for p in exc.value.problems}
    assert {"phone", "residence_address", "occupation"} <= fields
    assert counts() == before


def test_R_APP_3_second_application_names_the_open_receipt(
    ctx: ServiceContext, make_person: Callable[..., Any], counts: Callable[[], dict[str, int]]
) -> None:
    person = make_person()
    first = apply_card(ctx, app(person))
    before = counts()
    with pytest.raises(ValidationError) as exc:
        apply_card(ctx, app(person))
    assert exc.value.rules == ["R-APP-3"]
    assert first.receipt_no in str(exc.value)
    assert counts() == before


def test_R_APP_3_existing_valid_card_named(
    ctx: ServiceContext,
    applied: Callable[..., Any],
    make_person: Callable[..., Any],
    make_card: Callable[..., int],
) -> None:
    person = make_person()
    person_id, _ = applied(person)
    card_id = make_card(person_id, status="issued")
    number = one(ctx.store, "SELECT card_number FROM cards WHERE id = ?", (card_id,))[0]
    with pytest.raises(ValidationError) as exc:
        apply_card(ctx, app(person))
    assert "R-APP-3" in exc.value.rules and number in str(exc.value)


def test_R_APP_3_cancelled_card_does_not_block(
    ctx: ServiceContext,
    applied: Callable[..., Any],
    make_person: Callable[..., Any],
    make_card: Callable[..., int],
) -> None:
    person = make_person()
    person_id, _ = applied(person)
    make_card(person_id, status="cancelled")
    result = apply_card(ctx, app(person))
    assert result.receipt_no


def test_R_APP_4_bank_not_cooperating_rejected(
    ctx: ServiceContext, make_person: Callable[..., Any], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(ValidationError) as exc:
        apply_card(ctx, app(make_person(), bank="某某村镇银行"))
    assert exc.value.rules == ["R-APP-4"]
    assert counts() == before


def test_R_APP_5_deadlines_follow_the_profile(
    ctx: ServiceContext, hubei_ctx: ServiceContext, make_person: Callable[..., Any]
) -> None:
    # 2026-03-02 is a Monday: HB fast 5 working days → Monday 9 March; HN has no fast limit, so
    # its scattered limit (HN 29: 15 working days) applies → Monday 23 March.
    hb = apply_card(hubei_ctx, app(make_person(), mode="fast", doc_scans=(b"f", b"b"), signed=True))
    hn = apply_card(ctx, app(make_person(), mode="fast"))
    instant = apply_card(ctx, app(make_person(), mode="instant"))
    hb_batch = apply_card(hubei_ctx, app(make_person(), mode="batch", channel="batch"))
    deadline = {r.receipt_no: r.details["deadline"] for r in (hb, hn, instant, hb_batch)}
    assert deadline[hb.receipt_no] == "2026-03-09"
    assert deadline[hn.receipt_no] == "2026-03-23"
    assert deadline[instant.receipt_no] == "2026-03-02"
    assert deadline[hb_batch.receipt_no] > "2026-04-01"  # 29 working days, Qingming included
    stored = one(ctx.store, "SELECT deadline FROM applications WHERE business_id = ?", (hb.business_id,))[0]
    assert stored == "2026-03-09"


def test_R_APP_5_online_only_fast_and_mailed(ctx: ServiceContext, make_person: Callable[..., Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        apply_card(ctx, app(make_person(), channel="online", mode="batch"))
    assert {"R-APP-5", "R-APP-1"} <= set(exc.value.rules)  # wrong mode, and no mailing address
    ok = apply_card(ctx, app(make_person(mailing_address="湖南省长沙市岳麓区麓山路1号"), channel="online"))
    assert ok.details["mailing"] is True


def test_R_APP_6_rare_name_goes_provincial_and_needs_mailing_address(
    ctx: ServiceContext, make_person: Callable[..., Any], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(ValidationError) as exc:
        apply_card(ctx, app(make_person(name="王𠈌"), mode="instant"))
    assert "R-APP-6" in exc.value.rules
    assert counts() == before
    result = apply_card(
        ctx, app(make_person(name="王𠈌", mailing_address="湖南省长沙市岳麓区麓山路1号"), mode="instant")
    )
    row = one(
        ctx.store,
        "SELECT route, mode, mailing FROM applications WHERE business_id = ?",
        (result.business_id,),
    )
    assert (row["route"], row["mode"], row["mailing"]) == ("provincial", "fast", 1)
    assert one(ctx.store, "SELECT name_rare FROM persons WHERE name = '王𠈌'")[0] == 1


def test_R_APP_7_remote_application_accepted_same_day(
    ctx: ServiceContext, make_person: Callable[..., Any]
) -> None:
    person = dataclasses.replace(make_person(), mailing_address="湖南省长沙市芙蓉区五一大道100号")
    result = apply_card(ctx, app(person, channel="remote"))
    row = one(
        ctx.store,
        "SELECT status, channel, created_at FROM applications WHERE business_id = ?",
        (result.business_id,),
    )
    assert row["status"] == "accepted" and row["channel"] == "remote"
    assert row["created_at"].startswith("2026-03-02")
    assert result.details["remote_accepted_on"] == "2026-03-02"


def test_R_APP_2_child_under_7_without_photo_gets_cartoon_card(
    ctx: ServiceContext, make_person: Callable[..., Any]
) -> None:
    from offline.validation import RepresentativeInput

    parent = make_person(age=35)
    guardian = RepresentativeInput(
        name=parent.name,
        doc_type="resident_id",
        doc_number=parent.doc_number,
        relation="parent",
        proof="户口簿",
    )
    child = make_person(age=3, photo=None, guardian=guardian)
    result = apply_card(ctx, app(child))
    assert result.details["cartoon"] is True
    assert len(result.envelope_ids) == 1  # no photo blob


def test_R_APP_2_adult_without_photo_rejected(ctx: ServiceContext, make_person: Callable[..., Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        apply_card(ctx, app(make_person(photo=None)))
    assert exc.value.rules == ["R-APP-2"]


def test_R_ID_5_child_without_guardian_rejected(ctx: ServiceContext, make_person: Callable[..., Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        apply_card(ctx, app(make_person(age=10)))
    assert "R-ID-5" in exc.value.rules


def test_R_ID_4_proxy_needs_agent_and_unit(ctx: ServiceContext, make_person: Callable[..., Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        apply_card(ctx, app(make_person(), channel="proxy_unit"))
    assert {p.field for p in exc.value.problems} >= {"unit_name", "agent"}
    with pytest.raises(ValidationError) as exc2:
        apply_card(ctx, app(make_person(), channel="proxy_person"))
    assert exc2.value.rules == ["R-ID-4"]


def test_R_ID_4_proxy_person_with_agent_accepted(
    ctx: ServiceContext, make_person: Callable[..., Any]
) -> None:
    from offline.validation import RepresentativeInput

    helper = make_person()
    agent = RepresentativeInput(
        name=helper.name, doc_type="resident_id", doc_number=helper.doc_number, relation="entrusted"
    )
    result = apply_card(ctx, app(make_person(agent=agent), channel="proxy_person"))
    assert result.details["person"]["agent"]["doc_number"] == helper.doc_number


def test_R_SEC_2_auditor_cannot_apply(
    auditor_ctx: ServiceContext, make_person: Callable[..., Any], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(PermissionDenied):
        apply_card(auditor_ctx, app(make_person()))
    assert counts() == before
