"""`cardstation doctor`: is this station healthy, and if not, what should the person at it do?

A county engineer (or the assistant on the phone with one) runs it before and after anything
goes wrong. Each check says, in Chinese, what it found and what to do; the exit status sums it
up for scripts and monitoring: 0 all well, 1 warnings, 2 errors.

It lives in the composition root because it reaches every layer: the reader (pyscard), the
printer (CUPS `lpstat`), the gateway (httpx), the store. It only reads: nothing it checks is
changed, so it can run next to the TUI and the sync daemon at any time.
"""

from __future__ import annotations

import shutil
import stat
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from offline.store import Store, database_errors

OK, WARN, ERROR = "ok", "warning", "error"
LEVEL_ZH = {OK: "正常", WARN: "提醒", ERROR: "错误"}
EXIT = {OK: 0, WARN: 1, ERROR: 2}

#: Key lifetime below which the station should get new keys before they lapse.
KEY_WARN_DAYS = 30
#: Clock skew: receipt dates and working-day deadlines come from the local clock, and the gateway
#: refuses signed requests beyond its own window (a day: sync/gateway/app.py AUTH_SKEW_SECONDS).
CLOCK_WARN_S, CLOCK_ERROR_S = 120.0, 3600.0
#: Backup age (the daily timer should keep it under a day).
BACKUP_WARN_DAYS, BACKUP_ERROR_DAYS = 2, 7


@dataclass(frozen=True)
class Check:
    """One finding: `name` is a stable id for scripts; the rest is for the person reading."""

    name: str
    title: str
    level: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"[{LEVEL_ZH[self.level]}] {self.title}：{self.detail}"
        return text + (f"\n        处理：{self.fix}" if self.fix and self.level != OK else "")


@dataclass
class Context:
    """What the checks look at; tests replace the parts they plant problems in."""

    store: Store
    profile: Any
    now: datetime
    printer: str = ""
    sync_url: str | None = None
    lpstat: str = "lpstat"
    card_timeout: float = 2.0
    #: the store file's mode before it was opened (opening tightens it silently: see `file_mode`)
    store_mode: int | None = None


def file_mode(path: Path) -> int | None:
    """Mode of `path`, read *before* the store is opened: `Store.open` tightens a loose mode."""
    try:
        return path.stat().st_mode
    except OSError:
        return None


def overall(checks: list[Check]) -> str:
    levels = {c.level for c in checks}
    return ERROR if ERROR in levels else WARN if WARN in levels else OK


def run_checks(ctx: Context) -> list[Check]:
    """Every check in the order a person would look; one failing check never stops the others."""
    checks: list[Check] = []
    for fn in all_checks():
        try:
            checks.append(fn(ctx))
        except Exception as exc:  # a check that cannot run is itself a finding, not a traceback
            checks.append(Check(fn.__name__.removeprefix("check_"), "检查", ERROR, f"检查无法完成：{exc}"))
    return checks


# --------------------------------------------------------------------------- link and keys


def check_enrolment(ctx: Context) -> Check:
    """Enrolled (station key + pinned server keys), and how long the server keys have left."""
    from sync import keys

    title = "注册与密钥"
    try:
        ident = keys.load_identity(ctx.store)
        pinned = keys.pinned_server_keys(ctx.store)
    except (keys.NotEnrolled, keys.KeySetError, OSError, ValueError) as exc:
        return Check(
            "enrolment",
            title,
            ERROR,
            str(exc) if isinstance(exc, keys.NotEnrolled) and str(exc) else f"本站密钥无法读取（{exc}）。",
            "向县局要一次性注册码，运行 cardstation keys enrol --url 地址 --token 注册码。",
        )
    if not pinned:
        return Check(
            "enrolment",
            title,
            ERROR,
            "没有已固定的服务器公钥，业务无法加密上传。",
            "运行 cardstation keys refresh（需联网），或重新注册。",
        )
    latest = max(datetime.fromisoformat(k.not_after) for k in pinned)
    if latest.tzinfo is None:
        latest = latest.replace(tzinfo=ctx.now.tzinfo)
    days = (latest - ctx.now).total_seconds() / 86400
    detail = f"站号 {ident.station_id}，站点密钥 {ident.key_id}；服务器密钥最晚 {latest.date()} 到期（还有 {days:.0f} 天）。"
    if days <= 0:
        return Check(
            "enrolment",
            title,
            ERROR,
            detail + "已全部过期。",
            "联网后运行 cardstation keys refresh 获取新的服务器公钥。",
        )
    if days < KEY_WARN_DAYS:
        return Check(
            "enrolment",
            title,
            WARN,
            detail,
            "请尽快联网同步（会自动更新服务器公钥），或运行 cardstation keys refresh。",
        )
    return Check("enrolment", title, OK, detail)


