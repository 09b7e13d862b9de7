"""What village assistants type, and what the normalisers make of it (R-APP-1, R-ID-1, R-APP-4).

Each case: the field kind, the input as typed (copied from real lists: ID-card dots, Excel's
2020/1/1, full-width digits from a Chinese input method, short names of banks …), and the
standard value expected — or REFUSED with a piece of the message (the closest choices named).
"""

from __future__ import annotations

import pytest

from offline.profiles import load_profile
from offline.validation.normalise import normalise

REFUSED = None
HN_BANKS = load_profile("hunan").banks
HB_BANKS = load_profile("hubei").banks

CASES: list[tuple[str, str, str | None, str]] = [
    # ---- dates (ID card, Excel, handwriting) ----
    ("date", "2020-01-01", "2020-01-01", ""),
    ("date", "2020-1-1", "2020-01-01", ""),
    ("date", "20200101", "2020-01-01", ""),
    ("date", "2020.01.01", "2020-01-01", ""),
    ("date", "2020.1.1", "2020-01-01", ""),
    ("date", "2020/1/1", "2020-01-01", ""),
    ("date", "2020/01/01", "2020-01-01", ""),
    ("date", "2020年1月1日", "2020-01-01", ""),
    ("date", "2020年01月01日", "2020-01-01", ""),
    ("date", "2020 年 1 月 1 日", "2020-01-01", ""),
    ("date", "2020年1月1", "2020-01-01", ""),
    ("date", "２０２０．０１．０１", "2020-01-01", ""),
    ("date", "２０２０年１月１日", "2020-01-01", ""),
    ("date", " 2020-01-01 ", "2020-01-01", ""),
    ("date", "2020-01-01 00:00:00", "2020-01-01", ""),
    ("date", "2020/1/1 0:00", "2020-01-01", ""),
    ("date", "2019.12.31", "2019-12-31", ""),
    ("date", "1990.2.28", "1990-02-28", ""),
    ("date", "2000-02-29", "2000-02-29", ""),
    ("date", "43831", "2020-01-01", ""),
    ("date", "36526", "2000-01-01", ""),
    ("date", "2019-02-29", REFUSED, "不是存在的日期"),
    ("date", "2020-13-01", REFUSED, "不是存在的日期"),
    ("date", "2020.02.30", REFUSED, "不是存在的日期"),
    ("date", "20201301", REFUSED, "不是存在的日期"),
    ("date", "1/2/2020", REFUSED, "不是有效日期"),
    ("date", "20-1-1", REFUSED, "不是有效日期"),
    ("date", "二〇二〇年一月一日", REFUSED, "不是有效日期"),
    ("date", "明天", REFUSED, "不是有效日期"),
    ("date", "长期", REFUSED, "须填写具体日期"),
    ("date", "", "", ""),
    # ---- open-ended validity (长期) ----
    ("open_date", "长期", "", ""),
    ("open_date", "长期有效", "", ""),
    ("open_date", "永久", "", ""),
    ("open_date", " 长期 ", "", ""),
    ("open_date", "2040.01.01", "2040-01-01", ""),
    ("open_date", "2040/1/1", "2040-01-01", ""),
    ("open_date", "20400101", "2040-01-01", ""),
    ("open_date", "长", REFUSED, "不是有效日期"),
    # ---- phones ----
    ("phone", "13812345678", "13812345678", ""),
    ("phone", "138-1234-5678", "13812345678", ""),
    ("phone", "138 1234 5678", "13812345678", ""),
    ("phone", "１３８１２３４５６７８", "13812345678", ""),
    ("phone", "+86 138 1234 5678", "13812345678", ""),
    ("phone", "+8613812345678", "13812345678", ""),
    ("phone", "0086 13812345678", "13812345678", ""),
    ("phone", "8613812345678", "13812345678", ""),
    ("phone", "(+86)138-1234-5678", "13812345678", ""),
    ("phone", "（０２７）８７６５４３２１", "027-87654321", ""),
    ("phone", "(027)87654321", "027-87654321", ""),
    ("phone", "027-87654321", "027-87654321", ""),
    ("phone", "027 8765 4321", "027-87654321", ""),
    ("phone", "02787654321", "027-87654321", ""),
    ("phone", "010-12345678", REFUSED, "不是有效"),
    ("phone", "010-62345678", "010-62345678", ""),
    ("phone", "0731-88888888", "0731-88888888", ""),
    ("phone", "0731 8888 8888", "0731-88888888", ""),
    ("phone", "07318888888", "0731-8888888", ""),
    ("phone", "0731-8888888转123", "0731-8888888-123", ""),
    ("phone", "+86 27 8765 4321", "027-87654321", ""),
    ("phone", "+852 2345 6789", "+85223456789", ""),
    ("phone", "+886 912 345 678", "+886912345678", ""),
    ("phone", "87654321", REFUSED, "缺少区号"),
    ("phone", "8765432", REFUSED, "缺少区号"),
    ("phone", "1381234567", REFUSED, "应为 11 位"),
    ("phone", "138123456789", REFUSED, "应为 11 位"),
    ("phone", "12812345678", REFUSED, "不是有效"),
    ("phone", "无", REFUSED, "不是有效"),
    ("phone", "138****5678", REFUSED, "不是有效"),
    # ---- ID numbers ----
    ("id_number", "430102199001011234", "430102199001011234", ""),
    ("id_number", "43010219900101123x", "43010219900101123X", ""),
    ("id_number", "4301 0219 9001 0112 34", "430102199001011234", ""),
    ("id_number", "430102 19900101 1234", "430102199001011234", ""),
    ("id_number", "４３０１０２１９９００１０１１２３Ｘ", "43010219900101123X", ""),
    ("id_number", "430102-19900101-1234", "430102199001011234", ""),
    ("id_number", " 430102199001011234 ", "430102199001011234", ""),
    ("id_number", "43010219900101123×", "43010219900101123X", ""),
    ("id_number", "h12345678", "H12345678", ""),
    # ---- names ----
    ("name", "张  三", "张三", ""),
    ("name", "张　三", "张三", ""),
    ("name", " 欧阳娜娜 ", "欧阳娜娜", ""),
    ("name", "买买提.艾力", "买买提·艾力", ""),
    ("name", "买买提•艾力", "买买提·艾力", ""),
    ("name", "JOHN  SMITH", "JOHN SMITH", ""),
    ("name", "王𠈌", "王𠈌", ""),
    # ---- sex ----
    ("sex", "男", "1", ""),
    ("sex", "女", "2", ""),
    ("sex", "1", "1", ""),
    ("sex", "2", "2", ""),
    ("sex", "男性", "1", ""),
    ("sex", "女性", "2", ""),
    ("sex", "M", "1", ""),
    ("sex", "f", "2", ""),
    ("sex", "Ｆ", "2", ""),
    ("sex", " 男 ", "1", ""),
    ("sex", "未说明", "9", ""),
    ("sex", "公", REFUSED, "您是不是要填"),
    ("sex", "3", REFUSED, "您是不是要填"),
    # ---- ethnicity ----
    ("ethnicity", "汉族", "01", ""),
    ("ethnicity", "汉", "01", ""),
    ("ethnicity", "01", "01", ""),
    ("ethnicity", "1", "01", ""),
    ("ethnicity", "土家族", "15", ""),
    ("ethnicity", "土家", "15", ""),
    ("ethnicity", "苗", "06", ""),
    ("ethnicity", "侗族", "12", ""),
    ("ethnicity", "瑶", "13", ""),
    ("ethnicity", "维吾尔", "05", ""),
    ("ethnicity", "维族", "05", ""),
    ("ethnicity", "蒙古", "02", ""),
    ("ethnicity", "蒙族", "02", ""),
    ("ethnicity", "满", "11", ""),
    ("ethnicity", "白族", "14", ""),
    ("ethnicity", "汗族", REFUSED, "汉族"),
    ("ethnicity", "火星族", REFUSED, "您是不是要填"),
    ("ethnicity", "99", REFUSED, "您是不是要填"),
    # ---- nationality ----
    ("nationality", "中国", "CHN", ""),
    ("nationality", "中华人民共和国", "CHN", ""),
    ("nationality", "CHN", "CHN", ""),
    ("nationality", "chn", "CHN", ""),
    ("nationality", "CN", "CHN", ""),
    ("nationality", "中国大陆", "CHN", ""),
    ("nationality", "香港", "HKG", ""),
    ("nationality", "中国香港", "HKG", ""),
    ("nationality", "澳门", "MAC", ""),
    ("nationality", "台湾", "TWN", ""),
    ("nationality", "美国", "USA", ""),
    ("nationality", "越南", "VNM", ""),
    ("nationality", "缅甸", "MMR", ""),
    ("nationality", "中國", REFUSED, "中国"),
    ("nationality", "美过", REFUSED, "美国"),
    # ---- document type ----
    ("doc_type", "居民身份证", "resident_id", ""),
    ("doc_type", "身份证", "resident_id", ""),
    ("doc_type", "二代身份证", "resident_id", ""),
    ("doc_type", "二代证", "resident_id", ""),
    ("doc_type", "临时身份证", "temp_resident_id", ""),
    ("doc_type", "临时居民身份证", "temp_resident_id", ""),
    ("doc_type", "户口本", "household_register", ""),
    ("doc_type", "户口簿", "household_register", ""),
    ("doc_type", "回乡证", "hkmo_travel_permit", ""),
    ("doc_type", "港澳通行证", "hkmo_travel_permit", ""),
    ("doc_type", "台胞证", "tw_travel_permit", ""),
    ("doc_type", "护照", "foreign_passport", ""),
    ("doc_type", "外国护照", "foreign_passport", ""),
    ("doc_type", "军官证", "military_officer", ""),  # understood, then refused by R-ID-1
    ("doc_type", "身分证", REFUSED, "居民身份证"),
    ("doc_type", "驾驶证", REFUSED, "您是不是要填"),
    # ---- occupation ----
    ("occupation", "农民", "5010000", ""),
    ("occupation", "务农", "5010000", ""),
    ("occupation", "种田", "5010000", ""),
    ("occupation", "学生", "8000000", ""),
    ("occupation", "在校生", "8000000", ""),
    ("occupation", "儿童", "8000000", ""),
    ("occupation", "无业", "8000000", ""),
    ("occupation", "无", "8000000", ""),
    ("occupation", "待业", "8000000", ""),
    ("occupation", "离退休", "8000000", ""),
    ("occupation", "退休", "8000000", ""),
    ("occupation", "家庭主妇", "8000000", ""),
    ("occupation", "外出务工", "6990000", ""),
    ("occupation", "打工", "6990000", ""),
    ("occupation", "个体户", "4010000", ""),
    ("occupation", "教师", "2080000", ""),
    ("occupation", "村医", "2050000", ""),
    ("occupation", "渔民", "5040000", ""),
    ("occupation", "村干部", "1050000", ""),
    ("occupation", "农业生产人员", "5010000", ""),
    ("occupation", "不便分类的其他从业人员", "8000000", ""),
    ("occupation", "5-01", "5010000", ""),
    ("occupation", "5010000", "5010000", ""),
    ("occupation", "8", "8000000", ""),
    ("occupation", "501", "5010000", ""),
    ("occupation", "军人", "7000000", ""),
    ("occupation", "种植", REFUSED, "农业生产人员"),
    ("occupation", "农名", REFUSED, "农业生产人员"),
    ("occupation", "9-99", REFUSED, "您是不是要填"),
    # ---- guardian relation ----
    ("relation", "父亲", "parent", ""),
    ("relation", "母亲", "parent", ""),
    ("relation", "爸爸", "parent", ""),
    ("relation", "妈妈", "parent", ""),
    ("relation", "父子", "parent", ""),
    ("relation", "母女", "parent", ""),
    ("relation", "父母", "parent", ""),
    ("relation", "爷爷", "grandparent", ""),
    ("relation", "奶奶", "grandparent", ""),
    ("relation", "外婆", "grandparent", ""),
    ("relation", "姥姥", "grandparent", ""),
    ("relation", "哥哥", "sibling", ""),
    ("relation", "姐姐", "sibling", ""),
    ("relation", "丈夫", "spouse", ""),
    ("relation", "妻子", "spouse", ""),
    ("relation", "儿子", "child", ""),
    ("relation", "女儿", "child", ""),
    ("relation", "parent", "parent", ""),
    ("relation", "舅舅", REFUSED, "您是不是要填"),
    ("relation", "邻居", REFUSED, "您是不是要填"),
    # ---- banks (Hunan profile) ----
    ("bank", "农行", "中国农业银行", ""),
    ("bank", "农业银行", "中国农业银行", ""),
    ("bank", "中国农业银行", "中国农业银行", ""),
    ("bank", "工行", "中国工商银行", ""),
    ("bank", "工商银行", "中国工商银行", ""),
    ("bank", "中行", "中国银行", ""),
    ("bank", "建行", "中国建设银行", ""),
    ("bank", "交行", "交通银行", ""),
    ("bank", "邮储", "中国邮政储蓄银行", ""),
    ("bank", "邮政", "中国邮政储蓄银行", ""),
    ("bank", "邮政储蓄", "中国邮政储蓄银行", ""),
    ("bank", "招行", "招商银行", ""),
    ("bank", "浦发", "上海浦东发展银行", ""),
    ("bank", "农信", "湖南省农村信用社", ""),
    ("bank", "信用社", "湖南省农村信用社", ""),
    ("bank", "农商行", "湖南省农村信用社", ""),
    ("bank", "ABC", "中国农业银行", ""),
    ("bank", "icbc", "中国工商银行", ""),
    ("bank", "中国农业银行股份有限公司长沙分行", "中国农业银行", ""),
    ("bank", "汉口银行", REFUSED, "不是本省"),
    ("bank", "花旗银行", REFUSED, "您是不是要填"),
]


