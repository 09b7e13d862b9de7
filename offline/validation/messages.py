"""Every operator-facing string of the validators, in one place so the Chinese can be reviewed together.

Messages say what is wrong; fixes say what to do next. Both are Chinese (style.md). Placeholders use
`str.format` names. The rule id travels in the Problem, not in the text.
"""

from __future__ import annotations

from offline.errors import Problem

#: Field key -> Chinese label shown in 【】 before a message.
LABELS: dict[str, str] = {
    "name": "姓名",
    "sex": "性别",
    "ethnicity": "民族",
    "nationality": "国家/地区",
    "birth_date": "出生日期",
    "occupation": "职业（工种）",
    "doc_type": "证件类型",
    "doc_number": "证件号码",
    "doc_valid_from": "证件有效期起",
    "doc_valid_to": "证件有效期止",
    "household_address": "户口所在地地址",
    "residence_address": "常住（工作单位）地址",
    "phone": "联系电话",
    "mailing_address": "邮寄地址",
    "bank": "合作银行",
    "photo": "电子照片",
    "ssn": "社会保障号码",
    "card_number": "社会保障卡卡号",
    "pin": "新密码",
    "pin_again": "确认新密码",
    "guardian": "监护人",
    "agent": "代办人",
    "relation": "关系",
    "unit_name": "代办单位名称",
    "proof": "证明材料",
}

ROLE_LABELS: dict[str, str] = {"guardian": "监护人", "agent": "代办人"}


def label(field: str) -> str:
    """The Chinese label of a field key; 'guardian.doc_number' -> '监护人证件号码'."""
    role, dot, rest = field.partition(".")
    if dot:
        return ROLE_LABELS.get(role, role) + LABELS.get(rest, rest)
    return LABELS.get(field, field)


def problem(field: str, rule: str, message: str, fix: str) -> Problem:
    """A Problem with its Chinese label filled in from LABELS."""
    return Problem(field=field, rule=rule, message=message, fix=fix, label=label(field))


# ----------------------------------------------------------------- generic
REQUIRED = "不能为空"
FIX_FILL = "请按证件如实填写。"
FIX_PICK = "请从下拉列表中选择。"
UNKNOWN_CODE = "代码“{code}”不在代码表中"
BAD_DATE = "“{value}”不是有效日期"
FIX_DATE = "请按 年-月-日 填写，例如 2024-03-01。"
TOO_LONG = "过长（最多 {max} 个字）"
CONTROL_CHARS = "含有不可见字符"
FIX_RETYPE = "请删除后重新输入。"

# ----------------------------------------------------------------- R-ID-1 documents
HOLDER_DOC_MISSING = "未录入持卡人所出示的有效身份证件号码"
HOLDER_DOC_MISMATCH = "所持证件号码与持卡人登记的证件不符"
FIX_HOLDER_DOC = "请查验持卡人本人有效身份证件原件，并录入证件上的号码。"
DOC_MILITARY = "{doc}不是社会保障卡业务认可的有效身份证件，军人、武装警察按国家相关规定办理（HB 5）"
FIX_MILITARY = "请持居民身份证办理，或按军人社会保障卡的国家规定到指定机构办理。"
DOC_HOUSEHOLD_AGE = "户口簿仅限不满 {age} 周岁人员使用，本人已满 {years} 周岁"
FIX_HOUSEHOLD_AGE = "请持居民身份证或临时居民身份证办理。"
DOC_EXPIRED = "证件已于 {date} 过期"
FIX_EXPIRED = "请持有效期内的证件原件办理（HB 5、HN 3）。"
DOC_NOT_YET_VALID = "证件有效期起始日 {date} 晚于今天"
DOC_FROM_AFTER_TO = "有效期起始日晚于截止日"
FIX_CHECK_DATES = "请核对证件上的有效期限。"
DOC_TO_REQUIRED = "{doc}必须填写有效期截止日（仅居民身份证可为“长期”）"
DOC_NUMBER_FORMAT = "号码“{value}”不符合{doc}的编号格式（{pattern}）"
FIX_DOC_NUMBER = "请对照证件逐位核对后重新输入。"
DOC_NATIONALITY = "{doc}持有人的国家/地区应为{expected}，现为“{actual}”"
FIX_NATIONALITY = "请核对证件类型与国家/地区是否一致。"

# ----------------------------------------------------------------- R-ID-2
DOC_USE_RESIDENCE_PERMIT = "同时持有{permit}和{travel}的，必须使用{permit}办理"
FIX_USE_RESIDENCE_PERMIT = "请改用{permit}，证件类型选择“{permit}”。"

