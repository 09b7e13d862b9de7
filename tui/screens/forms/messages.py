"""Every operator-facing string of the business screens (forms, search, person, stock, receipt).

Kept together so the Chinese can be read, reviewed and corrected in one place (style.md).
Field labels that are the regulation's own words (HN 附件 forms) are used verbatim.
"""

from __future__ import annotations

from typing import Final

# ----------------------------------------------------------------- form machinery
PROBLEM_LINE: Final = "规则 {rule}：{message} 修改方法：{fix}"
SUBMIT: Final = "提交"
BACK: Final = "返回"
KEY_SUBMIT: Final = "提交"
KEY_BACK: Final = "返回"
KEY_SIGNATURE: Final = "读取签名"
SIGNATURE_READING: Final = "正在读取签名板的签名……"
SIGNATURE_READ: Final = "{text}，已勾选签字确认；提交后随业务保存，并打印在办理表签字处"
KEY_NEXT: Final = "下一项"
SUBMITTING: Final = "正在办理，请稍候……"
NOT_DONE: Final = "未办理：{reason}（未写入任何数据）"
NOT_DONE_PROBLEMS: Final = "未办理（未写入任何数据）：{count} 处需修改，首处【{label}】{message}（{rule}）"
DONE: Final = "已办理，受理编号 {receipt_no}"
#: A committed business that is not what was asked: the card failed its check and went back (R-ISS-3).
RETURNED: Final = "卡未发放：读卡检测不合格，已退回重制，退回单受理编号 {receipt_no}（请打印退回单交持卡人）"
DRAFT_RESTORED: Final = "已恢复上次未提交的草稿（{when}）。"
DRAFT_SAVED: Final = "草稿已自动保存"
CONFIRM_LEAVE: Final = "表单已填写内容，确定返回吗？草稿已保存，下次打开本业务可继续填写。"
CONFIRM_YES: Final = "返回（Y）"
CONFIRM_NO: Final = "继续填写（N）"
REQUIRED: Final = "此项必填"
REQUIRED_FIX: Final = "请填写{label}。"
BAD_DATE: Final = "日期格式不对"
BAD_DATE_FIX: Final = "请按 年-月-日 填写，例如 2026-03-01。"
NO_SUCH_DAY: Final = "没有这一天：{year} 年 {month} 月没有 {day} 日"
NO_SUCH_DAY_FIX: Final = "请核对证件上的日期后重新填写。"
NO_SUCH_MONTH: Final = "没有这一天：没有 {month} 月"
UNEXPECTED: Final = "办理时出错：{error}。未写入任何数据，请重试或联系技术支持。"
INSERT_CARD: Final = "本业务需要读卡：请把社会保障卡插入读卡器后按 Ctrl+S。"
CARD_FAILED: Final = "读卡失败：{message}"
NO_OPERATOR: Final = "未登录，请先登录。"
SELECT_PROMPT: Final = "请选择"
TYPED_NOT_UNDERSTOOD: Final = "“{value}”无法识别为{label}。可选：{choices}"
TYPED_FIX: Final = "继续输入名称、简称或代码，或按回车从列表中选择。"
DATE_PLACEHOLDER: Final = "年-月-日"
PIN_PLACEHOLDER: Final = "6 位数字"
WARNINGS: Final = "提示：{text}"
QUERY_DONE: Final = "查询完成（只读，未办理任何业务）"
PHOTO_OK: Final = "照片符合要求：{before}"
PHOTO_FIX: Final = "请核对照片文件的路径，或重新拍照。"

# ----------------------------------------------------------------- result / receipt
RESULT_TITLE: Final = "办理结果"
RESULT_SUMMARY: Final = "办理内容：{summary}"
RESULT_FEE: Final = "收费：{fee}"
RESULT_FEE_NONE: Final = "免费"
RESULT_FEE_YUAN: Final = "{yuan} 元"
RESULT_FEE_RECEIPT: Final = "（收费票据号 {no}）"
RESULT_AT: Final = "受理时间：{at}"
RESULT_SYNC: Final = "已加密排队，待同步上传卡管系统（共 {count} 个数据包）。"
RECEIPT_TEXT: Final = "保存文本回执"
RECEIPT_PDF: Final = "保存PDF"
RECEIPT_PRINT: Final = "打印"
RECEIPT_DONE_BACK: Final = "完成"
RECEIPT_SAVED: Final = "已保存：{path}"
RECEIPT_PRINTED: Final = "已发送到打印机“{printer}”。"
RECEIPT_FAILED: Final = "回执未能输出：{message}"
KEY_TEXT: Final = "文本回执"
KEY_PDF: Final = "PDF"
KEY_PRINT: Final = "打印"
KEY_DONE: Final = "完成"

