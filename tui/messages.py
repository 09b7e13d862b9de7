"""Every operator-facing string of the TUI shell, in one place so it can be reviewed together.

Business-screen form strings live in `tui/screens/forms/messages.py`. Code and comments are
English; everything an operator reads is Chinese (style.md).
"""

from __future__ import annotations

from typing import Final

APP_TITLE: Final = "社会保障卡服务站"
FATAL_ERROR: Final = "程序内部错误，本次操作未完成。请重新启动 cardstation；如反复出现，请联系技术支持。"

# ----------------------------------------------------------------- login
LOGIN_TITLE: Final = "社会保障卡服务站 · 操作员登录"
LOGIN_USERNAME: Final = "用户名"
LOGIN_PASSWORD: Final = "密　码"
LOGIN_SUBMIT: Final = "登录"
LOGIN_HINT: Final = "Tab 切换输入框，Enter 登录，Ctrl+Q 退出"
LOGIN_EMPTY: Final = "请输入用户名和密码。"
LOGIN_CHECKING: Final = "正在验证……"
LOGIN_DEMO_HEADER: Final = "演示账号（仅演示数据，切勿用于真实业务）："
LOGIN_DEMO_LINE: Final = "  {username} / {password}  {real_name}（{role}）"
LOGIN_FAILED: Final = "登录失败：{reason}"

ROLE_NAMES: Final[dict[str, str]] = {
    "operator": "经办员",
    "supervisor": "主管",
    "auditor": "审计员",
    "admin": "管理员",
}

# ----------------------------------------------------------------- home
HOME_TITLE: Final = "业务菜单"
HOME_HINT: Final = "方向键选择，Enter 打开，或直接按业务前的键"
#: R-SEC-2: the 系统管理员 handles no business; its tasks are the station commands.
HOME_NO_ITEMS: Final = (
    "系统管理员不办理业务。操作员、服务点和密钥请用 cardstation operator / init / keys 命令管理。"
)
HOME_NOT_WIRED: Final = "该业务界面尚未接入"
HOME_OPEN_FAILED: Final = "打开业务界面失败：{error}"
HOME_ALERTS_TITLE: Final = "提醒"
HOME_ALERTS_NONE: Final = "暂无需要处理的提醒。"
HOME_ALERTS_LOADING: Final = "正在统计提醒……"
HOME_ALERTS_UNAVAILABLE: Final = "提醒服务尚未安装，暂不能统计。"
HOME_ALERTS_MORE: Final = "……共 {count} 项，按 F10 查看全部"
HOME_OTHER: Final = "F10 提醒  F11 在线会话  ^P 搜索业务  ^L 锁屏  ^Q 退出"

# ----------------------------------------------------------------- alerts (fallback texts)
ALERTS_TITLE: Final = "提醒"
ALERTS_HINT: Final = "Esc 返回"
ALERT_OLDEST_UNSENT: Final = "最早未上传业务已等待 {age}"
ALERT_QUARANTINED: Final = "有 {count} 个上传包被隔离，需处理后重发"

# ----------------------------------------------------------------- status bar
STATUS_NOT_LOGGED_IN: Final = "未登录"
STATUS_OPERATOR: Final = "{real_name}"
STATUS_LINK: Final[dict[str, str]] = {
    "up": "已联网",
    "down": "离线",
    "syncing": "同步中",
    "stalled": "联网但未上传",
    "unknown": "链路未知",
}
STATUS_QUEUE: Final = "待传 {count}"
STATUS_OLDEST: Final = "最早 {age}"
STATUS_QUARANTINED: Final = "隔离 {count}"
STATUS_EMULATED_READER: Final = "模拟读卡器"
STATUS_TEST_KEYS: Final = "测试密钥"
STATUS_DEMO: Final = "演示"

AGE_MINUTES: Final = "{n}分钟"
AGE_HOURS: Final = "{n}小时"
AGE_DAYS: Final = "{n}天"
AGE_JUST_NOW: Final = "刚刚"

# ----------------------------------------------------------------- reader panel
READER_LABEL: Final = "读卡器"
READER_NONE: Final = "未连接读卡器"
READER_EMPTY: Final = "请插卡"
READER_PRESENT: Final = "已插卡"
READER_CARD: Final = "已插卡 {card_number} {name}"
READER_REMOVED: Final = "卡已拔出"
READER_ERROR: Final = "读卡器故障：{message}"

# ----------------------------------------------------------------- card presence (make_ctx)
NO_CARD: Final = "请先在读卡器上插入社会保障卡，再办理本业务。"
NO_READER: Final = "本终端未配置读卡器，无法办理需要读卡的业务。"
NOT_LOGGED_IN: Final = "请先登录。"