# ----------------------------------------------------------------- R-ID-3 citizen numbers
SSN_LENGTH = "应为 18 位，现为 {n} 位"
SSN_TOO_SHORT = "号码太短：少了 {missing} 位（应为 18 位，现为 {n} 位）"
SSN_TOO_LONG = "号码太长：多了 {extra} 位（应为 18 位，现为 {n} 位）"
SSN_CHARS = "前 17 位应全为数字，末位为数字或 X"
SSN_REGION = "前 6 位行政区划代码“{region}”无效"
SSN_PERMIT_REGION = "{doc}号码应以 {expected} 开头"
SSN_NOT_PERMIT = "以 810000/820000/830000 开头的号码属于港澳台居民居住证，证件类型应选“{doc}”"
SSN_BIRTH = "第 7-14 位出生日期“{value}”无效"
SSN_FUTURE = "号码中的出生日期 {date} 不合理（晚于今天或早于 1880 年）"
SSN_CHECK = "校验位错误：末位应为“{expected}”，现为“{actual}”"
FIX_SSN = "请对照证件逐位核对号码（GB 11643 校验）。"
BIRTH_MISMATCH = "出生日期 {typed} 与证件号码中的 {derived} 不一致"
FIX_BIRTH_MISMATCH = "请以证件为准改正出生日期，或核对证件号码。"
SEX_MISMATCH = "性别“{typed}”与证件号码推算的“{derived}”不一致"
FIX_SEX_MISMATCH = "请以证件为准改正性别，或核对证件号码。"
BIRTH_REQUIRED = "该证件号码不含出生日期，必须填写"
BIRTH_FUTURE = "出生日期晚于今天"
FOREIGN_NUMBER = "号码应为 {min}-{max} 位字母或数字，现为“{value}”"

# ----------------------------------------------------------------- R-ID-4 agents
AGENT_SAME_PERSON = "代办人与申请人是同一证件号码"
FIX_AGENT_SAME = "本人办理时无需填写代办人；代办时请填写代办人本人的证件。"
UNIT_NAME_REQUIRED = "单位代办须填写单位名称"
UNIT_LETTER_REQUIRED = "单位代办须提供单位委托书（介绍信）及经办人证件复印件（加盖单位公章）（HB 7）"
FIX_UNIT_LETTER = "请收取单位介绍信后，在“证明材料”中登记。"
RELATION_UNKNOWN = "关系“{value}”不在代码表中"

# ----------------------------------------------------------------- R-ID-5 guardians
GUARDIAN_REQUIRED_MINOR = "申请人未满 {age} 周岁，必须由监护人代办（HB 7）"
GUARDIAN_REQUIRED_CAPACITY = "申请人无完全民事行为能力，必须由监护人或法定代理人代办（HB 7、HN 3）"
FIX_GUARDIAN = "请填写监护人姓名、证件和与申请人的关系，并查验监护关系证明材料。"
GUARDIAN_RELATION = "关系“{value}”不能作为监护人"
FIX_GUARDIAN_RELATION = "监护人应为父母、配偶、子女、祖父母、兄弟姐妹、其他监护人或依法指定的人员。"
GUARDIAN_PROOF = "必须登记体现监护关系的证明材料（HB 7）"
FIX_GUARDIAN_PROOF = "请查验户口簿、出生医学证明或法院指定文书，并登记材料名称。"
GUARDIAN_MINOR = "监护人本人未满 18 周岁"
FIX_GUARDIAN_MINOR = "请由成年监护人办理。"

# ----------------------------------------------------------------- R-APP-1 contact and bank
PHONE_FORMAT = "“{value}”不是有效的手机号码（11 位，1 开头）或固定电话（区号-号码）"
FIX_PHONE = "请填写本人常用的手机号码，例如 13912345678，或固定电话，例如 027-87654321。"
ADDRESS_SHORT = "地址过短，请写到村（社区）、组（门牌号）"
FIX_ADDRESS = "请按“省市县乡村组”或“街道门牌号”填写完整地址。"
BANK_UNKNOWN = "“{value}”不是本省的社会保障卡合作银行"
FIX_BANK = "请从合作银行列表中选择一家（选定后有效期内不得随意变更）。"
MAILING_REQUIRED = "姓名含生僻字，卡片由省制卡中心制作后邮寄，必须填写邮寄地址（HB 34-36）"
FIX_MAILING = "请填写能收到邮件的详细地址。"

# ----------------------------------------------------------------- names
NAME_LATIN = "中国公民姓名不能含字母"
NAME_DIGIT = "不能含数字"
NAME_SYMBOL = "含不允许的符号“{char}”"
NAME_DOT = "请使用间隔号“·”代替“{char}”"
FIX_NAME = "请按证件上的姓名逐字输入。"
NAME_TOO_LONG = "按 GBK 编码为 {n} 字节，超过卡片可存的 {max} 字节"
FIX_NAME_TOO_LONG = "请按证件上的姓名输入；过长姓名请联系县级社保卡中心处理。"
NAME_SPACES = "首尾或中间含多余空格"