# ----------------------------------------------------------------- search / person
SEARCH_TITLE: Final = "查询人员"
SEARCH_LABEL: Final = "查询"
SEARCH_PLACEHOLDER: Final = "社会保障号 / 卡号 / 姓名 / 拼音首字母"
SEARCH_HINT: Final = "输入后自动查询；↓ 进入结果，Enter 打开人员页"
SEARCH_NONE: Final = "没有找到匹配的人员。"
SEARCH_COUNT: Final = "找到 {count} 人"
SEARCH_COLUMNS: Final = ("姓名", "社会保障号", "性别", "卡号", "卡状态")
KEY_OPEN: Final = "打开"

PERSON_TITLE: Final = "人员信息"
PERSON_NOT_FOUND: Final = "找不到该人员（编号 {id}）。"
PERSON_LINE1: Final = "{name}  {sex}  出生 {birth}  社会保障号 {ssn}"
PERSON_LINE2: Final = "证件 {doc_type} {doc_number}  电话 {phone}  状态 {status}"
PERSON_ADDRESS: Final = "常住地址：{address}"
PERSON_CARDS: Final = "社会保障卡"
PERSON_CARD_COLUMNS: Final = ("卡号", "状态", "银行", "发卡日期", "有效期至")
PERSON_APPS: Final = "申请进度"
PERSON_BUSINESSES: Final = "办理记录"
PERSON_BUS_COLUMNS: Final = ("受理编号", "业务", "时间", "同步", "卡管回复")
PERSON_NONE: Final = "（无）"
SYNC_STATE: Final[dict[str, str]] = {
    "pending": "待上传",
    "sending": "上传中",
    "acked": "已确认",
    "quarantined": "隔离待处理",
    "conflict": "冲突",
    "none": "无需上传",
    "": "—",
}
REMOTE_STATUS: Final[dict[str, str]] = {
    "": "—",
    "accepted": "已受理",
    "rejected": "已退回",
    "approved": "已批准",
    "produced": "已制卡",
    "shipped": "已寄出",
}

# ----------------------------------------------------------------- stock screens
STOCK_TITLE: Final = "库存卡管理"
STOCK_COLUMNS: Final = ("卡号", "姓名", "状态", "入库日期", "联系期限", "已联系")
STOCK_OVERDUE: Final = "超期未联系 {count} 张"
STOCK_OLD: Final = "库存超 {months} 个月 {count} 张"
STOCK_EMPTY: Final = "库存中没有卡。"
STOCK_TOTAL: Final = "在库 {count} 张"
STOCK_FILTER_ALL: Final = "全部"
STOCK_FILTER_OVERDUE: Final = "超期未联系"
STOCK_FILTER_OLD: Final = "超期库存"
KEY_FILTER: Final = "筛选"
KEY_RECEIVE: Final = "入库"
KEY_CONTACT: Final = "登记联系"
KEY_AGE: Final = "超期处理"
KEY_REFRESH: Final = "刷新"

TEMP_STOCK_TITLE: Final = "临时卡库存"
TEMP_STOCK_COUNTS: Final = "各状态张数"
TEMP_STOCK_MOVES: Final = "最近流转"
TEMP_STOCK_MOVE_COLUMNS: Final = ("时间", "卡号", "从", "到", "经办人")
TEMP_STOCK_LOW: Final = "在库临时卡不足 {low} 张，请及时申领补充。"
TEMP_STOCK_DISABLED: Final = "本省未开展临时卡业务。"
KEY_TEMP_MOVE: Final = "库存流转"
