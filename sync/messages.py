"""Every operator-facing string of the sync package, in one place (Chinese).

Codes are stable English identifiers used in the store, in `--json` output and in tests;
the text is what an operator reads on the status bar, the sync screen or the CLI.
"""

from __future__ import annotations

NOT_ENROLLED = "本站尚未注册到卡管系统（缺少站点密钥或服务器公钥）。请运行：cardstation keys enrol --url 地址 --token 注册码"
KEY_FILE_BAD = "站点密钥文件 {path} 无法读取或权限不安全（应为 0600）。请联系县局重新注册本站。"
ENROL_FINGERPRINT = "服务器密钥指纹与注册码不符，可能连到了假冒的服务器，已停止注册。请核对地址和注册码。"
ENROL_REFUSED = "卡管系统拒绝注册：{reason}"
ENROL_NO_LINK = "连不上卡管系统（{reason}），注册没有完成，本站未做任何修改。请检查网络和 --url 地址后重新运行同一条命令（注册码仍然有效）。"
NO_URL = "未设置卡管系统地址（sync_url）。请先完成本站注册。"

#: Link states shown on the status bar.
LINK_STATES = {
    "unknown": "未检测",
    "up": "已连接",
    "down": "未连接",
    "portal": "网络需要登录（疑似认证页面）",
    "refused": "服务器拒绝本站",
}

#: Why an envelope was quarantined or a batch stopped: what happened, what to do.
REASONS: dict[str, str] = {
    "not_enrolled": NOT_ENROLLED,
    "cancelled": "同步已按要求停止；没发完的数据包留在队列里，下次继续发送（大文件从断点续传）。",
    "tampered": "数据包校验失败（可能被篡改或损坏）。请联系县局；确认后可“修复并重发”。",
    "unknown_station": "卡管系统不认识本站。请联系县局注册本站后再同步。",
    "revoked_station": "本站已被卡管系统停用。请联系县局重新注册，数据已保留在本机。",
    "retired_key": "本站使用的站点密钥已被更换或本站已重新注册，旧密钥不再有效。请用新密钥重试，或联系县局重新注册。",
    "quota": "卡管系统暂存空间已满，稍后自动重试。",
    "wrong_key_id": "服务器密钥已更换。系统会自动更新密钥并重新封装后重发。",
    "expired_key": "服务器密钥已过期。系统会自动更新密钥并重新封装后重发。",
    "cleartext": "未加密的数据被拒收。请联系技术支持。",
    "malformed": "数据包格式错误被拒收。请联系技术支持。",
    "replayed": "序号已被其他数据包使用（疑似重放）。请联系县局核查。",
    "conflict": "同一编号的数据包内容与服务器已收到的不一致，需要人工核对。",
    "network": "网络中断或超时，稍后自动重试。",
    "portal": "网络返回了非卡管系统的页面（可能需要网页登录），稍后自动重试。",
    "server_error": "卡管系统暂时不可用，稍后自动重试。",
    "bad_ack": "服务器回执无效（签名不符），稍后重试。",
    "busy": "另一个同步进程正在运行。",
    "keys_refresh_failed": "无法从卡管系统更新服务器密钥。",
    "downlink_signature": "下发数据签名无效，已拒收。",
}

REPORT_LINE = "发送 {sent}，已确认 {acked}，隔离 {quarantined}，冲突 {conflicts}，下发更新 {applied}"
REPORT_RENUMBERED = (
    "本站数据曾从备份恢复：{n} 个未上传的数据包已顺延到卡管系统已有的编号之后重新发送（内容不变，不会重复）。"
)
REPORT_ERRORS = "错误：{errors}"
STATUS_LINE = "链路：{link}；待发 {depth} 条{age}；隔离 {quarantine}；冲突 {conflicts}"
STATUS_AGE = "（最早 {hours} 小时前）"
DAEMON_STARTED = "同步守护进程已启动（{url}）。按 Ctrl+C 或发送 SIGTERM 结束。"
DAEMON_STOPPED = "同步守护进程已停止。"
RESENT = "已重新封装并放回发送队列：{count} 条"
KEY_ROTATED = "站点密钥已更换，新密钥编号 {key_id}。"
ENROLLED = "本站 {station_id} 已注册，服务器密钥 {key_id} 已固定（有效期至 {not_after}）。"
SUITE_LINE = "加密套件：{suite}（{name}），按省份配置选择，注册时与卡管系统协商并固定。"
#: What each sync suite is called on screen (sync.suite ids).
SUITE_NAMES = {1: "国际算法 X25519/AES-256-GCM/Ed25519", 2: "国密 SM2/SM3/SM4"}


def reason(code: str) -> str:
    """The Chinese explanation of a reason code (falls back to the code itself)."""
    return REASONS.get(code, code)