# ----------------------------------------------------------------- R-APP-2 photo
PHOTO_MISSING = "年满 {age} 周岁的申请人必须采集电子照片（HB 11）"
FIX_PHOTO_TAKE = "请拍摄或导入符合二代身份证标准的照片。"
PHOTO_NOT_JPEG = "照片不是 JPEG 格式"
PHOTO_UNREADABLE = "照片文件无法读取"
PHOTO_SIZE = "照片文件大小为 {kb:.1f} KB，应为 {lo}-{hi} KB"
FIX_PHOTO_SIZE = "请通过照片文件导入（本系统会自动裁剪、压缩），或重新拍照。"
PHOTO_DIMENSIONS = "照片尺寸为 {w}×{h} 像素，应为 358×441 像素（宽×高）"
FIX_PHOTO_DIMENSIONS = "请通过照片文件导入（本系统会自动裁剪到 358×441），或重新拍照。"
PHOTO_BACKGROUND = "照片背景不是白色"
FIX_PHOTO_BACKGROUND = "请在白色背景前重新拍照。"
PHOTO_BORDER = "照片{side}边缘有边框"
FIX_PHOTO_BORDER = "请去掉照片边框后重新导入。"
PHOTO_SIDES: dict[str, str] = {"top": "上", "left": "左", "right": "右", "bottom": "下"}

# ----------------------------------------------------------------- card numbers
CARD_NUMBER_LENGTH = "卡号应为 9 位，现为 {n} 位"
CARD_NUMBER_FIRST = "卡号首位应为大写字母"
CARD_NUMBER_CHARS = "卡号第 2-8 位应为数字或大写字母"
CARD_NUMBER_CHECK = "卡号校验位错误：末位应为“{expected}”，现为“{actual}”"
FIX_CARD_NUMBER = "请对照卡面卡号逐位核对。"

# ----------------------------------------------------------------- PINs (R-PIN-3, R-PIN-5)
PIN_FORMAT = "新密码应为 6 位数字"
FIX_PIN_FORMAT = "请重新输入 6 位数字密码。"
PIN_MISMATCH = "两次输入的新密码不一致"
FIX_PIN_MISMATCH = "请重新输入新密码并再次确认（HN 13）。"
PIN_INITIAL = "新密码不能与初始密码相同"
FIX_PIN_INITIAL = "请另设一个只有本人知道的密码。"
WARN_PIN_BIRTH = "新密码与出生日期相关，容易被他人猜到，建议更换（HN 14）。"
WARN_PIN_PHONE = "新密码取自联系电话，容易被他人猜到，建议更换（HN 14）。"
WARN_PIN_SAME = "新密码为相同数字，过于简单，建议更换。"
PIN_SAME_REFUSED = "密码不能是同一数字重复（如 888888），这是别人最先会试的密码"
PIN_SEQUENCE_REFUSED = "密码不能是连续数字（如 123456、654321），这是别人最先会试的密码"
FIX_PIN_WEAK = "请持卡人另设一组不易被猜到的 6 位数字（也不要用生日或手机号）。"
WARN_PIN_SEQUENCE = "新密码为连续数字，过于简单，建议更换。"
WARN_PIN_REPEAT = "新密码为重复数字组合，过于简单，建议更换。"

# ----------------------------------------------------------------- normalisers (what was typed -> standard)
UNDERSTOOD = "已识别为：{shown}"
NOT_UNDERSTOOD = "“{value}”无法识别为{label}。您是不是要填：{choices}？"
FIX_PICK_NAMED = "请填写{label}的标准名称、常用简称或代码（见上面列出的选项）。"
DATE_IMPOSSIBLE = "“{value}”不是存在的日期"
DATE_NO_OPEN_END = "此处不能填“{value}”，须填写具体日期"
FIX_DATE_FORMS = "请按 年-月-日 填写，例如 2020-01-01；也可写 2020.1.1、2020/1/1、20200101 或 2020年1月1日。"
PHONE_NO_AREA = "固定电话“{value}”缺少区号"
PHONE_MOBILE_LENGTH = "手机号码“{value}”为 {n} 位，应为 11 位"
BANK_NOT_HERE = "“{value}”（{bank}）不是本省的社会保障卡合作银行。可选：{choices}"
PHOTO_ADJUSTED = "照片已自动调整：原 {before} → {after}"
PHOTO_TOO_SMALL = "照片只有 {w}×{h} 像素，小于要求的 358×441 像素，放大会使面部模糊"
PHOTO_UNUSABLE = "照片文件不是可用的图像（无法识别、已损坏，或内容空白）"
PHOTO_TOO_LARGE = "照片有 {mp} 万像素，过大，不像证件照原图"
FIX_PHOTO_TOO_LARGE = "请使用相机或手机拍摄的 JPEG 原图，或把照片缩小后再导入。"
FIX_PHOTO_RETAKE = "请重新拍照或向照相馆索取原图（不小于 358×441 像素）。"
