"""Code tables (R-APP-1): sizes, key entries and lookups."""

from __future__ import annotations

from offline import codes


def test_sex_and_ethnicity_tables() -> None:
    assert dict(codes.SEX) == {"1": "男", "2": "女", "9": "未说明"}
    assert len(codes.ETHNICITY) == 58  # 56 + 97 + 98
    assert codes.ETHNICITY["01"] == "汉族" and codes.ETHNICITY["15"] == "土家族"
    assert codes.ETHNICITY["56"] == "基诺族" and codes.ETHNICITY["98"] == "外国血统中国籍人士"
    assert all(len(k) == 2 and k.isdigit() for k in codes.ETHNICITY)


def test_nationality_table_is_complete_iso_3166() -> None:
    assert len(codes.NATIONALITY) == 249
    assert codes.NATIONALITY["CHN"] == "中国"
    assert codes.NATIONALITY["HKG"] == "中国香港"
    assert codes.NATIONALITY["MAC"] == "中国澳门"
    assert codes.NATIONALITY["TWN"] == "中国台湾"
    assert all(len(k) == 3 and k.isupper() for k in codes.NATIONALITY)
    assert all(v and not v.isascii() for v in codes.NATIONALITY.values())


def test_R_ID_1_document_types() -> None:
    assert len(codes.VALID_DOC_TYPES) == 10  # HN 3 adds the 华侨's Chinese passport
    assert codes.DOC_TYPES[codes.DOC_RESIDENT_ID] == "居民身份证"
    assert codes.DOC_TYPES[codes.DOC_FOREIGN_PERMANENT_RESIDENCE] == "外国人永久居留身份证"
    assert codes.REJECTED_DOC_TYPES.isdisjoint(codes.VALID_DOC_TYPES)
    assert codes.CITIZEN_NUMBER_DOCS <= codes.VALID_DOC_TYPES


def test_occupations_have_eight_major_groups() -> None:
    majors = [c for c in codes.OCCUPATIONS if c.endswith("000000")]
    assert len(majors) == 8
    assert all(len(c) == 7 and c.isdigit() for c in codes.OCCUPATIONS)
    assert codes.occupation_display("1010000") == "1-01" and codes.occupation_display("2000000") == "2"


def test_relations_and_lookups() -> None:
    assert codes.RELATIONS[codes.REL_PARENT] == "父母" and codes.RELATIONS[codes.REL_UNIT] == "单位"
    assert set(codes.RELATIONS) >= codes.GUARDIAN_RELATIONS and codes.REL_UNIT not in codes.GUARDIAN_RELATIONS
    assert codes.code_name(codes.SEX, "2") == "女"
    assert codes.code_name(codes.SEX, "7") is None
    assert codes.code_by_name(codes.ETHNICITY, "汉") == "01"
    assert codes.code_by_name(codes.ETHNICITY, "土家族") == "15"
    assert codes.code_by_name(codes.NATIONALITY, "日本") == "JPN"
    assert codes.code_by_name(codes.DOC_TYPES, "户口簿") == codes.DOC_HOUSEHOLD_REGISTER
    assert codes.code_by_name(codes.SEX, "") is None
