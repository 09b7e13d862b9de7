"""validate_person: R-ID-1..5, R-APP-1, R-APP-2 (presence), R-APP-4, R-APP-6 (route, mailing)."""

from __future__ import annotations

import dataclasses
import random
from datetime import date
from typing import Any

import pytest

from offline import codes
from offline.profiles import Profile, load_profile
from offline.samples import sample_photo, sample_ssn
from offline.validation import PersonInput, RepresentativeInput, age_on, person_facts, validate_person

TODAY = date(2026, 5, 1)
ADULT_SSN = sample_ssn(random.Random(1), "420111", date(1980, 6, 15), sex="1")
CHILD_SSN = sample_ssn(random.Random(2), "420111", date(2020, 3, 10), sex="2")
PARENT_SSN = sample_ssn(random.Random(3), "420111", date(1988, 1, 20), sex="2")
HK_PERMIT_SSN = sample_ssn(random.Random(4), "810000", date(1975, 9, 9), sex="1")


@pytest.fixture(scope="module")
def hubei() -> Profile:
    return load_profile("hubei")


def adult(**changes: Any) -> PersonInput:
    base = PersonInput(
        name="张建国",
        sex="1",
        ethnicity="01",
        nationality="CHN",
        birth_date="1980-06-15",
        occupation="5010000",
        doc_type=codes.DOC_RESIDENT_ID,
        doc_number=ADULT_SSN,
        doc_valid_from="2010-03-01",
        doc_valid_to="2030-03-01",
        household_address="湖北省武汉市洪山区花山镇红星村3组12号",
        residence_address="湖北省武汉市洪山区花山镇红星村3组12号",
        phone="13912345678",
        bank="中国农业银行",
        photo=sample_photo(0),
    )
    return dataclasses.replace(base, **changes)


def mother() -> RepresentativeInput:
    return RepresentativeInput("李红", codes.DOC_RESIDENT_ID, PARENT_SSN, codes.REL_PARENT, proof="户口簿")


def child(**changes: Any) -> PersonInput:
    fields: dict[str, Any] = {
        "name": "张小雨",
        "sex": "2",
        "birth_date": "2020-03-10",
        "occupation": "8000000",
        "doc_type": codes.DOC_HOUSEHOLD_REGISTER,
        "doc_number": CHILD_SSN,
        "doc_valid_from": "",
        "doc_valid_to": "",
        "photo": None,
        "guardian": mother(),
    }
    return adult(**(fields | changes))


def rules(problems: list[Any]) -> dict[str, str]:
    return {p.field: p.rule for p in problems}


def test_valid_adult_and_child_pass(hubei: Profile) -> None:
    assert validate_person(adult(), today=TODAY, profile=hubei) == []
    assert validate_person(child(), today=TODAY, profile=hubei) == []


def test_every_problem_names_field_label_rule_and_fix(hubei: Profile) -> None:
    bad = adult(name="", sex="", phone="123", bank="", occupation="", doc_valid_to="2020-01-01")
    problems = validate_person(bad, today=TODAY, profile=hubei)
    assert len(problems) >= 6
    for p in problems:
        assert p.field and p.label and p.rule.startswith("R-") and p.message and p.fix
        assert not p.label.isascii()  # Chinese label


# ----------------------------------------------------------------- R-ID-1


def test_R_ID_1_rejects_military_document_naming_HB_5(hubei: Profile) -> None:
    problems = validate_person(adult(doc_type=codes.DOC_MILITARY_OFFICER), today=TODAY, profile=hubei)
    assert rules(problems)["doc_type"] == "R-ID-1"
    assert "HB 5" in problems[0].message and "军官证" in problems[0].message


