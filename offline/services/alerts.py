"""What needs attention today, for the home screen: read-only, a handful of cheap COUNT queries.

Each alert names its rule in the message so an operator can look it up: produced cards past
the contact deadline (R-ISS-2), stock older than the ageing limit and sleeping cards
(R-ISS-6), blank temporary cards running low (R-TMP-5, HN 31), PIN-locked cards (R-PIN-4),
temporary losses about to expire (R-LOSS-2), unresolved chip writes (card_journal), and the
link: the oldest unsynced business and quarantined envelopes (offline.outbox.status).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from offline import outbox
from offline.profiles import Profile
from offline.services.card_common import add_months
from offline.store import Store

INFO, WARN, ERROR = "info", "warn", "error"


@dataclass(frozen=True)
class Alert:
    kind: str
    count: int
    message_zh: str
    severity: str  # 'info' | 'warn' | 'error'


def _count(store: Store, sql: str, params: tuple[Any, ...] = ()) -> int:
    row = store.one(sql, params)
    return int(row[0]) if row is not None and row[0] is not None else 0


def alerts(store: Store, profile: Profile, *, today: date) -> list[Alert]:
    """Alerts in display order (most urgent kinds first); kinds with nothing to say are left out."""
    out: list[Alert] = []
    day = today.isoformat()

    n = _count(
        store,
        "SELECT COUNT(*) FROM cards WHERE status = 'arrived' AND contacted_at = ''"
        " AND contact_deadline != '' AND contact_deadline < ?",
        (day,),
    )
    if n:
        out.append(Alert("contact_overdue", n, f"{n} 张已入库的卡超过联系时限仍未联系领卡（R-ISS-2）", WARN))

    stock_cut = add_months(today, -profile.stock_age_months).isoformat()
    n = _count(
        store,
        "SELECT COUNT(*) FROM cards WHERE status = 'arrived' AND arrived_at != ''"
        " AND substr(arrived_at, 1, 10) <= ?",
        (stock_cut,),
    )
    if n:
        months = profile.stock_age_months
        out.append(
            Alert("stock_old", n, f"{n} 张库存卡存放已超过 {months} 个月，应注销或封存（R-ISS-6）", WARN)
        )

    sleep_cut = add_months(today, -profile.sleeping_months).isoformat()
    n = _count(
        store,
        "SELECT COUNT(*) FROM cards WHERE status = 'unit_collected'"
        " AND substr(COALESCE(NULLIF(produced_at, ''), arrived_at), 1, 10) <= ?",
        (sleep_cut,),
    )
    if n:
        out.append(
            Alert(
                "sleeping_cards",
                n,
                f"{n} 张集体代领未发放的睡眠卡制卡已超过期限，应由代领单位交还清理（R-ISS-6）",
                WARN,
            )
        )

    if profile.temp_cards:
        low = profile.temp_stock_low
        n = _count(store, "SELECT COUNT(*) FROM temp_cards WHERE state = 'in_stock'")
        if n < low:
            out.append(
                Alert(
                    "temp_stock_low",
                    n,
                    f"在库空白临时卡仅剩 {n} 张，低于 {low} 张，请申领补充（R-TMP-5）",
                    WARN,
                )
            )

    n = _count(store, "SELECT COUNT(*) FROM cards WHERE pin_locked = 1 AND status = 'issued'")
    if n:
        out.append(
            Alert("pin_locked", n, f"{n} 张卡社会保障密码已锁定，待持卡人来办理解锁或重置（R-PIN-4）", INFO)
        )

    soon = (datetime.combine(today, datetime.min.time()) + timedelta(days=2)).isoformat()
    n = _count(
        store,
        "SELECT COUNT(*) FROM cards WHERE status = 'temp_lost' AND loss_expires_at != ''"
        " AND loss_expires_at < ?",
        (soon,),
    )
    if n:
        out.append(
            Alert(
                "temp_loss_expiring",
                n,
                f"{n} 张卡的临时挂失将在两日内（或已经）到期自动解除（R-LOSS-2）",
                INFO,
            )
        )

    n = _count(store, "SELECT COUNT(*) FROM card_write_journal WHERE state = 'pending'")
    if n:
        out.append(Alert("card_write_pending", n, f"{n} 张卡有未完成的写卡记录，请插入该卡核对处理", ERROR))

    out.extend(_card_in_hand_alerts(store))
    from offline.services.walkins import walkin_alerts

    out.extend(Alert(*a) for a in walkin_alerts(store))
    out.extend(_freeze_alerts(store, profile, today))
    out.extend(_sync_alerts(store, profile, today))
    out.extend(calendar_alerts(store, today))
    return out


def _card_in_hand_alerts(store: Store) -> list[Alert]:
    """Cards in hand the card management system refused or corrected (R-HLD-3)."""
    out: list[Alert] = []
    n = _count(store, "SELECT COUNT(*) FROM card_in_hand WHERE state = 'refused'")
    if n:
        out.append(
            Alert(
                "card_in_hand_refused",
                n,
                f"{n} 张持卡登记的卡未被卡管系统认可，请在人员页面查看原因并联系持卡人（R-HLD-3）",
                ERROR,
            )
        )
    n = _count(
        store,
        "SELECT COUNT(*) FROM card_in_hand WHERE state = 'corrected' AND resolved_at >= datetime('now', '-7 days')",
    )
    if n:
        out.append(
            Alert(
                "card_in_hand_corrected", n, f"{n} 张持卡登记的卡已按卡管系统更正信息或状态（R-HLD-3）", INFO
            )
        )
    return out


def calendar_alerts(store: Store, today: date) -> list[Alert]:
    """The working-day calendar: this year unknown, or from December on next year not loaded.

    Deadlines (R-APP-5, R-ISS-2, R-TRF-2) count working days; a year without its official
    arrangement falls back to weekdays and its deadlines are 预计 (offline/workdays.py).
    """
    from offline.workdays import WorkCalendar

    cal = WorkCalendar.from_store(store)
    years = [today.year] + ([today.year + 1] if today.month == 12 else [])
    missing = [y for y in years if not cal.covered(y)]
    if not missing:
        return []
    listed = "、".join(f"{y} 年" for y in missing)
    return [
        Alert(
            "calendar_missing",
            len(missing),
            f"{listed}节假日安排尚未导入，期限按周一至周五估算（标“预计”）。"
            "请联网同步，或由县级管理员运行 cardstation calendar import 文件 导入国务院办公厅通知的安排",
            WARN,
        )
    ]


def _freeze_alerts(store: Store, profile: Profile, today: date) -> list[Alert]:
    """R-FRZ: say *before* the freeze that new applications are about to stop, and why."""
    if profile is None:
        return []
    from offline.freeze import freeze_state

    now = datetime.combine(today, datetime.now().time()).astimezone()
    state = freeze_state(store, profile, now=now, disk_path=store.path.parent)
    if state.level == "ok":
        return []
    head = "新申领已冻结" if state.frozen else "即将冻结新申领"
    return [
        Alert(
            "frozen" if state.frozen else "freeze_warning",
            len(state.reasons),
            f"{head}：{'；'.join(state.reasons)}",
            ERROR if state.frozen else WARN,
        )
    ]


def _sync_alerts(store: Store, profile: Profile, today: date) -> list[Alert]:
    st = outbox.status(store)
    out: list[Alert] = []
    if st.oldest_unsent_at:
        age = (today - date.fromisoformat(st.oldest_unsent_at[:10])).days
        warn_days = profile.freeze_warn_days
        severity = WARN if age >= warn_days else INFO
        out.append(
            Alert(
                "unsynced",
                st.pending,
                f"{st.pending} 条业务待上传，最早的已等待 {age} 天"
                + ("，请尽快联网同步" if severity == WARN else ""),
                severity,
            )
        )
    if st.quarantined:
        out.append(
            Alert(
                "quarantined",
                st.quarantined,
                f"{st.quarantined} 条业务上传被拒（已隔离），请在同步页面处理",
                ERROR,
            )
        )
    if st.conflicts:
        out.append(
            Alert(
                "conflicts", st.conflicts, f"{st.conflicts} 条业务与卡管系统记录冲突，请在同步页面处理", ERROR
            )
        )
    return out