def check_clock(ctx: Context) -> Check:
    """Local clock against the gateway's (/v1/ping returns its time); signatures carry timestamps."""
    import httpx

    from sync import keys

    title = "时钟"
    url = ctx.sync_url or ctx.store.setting(keys.S_URL)
    if not url:
        return Check(
            "clock",
            title,
            WARN,
            "没有设置卡管网关地址，无法核对时钟。",
            "先完成注册（cardstation keys enrol）。",
        )
    try:
        doc = httpx.get(url.rstrip("/") + "/v1/ping", params={"nonce": "doctor"}, timeout=15.0).json()
    except (httpx.HTTPError, ValueError) as exc:
        return Check(
            "clock",
            title,
            WARN,
            f"连不上卡管网关 {url}（{type(exc).__name__}），本次未核对时钟。",
            "联网后再运行 cardstation doctor。",
        )
    theirs = (
        datetime.fromisoformat(str(doc.get("time"))) if isinstance(doc, dict) and doc.get("time") else None
    )
    if theirs is None:
        return Check(
            "clock", title, WARN, f"{url} 没有返回时间，无法核对时钟。", "确认网关地址是卡管系统网关。"
        )
    skew = (ctx.now - theirs).total_seconds()
    detail = f"本机比网关{'快' if skew >= 0 else '慢'} {abs(skew):.0f} 秒。"
    if abs(skew) >= CLOCK_ERROR_S:
        return Check(
            "clock",
            title,
            ERROR,
            detail + "受理日期和办结期限会算错；相差超过一天时上传会被拒收。",
            "校准本机时间：sudo timedatectl set-ntp true，或手工设置正确时间。",
        )
    if abs(skew) >= CLOCK_WARN_S:
        return Check("clock", title, WARN, detail, "开启自动校时：sudo timedatectl set-ntp true。")
    return Check("clock", title, OK, detail)


# --------------------------------------------------------------------------- store


def check_disk(ctx: Context) -> Check:
    """Free space of the store's folder against the freeze floor (R-FRZ-2)."""
    free_mb = shutil.disk_usage(ctx.store.path.parent).free // (1024 * 1024)
    floor, warn = int(ctx.profile.disk_floor_mb), int(ctx.profile.disk_warn_mb)
    detail = f"数据目录剩余 {free_mb} MB（停止受理线 {floor} MB，提醒线 {warn} MB）。"
    fix = "删除不需要的文件（旧的导出、下载），或换更大的硬盘；备份已放到U盘的可从本机删除较早备份。"
    if free_mb < floor:
        return Check("disk", "磁盘空间", ERROR, detail + "已停止受理新申领（R-FRZ-2）。", fix)
    if free_mb < warn:
        return Check("disk", "磁盘空间", WARN, detail, fix)
    return Check("disk", "磁盘空间", OK, detail)


def check_calendar(ctx: Context) -> Check:
    """The holiday arrangement of the coming year is known (deadlines count working days)."""
    from offline.workdays import WorkCalendar

    today = ctx.now.date()
    gaps = WorkCalendar.from_store(ctx.store).gaps(today, today + timedelta(days=365))
    if gaps:
        years = "、".join(str(g.year) for g in gaps)
        return Check(
            "calendar",
            "节假日日历",
            WARN,
            f"{years} 年节假日安排未更新，期限按周一至周五估算，可能不准。",
            "联网同步（卡管系统会下发日历），或由县级管理员导入当年节假日安排。",
        )
    return Check("calendar", "节假日日历", OK, f"已覆盖 {today} 起的一年。")


def check_profile(ctx: Context) -> Check:
    """Which province profile is in force (also printed by `cardstation sync --status`)."""
    return profile_check(ctx.store)


def profile_check(store: Store) -> Check:
    """Which province profile is in force: bundled, or the card management system's update; a
    stored update that cannot be used is named with why (the bundled profile works meanwhile)."""
    from offline.station import station_info, station_profile_state

    info = station_info(store)
    if info is None:
        return Check("profile", "业务参数", ERROR, "本站尚未初始化。", "请先运行 cardstation init。")
    state = station_profile_state(info, store)
    name = state.profile.name_zh
    if state.problems:
        why = "；".join(p.message for p in state.problems[:3])
        more = f"等 {len(state.problems)} 项" if len(state.problems) > 3 else ""
        return Check(
            "profile",
            "业务参数",
            WARN,
            f"卡管系统下发的业务参数无法采用（{why}{more}），本站按程序自带的{name}参数办理。",
            "请联系卡管系统重新下发业务参数；如程序版本过旧，请升级后再同步。",
        )
    if state.overridden:
        return Check("profile", "业务参数", OK, f"{name}，按卡管系统下发的业务参数办理。")
    return Check("profile", "业务参数", OK, f"{name}，按程序自带的业务参数办理。")


