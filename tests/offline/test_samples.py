"""Sample data: deterministic, valid for both provinces, fast enough for a million persons."""

from __future__ import annotations

import random
import time
from datetime import date

import pytest

from offline.profiles import PROVINCES, load_profile
from offline.samples import (
    COUNTIES,
    sample_card_number,
    sample_person,
    sample_photo,
    sample_ssn,
)
from offline.validation import (
    check_photo,
    needs_provincial_route,
    person_facts,
    ssn_birth_and_sex,
    validate_card_number,
    validate_person,
    validate_ssn,
)

TODAY = date(2026, 5, 1)


@pytest.mark.parametrize("province", PROVINCES)
def test_sample_persons_pass_validation(province: str) -> None:
    profile = load_profile(province)
    rng = random.Random(42)
    people = [sample_person(rng, province=province, today=TODAY) for _ in range(400)]
    for p in people:
        assert validate_person(p, today=TODAY, profile=profile) == [], p
        assert p.doc_number[:6] in COUNTIES[province]
        assert p.bank in profile.banks
        age = person_facts(p, today=TODAY).age
        assert age is not None and (p.photo is not None) == (age >= profile.cartoon_age)
    assert sum(p.ethnicity == "01" for p in people) > 300  # mostly Han
    assert any(p.guardian is not None for p in people)


def test_samples_are_deterministic() -> None:
    a = sample_person(random.Random(7), today=TODAY)
    b = sample_person(random.Random(7), today=TODAY)
    assert a == b
    assert sample_person(random.Random(8), today=TODAY) != a


def test_age_range_and_rare_names() -> None:
    rng = random.Random(1)
    for _ in range(200):
        p = sample_person(rng, age_range=(20, 60), today=TODAY)
        assert 20 <= (person_facts(p, today=TODAY).age or -1) <= 60
    rare = sample_person(rng, today=TODAY, rare_name=True, age_range=(30, 40))
    assert needs_provincial_route(rare.name) and rare.mailing_address
    assert validate_person(rare, today=TODAY, profile=load_profile("hubei")) == []


def test_sample_numbers_are_valid() -> None:
    rng = random.Random(3)
    for _ in range(500):
        assert validate_card_number(sample_card_number(rng)) == []
    ssn = sample_ssn(rng, "430104", date(2001, 12, 31), sex="2")
    assert validate_ssn(ssn) == [] and ssn_birth_and_sex(ssn) == (date(2001, 12, 31), "2")


def test_sample_photos_meet_HB_12() -> None:
    photos = {sample_photo(i) for i in range(6)}
    assert len(photos) == 6
    for data in photos:
        assert 14 * 1024 <= len(data) <= 40 * 1024 and check_photo(data, age_years=30) == []
    assert sample_photo(random.Random(1)) in photos


def test_a_million_persons_is_affordable() -> None:
    rng = random.Random(5)
    sample_person(rng, today=TODAY, photo=False)  # warm the profile cache
    t = time.perf_counter()
    for _ in range(5000):
        sample_person(rng, today=TODAY, photo=False)
    per_person = (time.perf_counter() - t) / 5000
    assert per_person < 200e-6  # < 200 s per million, measured ~20 µs