# ----------------------------------------------------------------- lock
LOCK_TITLE: Final = "屏幕已锁定"
LOCK_BODY: Final = "操作员 {real_name}（{username}）已锁屏。未完成的表单保留在下面。"
LOCK_IDLE_BODY: Final = "超过 {minutes} 分钟无操作，已自动锁屏。未完成的表单保留在下面。"
LOCK_PASSWORD: Final = "请输入密码解锁"
LOCK_WRONG: Final = "密码错误：{reason}"
LOCK_SWITCH_HINT: Final = "Enter 解锁，Ctrl+Q 退出（当前会话将结束）"

# ----------------------------------------------------------------- drafts
DRAFT_TITLE: Final = "有未完成的表单，是否恢复？"
DRAFT_LINE: Final = "  {form}（保存于 {at}）"
DRAFT_RESTORE: Final = "恢复"
DRAFT_DISCARD: Final = "放弃"
DRAFT_HINT: Final = "Y 恢复并打开表单，N 放弃（删除这些草稿）"

# ----------------------------------------------------------------- sync screen
SYNC_TITLE: Final = "数据同步"
SYNC_RUN: Final = "立即同步"
SYNC_RESEND: Final = "重发"
SYNC_HINT: Final = "S 立即同步，R 重发选中的隔离包，Esc 返回"
SYNC_QUEUE_TITLE: Final = "待上传队列"
SYNC_QUARANTINE_TITLE: Final = "隔离区（需处理后重发）"
SYNC_COLUMNS: Final = ("序号", "类型", "业务", "大小", "次数", "时间")
SYNC_QUARANTINE_COLUMNS: Final = ("序号", "原因", "说明", "时间")
SYNC_NO_ENGINE: Final = "未配置同步服务（缺少同步地址或同步模块），只能查看队列。"
SYNC_RUNNING: Final = "正在同步……"
SYNC_STAGES: Final[dict[str, str]] = {
    "probe": "检测链路",
    "upload": "上传",
    "keys": "更新密钥",
    "downlink": "下行",
}
SYNC_PROGRESS: Final = "正在同步（{stage}）：{sent}/{total}"
SYNC_AUTO_DONE: Final = "自动同步：{detail}"
SYNC_AUTO_BUSY: Final = "另一个同步进程正在上传（如 sync --daemon），本机稍后再试。"
SYNC_AUTO_REQUESTED: Final = "已请求立即同步……"
SYNC_AUTO_HINT: Final = "联网时自动上传和接收（业务提交后数秒内、链路恢复时、每 2 分钟）。"
SYNC_DONE_SIMPLE: Final = "本次同步：{detail}"
SYNC_FAILED: Final = "同步失败：{error}。数据仍保存在本机，稍后会自动重试。"
SYNC_RESENT: Final = "已将 {envelope} 重新放入待上传队列。"
SYNC_NOTHING_SELECTED: Final = "请先在隔离区选中一个上传包。"
SYNC_SUMMARY: Final = (
    "待传 {pending} 个（{kb} KB），隔离 {quarantined} 个，冲突 {conflicts} 个，已确认 {acked} 个"
)
SYNC_LAST_ACK: Final = "最近确认：{at}"
SYNC_KIND: Final[dict[str, str]] = {"business": "业务", "blob": "照片/材料", "closing": "日结"}

# ----------------------------------------------------------------- sessions
SESSIONS_TITLE: Final = "在线会话"
SESSIONS_COLUMNS: Final = ("操作员", "来源", "登录时间", "最近操作", "状态")
SESSIONS_UNAVAILABLE: Final = "会话服务尚未安装（offline.sessions）。"
SESSIONS_IDLE: Final = "空闲"
SESSIONS_ACTIVE: Final = "在用"
SESSIONS_THIS: Final = "（本会话）"

# ----------------------------------------------------------------- palette
PALETTE_PLACEHOLDER: Final = "搜索业务（汉字或拼音首字母）…"
PALETTE_ITEM_HELP: Final = "打开业务：{name}（{sources}）"
PALETTE_OTHER: Final[dict[str, tuple[str, str]]] = {
    "search": ("查询人员", "cxry"),
    "sync": ("数据同步", "sjtb"),
    "alerts": ("提醒", "tx"),
    "sessions": ("在线会话", "zxhh"),
    "delivery": ("上门发放", "smff"),
    "report": ("日报表", "rbb"),
    "walkin": ("未登记持卡人办理", "wdjckr"),
    "lock": ("锁屏", "sp"),
    "logout": ("退出登录", "tcdl"),
    "quit": ("退出程序", "tccx"),
}

# ----------------------------------------------------------------- quit / misc
QUIT_HINT: Final = "按 {key} 退出程序"
QUIT_TITLE: Final = "要退出吗？"
LOGGED_OUT: Final = "已退出登录。"
WORKER_ERROR: Final = "后台任务出错：{error}"
