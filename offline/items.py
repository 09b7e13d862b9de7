"""The service items of business-rules.md section 1: the station's menu.

One entry per item, with a stable code used everywhere (service registry, permissions,
business records, key map, command palette). The Chinese names are what operators read;
`initials` are the pinyin initials the command palette matches.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceItem:
    number: int  # business-rules.md section 1
    code: str
    name_zh: str
    initials: str
    sources: str
    writes: bool = True  # False for query-only items


SERVICE_ITEMS: tuple[ServiceItem, ...] = (
    ServiceItem(1, "apply", "申领", "sl", "HB 10-13, 39-41; HN 11"),
    ServiceItem(2, "replace", "补领/换领", "bl", "HB 22-24; HN 23-25"),
    ServiceItem(3, "cancel", "注销", "zx", "HB 32-33; HN 26"),
    ServiceItem(4, "activate", "社保功能激活", "sbgnjh", "HB 18-19; HN 13"),
    ServiceItem(5, "temp_loss", "临时挂失", "lsgs", "HB 28-30; HN 21"),
    ServiceItem(6, "formal_loss", "正式挂失", "zsgs", "HB 28-29; HN 20"),
    ServiceItem(7, "lift_loss", "解挂", "jg", "HB 30; HN 22"),
    ServiceItem(8, "pin_change", "密码修改", "mmxg", "HB 20; HN 14"),
    ServiceItem(9, "pin_reset", "密码重置", "mmcz", "HB 21; HN 15"),
    ServiceItem(10, "pin_unlock", "密码解锁", "mmjs", "HB 21; HN 15"),
    ServiceItem(11, "query", "制卡进度及卡状态查询", "zkjdjkztcx", "HB 27; HN 18", writes=False),
    ServiceItem(12, "info_change", "非关键信息变更", "fgjxxbg", "HB 26; HN 17"),
    ServiceItem(13, "key_info_change", "关键信息变更", "gjxxbg", "HB 25; HN 16"),
    ServiceItem(14, "issue", "发放", "ff", "HB 14-17; HN 11(4), 28(8)"),
    ServiceItem(15, "temp_card", "临时卡", "lsk", "HN 12, 31"),
    ServiceItem(16, "transfer", "归属地省内转移", "gsdsnzy", "HN 19"),
    ServiceItem(17, "bank_change", "发卡银行变更", "fkyhbg", "HN 24"),
    ServiceItem(18, "stock", "库存卡/睡眠卡管理", "kckmkgl", "HB 14, 17; HN 31"),
)

ITEMS_BY_CODE: dict[str, ServiceItem] = {i.code: i for i in SERVICE_ITEMS}
