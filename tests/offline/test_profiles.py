"""Province profiles: both load, every table setting is present with its article, updates are strict."""

from __future__ import annotations

import dataclasses

import pytest

from offline.errors import ValidationError
from offline.profiles import (
    FEE_KEYS,
    PROVINCES,
    Profile,
    ProfileError,
    load_profile,
    parse_profile,
    profile_text,
)

#: The "Province profiles" table of business-rules.md, as settings.
TABLE_SETTINGS = (
    "batch_days",
    "fast_days",
    "scattered_days",
    "initial_pin",
    "pin_tries",
    "temp_loss_expiry_days",
    "formal_loss_liftable",
    "temp_cards",
    "fees_fen",
    "contact_workdays",
)


@pytest.mark.parametrize("province", PROVINCES)
def test_profiles_load_with_every_setting_sourced(province: str) -> None:
    profile = load_profile(province)
    assert profile.province == province
    names = {f.name for f in dataclasses.fields(Profile)}
    assert set(profile.source) == names - {"province", "name_zh", "source"}
    for key in TABLE_SETTINGS:
        assert key in names and profile.source[key]
    assert set(profile.fees_fen) == set(FEE_KEYS)
    assert profile.banks and len(set(profile.banks)) == len(profile.banks)
    assert profile.cartoon_age == 7
    assert profile.household_register_max_age == (150 if province == "hunan" else 16)  # HN 3: no age limit
    # Every table setting has a comment citing an article or saying it is a default.
    text = profile_text(province)
    for key in TABLE_SETTINGS:
        line = next(ln for ln in text.splitlines() if ln.startswith(f"{key} =") or ln == f"[{key}]")
        assert "#" in line or key == "fees_fen", key


def test_hubei_values_follow_HB() -> None:
    hb = load_profile("hubei")
    assert (hb.batch_days, hb.fast_days, hb.scattered_days) == (29, 5, None)  # HB 6
    assert hb.contact_workdays == 3  # HB 14
    assert hb.temp_loss_expiry_days is None and hb.formal_loss_liftable is False  # HB 29
    assert hb.temp_cards is False
    assert hb.source["batch_days"] == "HB 6"
    assert "默认值" in hb.source["initial_pin"]  # HB is silent: a documented default


def test_hunan_values_follow_HN() -> None:
    hn = load_profile("hunan")
    assert (hn.batch_days, hn.fast_days, hn.scattered_days) == (40, None, 15)  # HN 11(3), HN 29
    assert hn.initial_pin == "666666" and hn.pin_tries == 5  # HN 13, HN 15
    assert hn.temp_loss_expiry_days == 7 and hn.formal_loss_liftable is True  # HN 21, HN 22
    assert hn.temp_cards is True and hn.contact_workdays == 2  # HN 12, HN 28(8)
    assert hn.delivery_workdays == 30 and hn.bank_change_workdays == 5
    assert "招商银行" in hn.banks and hn.fee("temp_lost") == hn.fee("replace")


def test_parse_profile_refuses_unknown_and_missing_keys() -> None:
    text = profile_text("hunan")
    with pytest.raises(ProfileError) as unknown:
        parse_profile("surprise = 1\n" + text)
    assert any("未知配置项“surprise”" in p.message for p in unknown.value.problems)
    without = "\n".join(ln for ln in text.splitlines() if not ln.startswith("batch_days ="))
    with pytest.raises(ProfileError) as missing:
        parse_profile(without)
    assert [p.field for p in missing.value.problems] == ["batch_days"]
    assert isinstance(missing.value, ValidationError) and "缺少配置项" in str(missing.value)


def test_parse_profile_refuses_bad_values() -> None:
    text = profile_text("hunan")
    cases = {
        'initial_pin = "666666"': 'initial_pin = "6666"',
        "batch_days = 40": "batch_days = true",
        "pin_tries = 5": "pin_tries = -1",
        'province = "hunan"': 'province = "guangdong"',
        "temp_cards = true": "temp_cards = 1",
        "replace = 2000": 'replace = "20元"',
    }
    for old, new in cases.items():
        assert old in text
        with pytest.raises(ProfileError):
            parse_profile(text.replace(old, new, 1))
    with pytest.raises(ProfileError) as broken:
        parse_profile("this is = = not toml")
    assert broken.value.problems[0].field == "toml"


def test_parse_profile_requires_a_source_for_every_setting() -> None:
    text = profile_text("hubei").replace('batch_days = "HB 6"\n', "")
    with pytest.raises(ProfileError) as err:
        parse_profile(text)
    assert any(p.field == "batch_days" and "来源" in p.message for p in err.value.problems)


def test_parse_profile_accepts_an_update() -> None:
    updated = parse_profile(profile_text("hunan").replace("replace = 2000", "replace = 1500"))
    assert updated.fees_fen["replace"] == 1500 and updated.batch_days == 40


def test_unknown_province() -> None:
    with pytest.raises(ProfileError):
        load_profile("guangdong")


def test_profiles_compare_by_value_and_are_hashable() -> None:
    assert load_profile("hunan") == load_profile("hunan") != load_profile("hubei")
    assert len({load_profile("hunan"), load_profile("hunan"), load_profile("hubei")}) == 2