def test_at_least_150_real_world_inputs() -> None:
    assert len(CASES) >= 150


@pytest.mark.parametrize(("kind", "typed", "expected", "hint"), CASES)
def test_R_APP_1_normalise(kind: str, typed: str, expected: str | None, hint: str) -> None:
    n = normalise(kind, typed, banks=HN_BANKS)
    if expected is REFUSED:
        assert not n.ok, n
        assert hint in n.problem, n.problem
        assert n.value == typed  # nothing typed is lost
        assert n.fix
    else:
        assert n.ok, n.problem
        assert n.value == expected


@pytest.mark.parametrize(
    ("typed", "expected"), [("农信", "湖北省农村信用社"), ("汉口银行", "汉口银行"), ("农行", "中国农业银行")]
)
def test_R_APP_4_bank_follows_the_province(typed: str, expected: str) -> None:
    assert normalise("bank", typed, banks=HB_BANKS).value == expected


def test_R_APP_1_refusal_names_the_choices() -> None:
    n = normalise("occupation", "种植")
    assert n.problem.startswith("“种植”无法识别为职业。您是不是要填：")
    assert "农业生产人员" in n.problem


def test_R_APP_1_understood_is_shown() -> None:
    assert normalise("occupation", "农民").note == "已识别为：5-01 农业生产人员"
    assert normalise("date", "2020.1.1").note == "已识别为：2020-01-01"
    assert normalise("open_date", "长期").note == "已识别为：长期"
    assert normalise("date", "2020-01-01").note == ""  # already standard: nothing to say


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("张家村3组", True),
        ("张家村３组", True),
        ("李家湾村", True),
        ("五一路8号", True),
        ("长沙", False),
        ("湖南长沙", False),
    ],
)
def test_R_APP_1_village_addresses(address: str, ok: bool) -> None:
    """An address as written inside a village (张家村3组) names the place; a bare city does not."""
    from offline.validation.contact import address_problems
    from offline.validation.norm_text import normalise_text

    text = normalise_text(address).value
    assert (address_problems(text, field="household_address", required=True) == []) is ok