def test_R_ID_1_rejects_expired_document_and_accepts_long_term(hubei: Profile) -> None:
    expired = validate_person(adult(doc_valid_to="2026-04-30"), today=TODAY, profile=hubei)
    assert rules(expired) == {"doc_valid_to": "R-ID-1"} and "过期" in expired[0].message
    assert validate_person(adult(doc_valid_to=""), today=TODAY, profile=hubei) == []  # 长期
    assert validate_person(adult(doc_valid_to="2026-05-01"), today=TODAY, profile=hubei) == []  # last day


def test_R_ID_1_rejects_bad_validity_dates(hubei: Profile) -> None:
    assert "doc_valid_from" in rules(
        validate_person(adult(doc_valid_from="2026-13-01"), today=TODAY, profile=hubei)
    )
    assert "doc_valid_from" in rules(
        validate_person(adult(doc_valid_from="2027-01-01"), today=TODAY, profile=hubei)
    )
    passport = adult(
        name="JOHN SMITH",
        nationality="GBR",
        ethnicity="",
        doc_type=codes.DOC_FOREIGN_PASSPORT,
        doc_number="123456789",
        doc_valid_to="",
        household_address="",
    )
    assert rules(validate_person(passport, today=TODAY, profile=hubei)) == {"doc_valid_to": "R-ID-1"}
    assert (
        validate_person(dataclasses.replace(passport, doc_valid_to="2031-01-01"), today=TODAY, profile=hubei)
        == []
    )


def test_R_ID_1_household_register_only_under_16(hubei: Profile) -> None:
    problems = validate_person(adult(doc_type=codes.DOC_HOUSEHOLD_REGISTER), today=TODAY, profile=hubei)
    assert rules(problems)["doc_type"] == "R-ID-1" and "16" in problems[0].message
    assert validate_person(child(), today=TODAY, profile=hubei) == []


def test_R_ID_1_document_must_fit_nationality(hubei: Profile) -> None:
    problems = validate_person(adult(nationality="HKG"), today=TODAY, profile=hubei)
    assert rules(problems) == {"nationality": "R-ID-1"}
    permit = adult(
        nationality="HKG",
        doc_type=codes.DOC_HKMO_TRAVEL_PERMIT,
        doc_number="H12345678",
        birth_date="1975-09-09",
        household_address="",
    )
    assert validate_person(permit, today=TODAY, profile=hubei) == []
    bad_number = dataclasses.replace(permit, doc_number="X12345678")
    assert rules(validate_person(bad_number, today=TODAY, profile=hubei)) == {"doc_number": "R-ID-1"}


# ----------------------------------------------------------------- R-ID-2


def test_R_ID_2_holder_of_both_must_use_residence_permit(hubei: Profile) -> None:
    travel = adult(
        nationality="HKG",
        doc_type=codes.DOC_HKMO_TRAVEL_PERMIT,
        doc_number="H12345678",
        birth_date="1975-09-09",
        household_address="",
        also_holds_residence_permit=True,
    )
    problems = validate_person(travel, today=TODAY, profile=hubei)
    assert rules(problems) == {"doc_type": "R-ID-2"} and "港澳居民居住证" in problems[0].message
    permit = dataclasses.replace(
        travel, doc_type=codes.DOC_HKMO_RESIDENCE_PERMIT, doc_number=HK_PERMIT_SSN, birth_date=""
    )
    assert validate_person(permit, today=TODAY, profile=hubei) == []


# ----------------------------------------------------------------- R-ID-3


def test_R_ID_3_rejects_birth_date_or_sex_disagreeing_with_number(hubei: Profile) -> None:
    assert rules(validate_person(adult(birth_date="1980-06-16"), today=TODAY, profile=hubei)) == {
        "birth_date": "R-ID-3"
    }
    assert rules(validate_person(adult(sex="2"), today=TODAY, profile=hubei)) == {"sex": "R-ID-3"}
    assert validate_person(adult(birth_date=""), today=TODAY, profile=hubei) == []  # derived


