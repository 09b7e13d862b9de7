"""The alias tables under offline/data/ (R-APP-1): no alias is ambiguous, every alias lands on a real code."""

from __future__ import annotations

import pytest

from offline import codes
from offline.profiles import load_profile
from offline.validation.norm_codes import CODE_KINDS, RURAL_CREDIT, build_keys, key_of, read_aliases

KINDS = [*CODE_KINDS, "bank", "column"]


@pytest.mark.parametrize("kind", KINDS)
def test_R_APP_1_no_alias_is_ambiguous(kind: str) -> None:
    """One folded alias -> one code, official names and codes included."""
    _, conflicts = build_keys(kind)
    assert conflicts == []


@pytest.mark.parametrize("kind", list(CODE_KINDS))
def test_R_APP_1_every_alias_names_a_code_of_its_table(kind: str) -> None:
    table, _ = CODE_KINDS[kind]
    unknown = [(code, alias) for code, alias in read_aliases(kind) if code not in table]
    assert unknown == []


def test_R_APP_4_every_bank_alias_names_a_bank_of_a_profile() -> None:
    banks = set(load_profile("hunan").banks) | set(load_profile("hubei").banks)
    targets = {code for code, _ in read_aliases("bank")}
    assert targets - banks == {RURAL_CREDIT}
    for province in ("hunan", "hubei"):
        assert sum(RURAL_CREDIT in b for b in load_profile(province).banks) == 1


def test_R_APP_1_an_ambiguous_alias_would_be_caught(tmp_path: object) -> None:
    """The check itself can fail: two codes for one folded key are reported."""
    keys: dict[str, str] = {}
    conflicts = []
    for code, alias in [("1", "男"), ("2", "Ｍ"), ("1", "m")]:
        k = key_of(alias)
        if k in keys and keys[k] != code:
            conflicts.append(alias)
        keys.setdefault(k, code)
    assert conflicts == ["m"]


def test_occupation_choices_are_documented() -> None:
    """Every rural word of the occupation aliases is listed with its code in the data README."""
    from importlib import resources

    readme = resources.files("offline.data").joinpath("README.md").read_text(encoding="utf-8")
    for word in ("农民", "学生", "无业", "离退休"):
        assert word in readme
    assert codes.OCCUPATIONS["5010000"] in readme and "8000000" in readme


def test_R_APP_9_every_column_alias_names_a_template_column() -> None:
    from offline.services.batch_layout import CSV_HEADER

    assert {code for code, _ in read_aliases("column")} <= set(CSV_HEADER)
