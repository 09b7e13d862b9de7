"""Roles and actions (R-SEC-2): every service item × every role, and the station actions."""

from __future__ import annotations

import pytest

from offline.business import Operator
from offline.errors import PermissionDenied
from offline.items import SERVICE_ITEMS
from offline.permissions import (
    ACTION_NAMES,
    READ_ONLY_ACTIONS,
    ROLE_ACTIONS,
    ROLE_NAMES,
    actions_for,
    allowed,
    require,
)
from offline.services.registry import SERVICES

ROLES = ("operator", "supervisor", "auditor", "admin")
STATION_ACTIONS = (
    "search",
    "view_person",
    "report.daily",
    "stock.age",
    "freeze.override",
    "sync.run",
    "sync.resend",
    "operators.manage",
    "station.manage",
    "audit.verify",
    "delivery.prepare",
    "delivery.work",
    "sessions.list",
)


def _expected_item(role: str, writes: bool) -> bool:
    """The policy of offline/permissions.py's docstring, restated independently."""
    if role in ("operator", "supervisor"):
        return True
    if role == "auditor":
        return not writes
    return False  # admin: separation of duties, no business


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("item", SERVICE_ITEMS, ids=lambda i: i.code)
def test_r_sec_2_every_item_for_every_role(item: object, role: str) -> None:
    assert allowed(role, item.code) is _expected_item(role, item.writes)  # type: ignore[attr-defined]


def test_r_sec_2_every_service_item_has_a_permission_entry() -> None:
    for item in SERVICE_ITEMS:
        assert item.code in ACTION_NAMES, item.code
        assert any(item.code in actions for actions in ROLE_ACTIONS.values()), item.code
    assert set(SERVICES) <= set(ACTION_NAMES)


def test_r_sec_2_station_actions_all_exist_with_chinese_names() -> None:
    for action in STATION_ACTIONS:
        assert action in ACTION_NAMES
        assert any("\u4e00" <= ch <= "\u9fff" for ch in ACTION_NAMES[action]), action


def test_r_sec_2_auditor_is_read_only_everywhere() -> None:
    auditor = ROLE_ACTIONS["auditor"]
    assert auditor <= READ_ONLY_ACTIONS
    writing_items = {i.code for i in SERVICE_ITEMS if i.writes}
    assert not auditor & writing_items
    for action in (
        "stock.age",
        "freeze.override",
        "sync.run",
        "sync.resend",
        "operators.manage",
        "station.manage",
        "delivery.prepare",
        "delivery.work",
    ):
        assert not allowed("auditor", action), action
    for action in ("search", "view_person", "query", "report.daily", "audit.verify", "sessions.list"):
        assert allowed("auditor", action), action


def test_r_sec_2_supervisor_can_do_all_an_operator_can_plus_overrides() -> None:
    assert ROLE_ACTIONS["operator"] < ROLE_ACTIONS["supervisor"]
    for action in ("stock.age", "freeze.override", "sync.resend"):
        assert allowed("supervisor", action)
        assert not allowed("operator", action)


def test_r_sec_2_admin_manages_but_does_no_business_nor_personal_data() -> None:
    assert allowed("admin", "operators.manage") and allowed("admin", "station.manage")
    assert not ROLE_ACTIONS["admin"] & {i.code for i in SERVICE_ITEMS}
    assert not allowed("admin", "search") and not allowed("admin", "view_person")
    assert not allowed("operator", "operators.manage")


def test_r_sec_2_require_names_role_action_and_rule() -> None:
    auditor = Operator(7, "li", "李审计", "auditor")
    with pytest.raises(PermissionDenied) as err:
        require(auditor, "apply")
    text = str(err.value)
    assert ROLE_NAMES["auditor"] in text and "申领" in text and "R-SEC-2" in text and "李审计" in text
    assert err.value.rules == ["R-SEC-2"]
    require(auditor, "query")  # allowed: no exception


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        allowed("operator", "aply")
    assert not allowed("nobody", "query")
    assert actions_for("nobody") == frozenset()
