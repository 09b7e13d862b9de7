"""Every operator-facing Chinese string of `devices/`, in one place.

Codes (the keys) are stable English identifiers carried by `CardError.code`; the
values are what the operator reads. Keeping them together lets a native speaker
review the wording without reading the card code.
"""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, str]] = {
    # PC/SC and reader
    "no_pcscd": "读卡服务(pcscd)未运行，请启动读卡服务后重试",
    "no_reader": "未检测到读卡器，请检查读卡器连接",
    "reader_unplugged": "读卡器已断开，请重新连接读卡器",
    "no_card": "读卡器中没有卡，请插入社会保障卡",
    "card_removed": "操作过程中卡被拔出，请重新插卡后重试",
    "mute_card": "卡片无应答，请检查卡片插入方向或更换卡片",
    "unknown_card": "无法识别的卡片（不是社会保障卡）",
    "reader_error": "读卡器通信错误",
    # status words
    "wrong_pin": "密码错误，还可尝试 {tries} 次",
    "pin_blocked": "密码已锁定，请办理密码解锁或重置",
    "security_not_satisfied": "安全状态不满足（未通过认证）",
    "file_not_found": "卡内文件不存在",
    "record_not_found": "卡内数据项不存在",
    "wrong_length": "卡片指令长度错误",
    "no_space": "卡内存储空间不足",
    "tlv_mismatch": "写卡数据格式与卡片不符",
    "card_status": "卡片返回错误状态 {sw}",
    "malformed_response": "卡片应答格式错误",
    # security module and authentication
    "auth_failed": "卡片认证失败（密钥不匹配），还可尝试 {tries} 次",
    "key_blocked": "卡片密钥已锁定，请送市级发卡机构处理",
    "sam_unsupported": "安全模块不支持该卡片算法",
    # writes
    "write_verify_failed": "写卡校验失败，卡内数据与写入内容不一致",
    "card_not_blank": "卡内已有其他持卡人信息，不能写入",
    "invalid_value": "写卡数据不合法：{detail}",
    "name_too_long": "姓名超出卡内可存储长度",
    "name_not_gbk": "姓名含有卡片无法存储的生僻字，需送省级制卡中心",
    "invalid_pin": "密码须为 4 至 12 位数字",
    # labels
    "test_keys": "测试密钥",
    "emulated_reader": "模拟读卡器",
}

LABELS: Final[dict[str, str]] = {
    "card_id_code": "卡识别码",
    "category": "卡类别",
    "version": "规范版本",
    "issuer_org": "初始化机构编号",
    "issue_date": "发卡日期",
    "expiry_date": "卡有效期",
    "card_number": "卡号",
    "ssn": "社会保障号码",
    "name": "姓名",
    "sex": "性别",
    "ethnicity": "民族",
    "birthplace": "出生地",
    "birth_date": "出生日期",
    "home_region": "参保地(户籍)区划",
    "emulated": "模拟卡",
    "test_keys": "测试密钥",
}


def message(code: str, **values: object) -> str:
    """The operator text for `code`, with `{placeholders}` filled in."""
    template = MESSAGES.get(code, MESSAGES["card_status"])
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template
