"""Code tables as data: what the store keeps is a code, what the operator reads is the Chinese name.

Why code tables rather than free text: the card management system, the card chip (card-spec.md,
"Numbers") and the printed forms all use the national codes (sex GB/T 2261.1, ethnicity GB 3304,
nationality ISO 3166-1 alpha-3, occupation 《职业分类大典》), so the station stores codes and
resolves names only for display. Every table is a read-only mapping code -> Chinese name, in the
order a pick list should show it.

The nationality table (249 entries) is a data file (`offline/data/nationality.tsv`) read lazily on
first use, so importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType

#: GB/T 2261.1 sex codes (R-APP-1).
SEX: Mapping[str, str] = MappingProxyType({"1": "男", "2": "女", "9": "未说明"})

#: GB 3304 ethnicity codes: the 56 nationalities plus 97 and 98 (R-APP-1).
ETHNICITY: Mapping[str, str] = MappingProxyType(
    {
        "01": "汉族",
        "02": "蒙古族",
        "03": "回族",
        "04": "藏族",
        "05": "维吾尔族",
        "06": "苗族",
        "07": "彝族",
        "08": "壮族",
        "09": "布依族",
        "10": "朝鲜族",
        "11": "满族",
        "12": "侗族",
        "13": "瑶族",
        "14": "白族",
        "15": "土家族",
        "16": "哈尼族",
        "17": "哈萨克族",
        "18": "傣族",
        "19": "黎族",
        "20": "傈僳族",
        "21": "佤族",
        "22": "畲族",
        "23": "高山族",
        "24": "拉祜族",
        "25": "水族",
        "26": "东乡族",
        "27": "纳西族",
        "28": "景颇族",
        "29": "柯尔克孜族",
        "30": "土族",
        "31": "达斡尔族",
        "32": "仫佬族",
        "33": "羌族",
        "34": "布朗族",
        "35": "撒拉族",
        "36": "毛南族",
        "37": "仡佬族",
        "38": "锡伯族",
        "39": "阿昌族",
        "40": "普米族",
        "41": "塔吉克族",
        "42": "怒族",
        "43": "乌孜别克族",
        "44": "俄罗斯族",
        "45": "鄂温克族",
        "46": "德昂族",
        "47": "保安族",
        "48": "裕固族",
        "49": "京族",
        "50": "塔塔尔族",
        "51": "独龙族",
        "52": "鄂伦春族",
        "53": "赫哲族",
        "54": "门巴族",
        "55": "珞巴族",
        "56": "基诺族",
        "97": "其他",
        "98": "外国血统中国籍人士",
    }
)

# ----------------------------------------------------------------- identity documents (R-ID-1)

DOC_RESIDENT_ID = "resident_id"
DOC_TEMP_RESIDENT_ID = "temp_resident_id"
DOC_HOUSEHOLD_REGISTER = "household_register"
DOC_HKMO_TRAVEL_PERMIT = "hkmo_travel_permit"
DOC_HKMO_RESIDENCE_PERMIT = "hkmo_residence_permit"
DOC_TW_TRAVEL_PERMIT = "tw_travel_permit"
DOC_TW_RESIDENCE_PERMIT = "tw_residence_permit"
DOC_FOREIGN_PASSPORT = "foreign_passport"
DOC_FOREIGN_PERMANENT_RESIDENCE = "foreign_permanent_residence"
DOC_CN_PASSPORT = "cn_passport"  # HN 3: a 华侨 (overseas Chinese) applies with the Chinese passport
DOC_MILITARY_OFFICER = "military_officer"
DOC_ARMED_POLICE_OFFICER = "armed_police_officer"

#: Identity documents, stable codes -> Chinese names. The first ten are the valid documents of
#: HB 5 / HN 3 (the Chinese passport of a 华侨 is HN 3's only; validate_person refuses it in
#: Hubei); the military and armed-police documents are known only so that the validator can
#: name them and reject them with HB 5 (those persons follow national rules, out of scope).
DOC_TYPES: Mapping[str, str] = MappingProxyType(
    {
        DOC_RESIDENT_ID: "居民身份证",
        DOC_TEMP_RESIDENT_ID: "临时居民身份证",
        DOC_HOUSEHOLD_REGISTER: "户口簿",
        DOC_HKMO_TRAVEL_PERMIT: "港澳居民来往内地通行证",
        DOC_HKMO_RESIDENCE_PERMIT: "港澳居民居住证",
        DOC_TW_TRAVEL_PERMIT: "台湾居民来往大陆通行证",
        DOC_TW_RESIDENCE_PERMIT: "台湾居民居住证",
        DOC_FOREIGN_PASSPORT: "外国护照",
        DOC_FOREIGN_PERMANENT_RESIDENCE: "外国人永久居留身份证",
        DOC_CN_PASSPORT: "中华人民共和国护照（华侨）",
        DOC_MILITARY_OFFICER: "军官证",
        DOC_ARMED_POLICE_OFFICER: "武警警官证",
    }
)

#: Documents the station accepts (R-ID-1, HB 5).
VALID_DOC_TYPES: frozenset[str] = frozenset(list(DOC_TYPES)[:10])
#: Documents recognised only to be refused with HB 5.
REJECTED_DOC_TYPES: frozenset[str] = frozenset({DOC_MILITARY_OFFICER, DOC_ARMED_POLICE_OFFICER})
#: Documents whose number is an 18-digit GB 11643 citizen number (R-ID-3); the residence permits
#: carry one with address code 810000 / 820000 / 830000.
CITIZEN_NUMBER_DOCS: frozenset[str] = frozenset(
    {
        DOC_RESIDENT_ID,
        DOC_TEMP_RESIDENT_ID,
        DOC_HOUSEHOLD_REGISTER,
        DOC_HKMO_RESIDENCE_PERMIT,
        DOC_TW_RESIDENCE_PERMIT,
    }
)

# ----------------------------------------------------------------- occupations

#: 《中华人民共和国职业分类大典》(2015) 8 major groups (大类) and the common middle groups (中类).
#: Code = 7 digits as the card data items use them: major (1) + middle (2) + "0000"; the display
#: form of 1010000 is 1-01. Children, pupils and persons without work are recorded under
#: 8000000 (不便分类的其他从业人员), the group the 大典 keeps for those not otherwise classified.
OCCUPATIONS: Mapping[str, str] = MappingProxyType(
    {
        "1000000": "党的机关、国家机关、群众团体和社会组织、企事业单位负责人",
        "1010000": "中国共产党机关负责人",
        "1020000": "国家机关负责人",
        "1030000": "民主党派和工商联负责人",
        "1040000": "人民团体和群众团体、社会组织及其他成员组织负责人",
        "1050000": "基层群众自治组织负责人",
        "1060000": "企事业单位负责人",
        "2000000": "专业技术人员",
        "2010000": "科学研究人员",
        "2020000": "工程技术人员",
        "2030000": "农业技术人员",
        "2040000": "飞机和船舶技术人员",
        "2050000": "卫生专业技术人员",
        "2060000": "经济和金融专业人员",
        "2070000": "法律、社会和宗教专业人员",
        "2080000": "教学人员",
        "2090000": "文学艺术、体育专业人员",
        "2100000": "新闻出版、文化专业人员",
        "2990000": "其他专业技术人员",
        "3000000": "办事人员和有关人员",
        "3010000": "行政办事及辅助人员",
        "3020000": "安全和消防及辅助人员",
        "3030000": "法律事务及辅助人员",
        "3990000": "其他办事人员和有关人员",
        "4000000": "社会生产服务和生活服务人员",
        "4010000": "批发与零售服务人员",
        "4020000": "交通运输、仓储和邮政业服务人员",
        "4030000": "住宿和餐饮服务人员",
        "4040000": "信息传输、软件和信息技术服务人员",
        "4050000": "金融服务人员",
        "4060000": "房地产服务人员",
        "4070000": "租赁和商务服务人员",
        "4080000": "技术辅助服务人员",
        "4090000": "水利、环境和公共设施管理服务人员",
        "4100000": "居民服务人员",
        "4110000": "电力、燃气及水供应服务人员",
        "4120000": "修理及制作服务人员",
        "4130000": "文化、体育和娱乐服务人员",
        "4140000": "健康服务人员",
        "4990000": "其他社会生产和生活服务人员",
        "5000000": "农、林、牧、渔业生产及辅助人员",
        "5010000": "农业生产人员",
        "5020000": "林业生产人员",
        "5030000": "畜牧业生产人员",
        "5040000": "渔业生产人员",
        "5050000": "农、林、牧、渔业生产辅助人员",
        "5990000": "其他农、林、牧、渔业生产及辅助人员",
        "6000000": "生产制造及有关人员",
        "6010000": "农副产品加工人员",
        "6020000": "食品、饮料生产加工人员",
        "6290000": "建筑施工人员",
        "6300000": "运输设备和通用工程机械操作人员及有关人员",
        "6310000": "生产辅助人员",
        "6990000": "其他生产制造及有关人员",
        "7000000": "军人",
        "8000000": "不便分类的其他从业人员",
    }
)


def occupation_display(code: str) -> str:
    """'1010000' -> '1-01' (the 大典's own notation), '2000000' -> '2'; unknown codes unchanged."""
    if len(code) != 7 or not code.isdigit():
        return code
    major, middle = code[0], code[1:3]
    return major if middle == "00" else f"{major}-{middle}"


# ----------------------------------------------------------------- relations (R-ID-4, R-ID-5, R-CAN-3)

REL_PARENT = "parent"
REL_SPOUSE = "spouse"
REL_CHILD = "child"
REL_GRANDPARENT = "grandparent"
REL_SIBLING = "sibling"
REL_OTHER_GUARDIAN = "other_guardian"
REL_APPOINTED = "appointed"
REL_HEIR = "heir"
REL_UNIT = "unit"
REL_ENTRUSTED = "entrusted"

#: How a guardian or agent stands to the person (HB 7, HN 3, HN 26, HN 28(8)).
RELATIONS: Mapping[str, str] = MappingProxyType(
    {
        REL_PARENT: "父母",
        REL_SPOUSE: "配偶",
        REL_CHILD: "子女",
        REL_GRANDPARENT: "祖父母、外祖父母",
        REL_SIBLING: "兄弟姐妹",
        REL_OTHER_GUARDIAN: "其他监护人",
        REL_APPOINTED: "人民法院或有关部门指定的监护人",
        REL_HEIR: "法定继承人",
        REL_UNIT: "单位",
        REL_ENTRUSTED: "受托人（亲友）",
    }
)
#: Relations that make someone a guardian or legal agent (R-ID-5: HB 7 "监护人、法定代理人或者
#: 人民法院及有关部门依法指定的人员").
GUARDIAN_RELATIONS: frozenset[str] = frozenset(
    {REL_PARENT, REL_SPOUSE, REL_CHILD, REL_GRANDPARENT, REL_SIBLING, REL_OTHER_GUARDIAN, REL_APPOINTED}
)

#: The proof of guardianship seen at the window (R-ID-5; HB 7 "体现监护关系的证明材料", HN 3).
GUARDIAN_PROOFS: Mapping[str, str] = MappingProxyType(
    {
        "household_register": "户口簿",
        "birth_certificate": "出生医学证明",
        "court_appointment": "人民法院或有关部门指定监护的文书",
        "other_proof": "其他监护关系证明",
    }
)

# ----------------------------------------------------------------- nationality (ISO 3166-1 alpha-3)


class _LazyTable(Mapping[str, str]):
    """A mapping read from a TSV data file on first access (import stays cheap)."""

    def __init__(self, filename: str) -> None:
        self._filename = filename

    def _data(self) -> dict[str, str]:
        return _read_tsv(self._filename)

    def __getitem__(self, key: str) -> str:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def __repr__(self) -> str:
        return f"<code table {self._filename}: {len(self)} entries>"


@cache
def _read_tsv(filename: str) -> dict[str, str]:
    text = resources.files("offline.data").joinpath(filename).read_text(encoding="utf-8")
    table: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, _, name = line.partition("\t")
        table[code.strip()] = name.strip()
    return table


#: ISO 3166-1 alpha-3 -> Chinese name, all 249 entries (CHN 中国, HKG 中国香港, MAC 中国澳门, TWN 中国台湾).
NATIONALITY: Mapping[str, str] = _LazyTable("nationality.tsv")

#: Nationalities of the HK/Macau/Taiwan documents (R-ID-2).
HKMO_NATIONALITIES: frozenset[str] = frozenset({"HKG", "MAC"})
TW_NATIONALITIES: frozenset[str] = frozenset({"TWN"})

# ----------------------------------------------------------------- lookups


def code_name(table: Mapping[str, str], code: str) -> str | None:
    """The Chinese name of `code` in `table`, or None if the code is unknown."""
    return table.get(code)


def code_by_name(table: Mapping[str, str], name: str) -> str | None:
    """The code whose Chinese name is `name` (exact, whitespace-trimmed), or None.

    Also accepts an ethnicity without its trailing '族' ('汉' -> '01'), the way people say it.
    """
    wanted = name.strip()
    if not wanted:
        return None
    for code, zh in table.items():
        if zh == wanted:
            return code
    if table is ETHNICITY and not wanted.endswith("族"):
        return code_by_name(table, wanted + "族")
    return None