def test_R_ID_3_rejects_wrong_check_digit(hubei: Profile) -> None:
    wrong = ADULT_SSN[:17] + ("0" if ADULT_SSN[17] != "0" else "1")
    assert rules(validate_person(adult(doc_number=wrong), today=TODAY, profile=hubei)) == {
        "doc_number": "R-ID-3"
    }


def test_R_ID_3_residence_permit_numbers(hubei: Profile) -> None:
    permit = adult(
        nationality="HKG",
        doc_type=codes.DOC_HKMO_RESIDENCE_PERMIT,
        doc_number=ADULT_SSN,
        household_address="",
        birth_date="",
    )
    problems = validate_person(permit, today=TODAY, profile=hubei)
    assert rules(problems) == {"doc_number": "R-ID-3"} and "810000" in problems[0].message
    resident = adult(doc_number=HK_PERMIT_SSN, birth_date="")
    assert rules(validate_person(resident, today=TODAY, profile=hubei))["doc_number"] == "R-ID-3"


def test_R_ID_3_birth_required_when_number_carries_none(hubei: Profile) -> None:
    passport = adult(
        name="ANNA LEE",
        nationality="USA",
        ethnicity="",
        doc_type=codes.DOC_FOREIGN_PASSPORT,
        doc_number="E1234567",
        birth_date="",
        household_address="",
    )
    assert rules(validate_person(passport, today=TODAY, profile=hubei)) == {"birth_date": "R-ID-3"}


# ----------------------------------------------------------------- R-ID-4


def test_R_ID_4_agent_needs_own_document(hubei: Profile) -> None:
    agent = RepresentativeInput("王芳", codes.DOC_RESIDENT_ID, PARENT_SSN, codes.REL_SPOUSE)
    assert validate_person(adult(agent=agent), today=TODAY, profile=hubei) == []
    same = dataclasses.replace(agent, doc_number=ADULT_SSN)
    assert rules(validate_person(adult(agent=same), today=TODAY, profile=hubei)) == {
        "agent.doc_number": "R-ID-4"
    }
    no_doc = dataclasses.replace(agent, doc_number="")
    assert "agent.doc_number" in rules(validate_person(adult(agent=no_doc), today=TODAY, profile=hubei))


def test_R_ID_4_unit_proxy_needs_unit_name_and_letter(hubei: Profile) -> None:
    unit = RepresentativeInput("刘洋", codes.DOC_RESIDENT_ID, PARENT_SSN, codes.REL_UNIT)
    problems = rules(validate_person(adult(agent=unit), today=TODAY, profile=hubei))
    assert problems == {"agent.unit_name": "R-ID-4", "agent.proof": "R-ID-4"}
    ok = dataclasses.replace(unit, unit_name="武汉某某建筑有限公司", proof="单位介绍信")
    assert validate_person(adult(agent=ok), today=TODAY, profile=hubei) == []


# ----------------------------------------------------------------- R-ID-5


def test_R_ID_5_minor_needs_guardian_with_relation_and_proof(hubei: Profile) -> None:
    problems = validate_person(child(guardian=None), today=TODAY, profile=hubei)
    assert rules(problems) == {"guardian": "R-ID-5"}
    no_proof = dataclasses.replace(mother(), proof="")
    assert rules(validate_person(child(guardian=no_proof), today=TODAY, profile=hubei)) == {
        "guardian.proof": "R-ID-5"
    }
    unit = dataclasses.replace(mother(), relation=codes.REL_UNIT, unit_name="某公司")
    assert (
        rules(validate_person(child(guardian=unit), today=TODAY, profile=hubei))["guardian.relation"]
        == "R-ID-5"
    )


def test_R_ID_5_guardian_must_be_adult(hubei: Profile) -> None:
    teen = dataclasses.replace(mother(), doc_number=sample_ssn(random.Random(9), "420111", date(2012, 1, 1)))
    assert rules(validate_person(child(guardian=teen), today=TODAY, profile=hubei)) == {
        "guardian.doc_number": "R-ID-5"
    }


