"""Who may do what: roles and their actions (R-SEC-2, HB 4 and HB 49).

An action is either a service item code of `offline.items` or one of the station actions
below. The table is data so that the TUI can grey out a menu entry with `allowed()` and a
service can refuse with `require()` — the same answer in both places.

Decisions (documented here because they are policy, not code):

- 窗口经办员 (operator) handles every service item, searches and views persons, runs the
  daily report, syncs, and prepares/works door-to-door delivery lists (R-ISS-7).
- 业务主管 (supervisor) can do everything an operator can, plus the overrides that need a
  second pair of eyes: ageing stock cancel/seal (R-ISS-6), releasing the "too much unsynced"
  freeze, resending quarantined envelopes, verifying the audit chain, listing sessions.
- 县局稽核 (auditor, county office over SSH) is read-only everywhere: search, view, the
  progress query, reports, audit verification, session list. Nothing that writes.
- 系统管理员 (admin) is an IT account: operators, station set-up, link and keys, audit
  verification, sessions. It handles no business and does not browse personal data
  (separation of duties; R-SEC-1 limits personal data to the stated purpose).
"""

from __future__ import annotations

from offline.business import Operator
from offline.errors import PermissionDenied, Problem
from offline.items import SERVICE_ITEMS

#: Role code → Chinese name shown to operators.
ROLE_NAMES: dict[str, str] = {
    "operator": "窗口经办员",
    "supervisor": "业务主管",
    "auditor": "县局稽核（只读）",
    "admin": "系统管理员",
}

#: Station actions beyond the service items, with their Chinese names.
STATION_ACTIONS: dict[str, str] = {
    "search": "查找人员",
    "view_person": "查看人员信息",
    "report.daily": "日报表",
    "stock.age": "超期库存卡注销/封存",
    "freeze.override": "冻结期间放行（主管授权）",
    "sync.run": "同步上传",
    "sync.resend": "重发隔离数据",
    "operators.manage": "操作员管理",
    "station.manage": "服务点设置",
    "audit.verify": "审计链校验",
    "delivery.prepare": "上门发放清单准备",
    "delivery.work": "上门发放",
    "sessions.list": "查看在线会话",
    "walkin": "未登记持卡人办理（待卡管核实）",
    "holder.adopt": "持卡登记（卡在手，待卡管核实）",
}

#: Every action → its Chinese name (service items first, in menu order).
ACTION_NAMES: dict[str, str] = {**{i.code: i.name_zh for i in SERVICE_ITEMS}, **STATION_ACTIONS}

#: Actions that change nothing: the only ones the county auditor may take.
READ_ONLY_ACTIONS: frozenset[str] = frozenset(
    {i.code for i in SERVICE_ITEMS if not i.writes}
    | {"search", "view_person", "report.daily", "audit.verify", "sessions.list"}
)

_OPERATOR: frozenset[str] = frozenset(
    {i.code for i in SERVICE_ITEMS}
    | {
        "search",
        "view_person",
        "report.daily",
        "sync.run",
        "delivery.prepare",
        "delivery.work",
        "holder.adopt",
        "walkin",
    }
)
_SUPERVISOR: frozenset[str] = _OPERATOR | {
    "stock.age",
    "freeze.override",
    "sync.resend",
    "audit.verify",
    "sessions.list",
}
_AUDITOR: frozenset[str] = READ_ONLY_ACTIONS
_ADMIN: frozenset[str] = frozenset(
    {"operators.manage", "station.manage", "sync.run", "sync.resend", "audit.verify", "sessions.list"}
)

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "operator": _OPERATOR,
    "supervisor": _SUPERVISOR,
    "auditor": _AUDITOR,
    "admin": _ADMIN,
}


def _check_action(action: str) -> None:
    """An unknown action is a programming error (a typo would silently deny or allow)."""
    if action not in ACTION_NAMES:
        raise ValueError(f"unknown action {action!r}; add it to offline.permissions")


def allowed(role: str, action: str) -> bool:
    """True if `role` may take `action` (R-SEC-2). Unknown roles may do nothing."""
    _check_action(action)
    return action in ROLE_ACTIONS.get(role, frozenset())


def actions_for(role: str) -> frozenset[str]:
    """Everything `role` may do (for menus and the help screen)."""
    return ROLE_ACTIONS.get(role, frozenset())


def require(operator: Operator, action: str) -> None:
    """Raise PermissionDenied naming the role, the action and R-SEC-2 unless allowed."""
    if allowed(operator.role, action):
        return
    role_zh = ROLE_NAMES.get(operator.role, operator.role)
    raise PermissionDenied(
        Problem(
            field="role",
            rule="R-SEC-2",
            message=f"{role_zh}（{operator.real_name}）无权办理“{ACTION_NAMES[action]}”",
            fix="请由有此权限的人员办理，或请系统管理员调整账户角色。",
            label="操作权限",
        )
    )