def check_store(ctx: Context) -> Check:
    """SQLite's quick_check and the audit chain (R-SEC-3)."""
    from offline import audit

    conn = ctx.store.connection()
    try:
        quick = conn.execute("PRAGMA quick_check").fetchone()
    except database_errors() as exc:
        quick = (str(exc),)
    if quick is None or quick[0] != "ok":
        return Check(
            "store",
            "数据库",
            ERROR,
            f"数据库结构检查未通过：{quick[0] if quick else '无结果'}。",
            "立即停止办理业务，用 cardstation restore 从最近的备份恢复，并联系技术支持。",
        )
    chain = audit.verify(conn)
    if not chain.ok:
        return Check(
            "store",
            "数据库",
            ERROR,
            f"审计链第 {chain.first_bad_seq} 条有问题：{chain.reason}。",
            "保留现场（不要再办理业务），运行 cardstation audit verify 并报告县局。",
        )
    return Check("store", "数据库", OK, f"结构检查通过，审计链 {chain.entries} 条完整。")


def check_backup(ctx: Context) -> Check:
    """Age of the last verified backup (the daily timer should keep it under a day)."""
    from offline import backup

    last = ctx.store.setting(backup.S_LAST_AT)
    fix = "运行 cardstation backup；并确认每日备份定时器已启用：systemctl status cardstation-backup.timer。"
    if not last:
        return Check("backup", "备份", WARN, "本站从未备份。", fix)
    at = datetime.fromisoformat(last)
    if at.tzinfo is None:
        at = at.replace(tzinfo=ctx.now.tzinfo)
    days = (ctx.now - at).total_seconds() / 86400
    where = ctx.store.setting(backup.S_LAST_FILE) or ""
    detail = f"最近一次备份在 {at:%Y-%m-%d %H:%M}（{days:.1f} 天前）{('：' + where) if where else ''}。"
    if where and not Path(where).exists():
        return Check("backup", "备份", WARN, detail + "但该备份文件已不存在。", fix)
    if days >= BACKUP_ERROR_DAYS:
        return Check("backup", "备份", ERROR, detail, fix)
    if days >= BACKUP_WARN_DAYS:
        return Check("backup", "备份", WARN, detail, fix)
    return Check("backup", "备份", OK, detail)


def check_modes(ctx: Context) -> Check:
    """Store, journal, keys, backups, logs, receipts and reports are readable by their owner only (R-SEC-1)."""
    from offline import backup

    folder = ctx.store.path.parent
    paths = [ctx.store.path, Path(f"{ctx.store.path}-wal"), Path(f"{ctx.store.path}-shm")]
    keys_dir = folder / "keys"
    if keys_dir.is_dir():
        paths += [keys_dir, *keys_dir.iterdir()]
    backups = backup.default_backup_dir(ctx.store)
    if backups.is_dir():
        paths += [backups, *backups.glob("station-*.db")]
    for sub in ("logs", "receipts", "reports"):  # what the terminal writes next to the store
        if (folder / sub).is_dir():
            paths += [folder / sub, *(folder / sub).iterdir()]
    loose = []
    for p in paths:
        mode = ctx.store_mode if p == ctx.store.path and ctx.store_mode is not None else file_mode(p)
        if mode is None:
            continue
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            loose.append(f"{p}（{stat.filemode(mode)}）")
    if loose:
        return Check(
            "modes",
            "文件权限",
            ERROR,
            "其他用户可以读取：" + "；".join(loose) + "。",
            "运行 chmod 600 上列文件、chmod 700 上列目录（R-SEC-1）。",
        )
    return Check("modes", "文件权限", OK, f"数据库、密钥、备份、日志和回执仅本账户可读（{len(paths)} 项）。")


def all_checks() -> tuple[Callable[[Context], Check], ...]:
    """Every check in the order a person would look (devices first: what the assistant sees)."""
    from cardstation.doctor_devices import check_printer, check_reader

    return (
        check_reader,
        check_printer,
        *CHECKS,
    )


CHECKS: tuple[Callable[[Context], Check], ...] = (
    check_enrolment,
    check_clock,
    check_disk,
    check_calendar,
    check_profile,
    check_store,
    check_backup,
    check_modes,
)


def to_json(checks: list[Check]) -> dict[str, Any]:
    level = overall(checks)
    return {"status": level, "exit": EXIT[level], "checks": [asdict(c) for c in checks]}