def test_R_ID_5_adult_without_full_capacity_needs_guardian(hubei: Profile) -> None:
    problems = validate_person(adult(full_capacity=False), today=TODAY, profile=hubei)
    assert rules(problems) == {"guardian": "R-ID-5"} and "民事行为能力" in problems[0].message
    assert validate_person(adult(full_capacity=False, guardian=mother()), today=TODAY, profile=hubei) == []


# ----------------------------------------------------------------- R-APP-1 / 2 / 4 / 6


def test_R_APP_1_required_fields(hubei: Profile) -> None:
    empty = adult(occupation="", residence_address="", household_address="", phone="", ethnicity="")
    got = rules(validate_person(empty, today=TODAY, profile=hubei))
    for f in ("occupation", "residence_address", "household_address", "phone", "ethnicity"):
        assert got[f] == "R-APP-1"
    # Outside an application (e.g. a PIN service) missing contact data is not a refusal.
    assert validate_person(empty, today=TODAY, profile=hubei, for_application=False) == []


def test_R_APP_1_phone_formats(hubei: Profile) -> None:
    for ok in ("13912345678", "139 1234 5678", "027-87654321", "0731-84567890", "+8613912345678"):
        assert validate_person(adult(phone=ok), today=TODAY, profile=hubei) == [], ok
    for bad in ("12345678901", "1391234567", "abc", "87654321"):
        assert rules(validate_person(adult(phone=bad), today=TODAY, profile=hubei)) == {"phone": "R-APP-1"}, (
            bad
        )


def test_R_APP_1_unknown_codes(hubei: Profile) -> None:
    got = rules(
        validate_person(adult(ethnicity="60", occupation="9999999", sex="3"), today=TODAY, profile=hubei)
    )
    assert got == {"ethnicity": "R-APP-1", "occupation": "R-APP-1", "sex": "R-APP-1"}


def test_R_APP_2_photo_required_from_cartoon_age(hubei: Profile) -> None:
    assert rules(validate_person(adult(photo=None), today=TODAY, profile=hubei)) == {"photo": "R-APP-2"}
    # 6 years old: turns 7 next March.
    assert validate_person(child(photo=None), today=TODAY, profile=hubei) == []


def test_R_APP_4_bank_from_profile(hubei: Profile) -> None:
    assert rules(validate_person(adult(bank="招商银行"), today=TODAY, profile=hubei)) == {"bank": "R-APP-4"}
    assert validate_person(adult(bank="招商银行"), today=TODAY, profile=load_profile("hunan")) == []
    assert rules(validate_person(adult(bank=""), today=TODAY, profile=hubei)) == {"bank": "R-APP-4"}


def test_R_APP_6_rare_name_is_flagged_not_rejected_but_needs_mailing(hubei: Profile) -> None:
    rare = adult(name="王𠮷")
    assert rules(validate_person(rare, today=TODAY, profile=hubei)) == {"mailing_address": "R-APP-6"}
    mailed = dataclasses.replace(rare, mailing_address="湖北省武汉市洪山区花山镇红星村3组12号")
    assert validate_person(mailed, today=TODAY, profile=hubei) == []
    facts = person_facts(mailed, today=TODAY)
    assert facts.rare_name and facts.rare_chars == ("𠮷",)
    assert not person_facts(adult(), today=TODAY).rare_name


def test_person_facts_derive_from_number() -> None:
    facts = person_facts(adult(birth_date="", sex=""), today=TODAY)
    assert facts.ssn == ADULT_SSN and facts.birth_date == date(1980, 6, 15) and facts.sex == "1"
    assert facts.age == 45


def test_age_on_counts_completed_years_and_leap_birthdays() -> None:
    assert age_on(date(2019, 5, 2), date(2026, 5, 1)) == 6
    assert age_on(date(2019, 5, 1), date(2026, 5, 1)) == 7
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18
