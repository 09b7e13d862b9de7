"""Every operator-facing string of the receipts and business forms, in one place.

The layout follows the two forms printed at the end of the Hunan regulation (HN, 附件):
《湖南省社会保障卡业务申请/办理表》 and 《湖南省社会保障卡业务受理回执》. Hubei has no printed
form in its regulation, so a Hubei station prints the same layout under its province name
(R-APP-8: the applicant receives a receipt with the acceptance number).
"""

from __future__ import annotations

PROVINCE_ZH = {"hunan": "湖南省", "hubei": "湖北省", "HN": "湖南省", "HB": "湖北省"}

FORM_TITLE = "{province}社会保障卡业务申请/办理表"
RECEIPT_TITLE = "{province}社会保障卡业务受理回执"

UNIT = "受理单位（盖章）："
RECEIPT_NO = "受理编号："
SERVICE_POINT = "服务网点"

SECTION_APPLICANT = "申请人（持卡人）信息"
SECTION_APPLICANT_OR_AGENT = "申请人或代理人信息"
SECTION_GUARDIAN = "监护人（代办人）信息"
PROOF = "证明材料"
SECTION_CARD = "社会保障卡信息"
SECTION_BUSINESS = "受理业务"
SECTION_SIGN = "办理人签字"

NAME = "姓名"
SEX = "性别"
BIRTH = "出生日期"
ETHNICITY = "民族"
NATIONALITY = "国籍"
DOC_TYPE = "证件类型"
DOC_NUMBER = "证件号码"
DOC_VALID = "证件有效期"
HOUSEHOLD = "户口所在地地址"
RESIDENCE = "常住所在地地址"
PHONE = "手机电话"
OCCUPATION = "职业（工种）"
APPLICANT_NAME = "申请人姓名"
AGENT_NAME = "代理人姓名"
RELATION = "关系"
CARD_TYPE = "卡类型"
CARD_FORMAL = "社会保障卡"
CARD_TEMP = "临时社会保障卡"
SSN = "社会保障号"
BANK = "发卡银行"
CARD_NUMBER = "社会保障卡卡号"
BANK_CARD_NUMBER = "银行卡卡号"
POSTAL_CODE = "邮政编码"
PHONE2 = "联系电话"
PHOTO_NO = "或定点照相编号"
PHOTO_TAKEN = "已采集电子照片"
COLLECT_PLACE = "领卡地点"
COLLECT_MAILED = "邮寄送达"
ID_COPY_TITLE = "{province}社会保障卡业务申请表（反面）"
ID_FRONT = "居民身份证（正面）复印件张贴处"
ID_BACK = "居民身份证（反面）复印件张贴处"
PHOTO_PLACE = "（贴照片处）"
LONG_TERM = "长期"

#: The business boxes of the Hunan form, in its order. Each box lists the item codes (and
#: for items with sub-kinds, 'item/kind') that tick it.
BUSINESS_BOXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("申领", ("apply", "temp_card/issue")),  # a temporary card is 申领 with 卡类型=临时卡
    ("补领", ("replace/replace",)),
    ("换领", ("replace/exchange", "key_info_change/exchange")),  # a key change forces 换领
    ("开启医保结算功能", ("activate",)),
    ("注销人力资源社会保障应用", ("cancel", "temp_card/lost_cancel")),
    ("回收", ("temp_card/recycle",)),
    ("销卡", ("temp_card/damaged_destroy",)),
    ("社保密码修改", ("pin_change",)),
    ("社保密码重置", ("pin_reset", "pin_unlock")),
    ("关键信息变更", ("key_info_change",)),
    ("发卡银行变更", ("bank_change",)),
    ("归属地转移", ("transfer",)),
)
OTHER_BUSINESS = "其他业务"
EXCHANGE_REASON = "换卡原因"
TICKED = "☑"
UNTICKED = "□"

FEE = "收费"
FEE_NONE = "免费"
FEE_AMOUNT = "{yuan} 元"
FEE_RECEIPT_NO = "收费票据号"
SUMMARY = "办理内容"
HANDLED_AT = "受理时间"
OPERATOR = "经办人签章"
DECLARATION = (
    "本人保证所提供的个人资料真实、有效，并已详细了解所申请业务内容及收费标准，同意按本表信息办理业务。"
)
SIGNATURE = "申请人或代理人签字："
SIGNATURE_PAD = "（电子签名，见打印件）"
DATE_BLANK = "年    月    日"
CUT_LINE = "（沿此线剪开，回执交办理人留存）"
KEEP_RECEIPT = "请妥善保管本回执，凭受理编号查询办理进度。"

# Errors (PrintError.message_zh)
NO_FONT = (
    "找不到可打印中文的字体（已查找：{paths}）。请安装 fonts-droid-fallback 或 fonts-noto-cjk 后重试；"
    "也可先打印文本回执。"
)
NO_PRINTER = "未配置打印机。请在配置文件中设置打印机名称，或先把回执保存为 PDF。"
NO_LP = "找不到打印命令 lp（CUPS）。请安装 cups-client，或先把回执保存为 PDF。"
LP_FAILED = "打印机“{printer}”拒绝打印：{detail}。回执已保存在 {path}，可稍后重新打印。"
