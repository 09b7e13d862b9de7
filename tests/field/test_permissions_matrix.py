"""Every service function of the registry under every role (R-SEC-2), and the auditor writes nothing.

Each real service function is called as 'operator', 'supervisor', 'auditor' and 'admin' with an
input that explodes on first touch (`Poison`). A role that `offline.permissions.allowed` denies
must get `PermissionDenied` — which also proves the permission check comes before the service
reads its input; an allowed role must get past the gate (any outcome but PermissionDenied).
After every attempt by the county auditor (read-only everywhere), businesses, audit and outbox
hold exactly the rows they held before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from offline import delivery, permissions
from offline.errors import PermissionDenied
from offline.reports import daily_report
from offline.services.registry import SERVICES
from tests.field.conftest import Field, make_field

ROLES = ("operator", "supervisor", "auditor", "admin")
#: Functions guarded by a station action rather than their item code.
#: Services gated by a station action rather than their item (a walk-in queues a business even for 查询).
ACTION_OF: dict[str, str] = {"age_stock": "stock.age", "accept_walkin": "walkin"}


class Touched(Exception):
    """The service read its input: it got past the permission gate."""


class Poison:
    def __getattr__(self, name: str) -> Any:
        raise Touched(name)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Field]:
    """One store for the matrix: no attempt below may write, so the cases cannot disturb each other."""
    from sync.testing import fresh_keys

    f = make_field(tmp_path_factory.mktemp("matrix"), fresh_keys("4301210010010000101").sealer())
    yield f
    f.store.close()


def _cases() -> list[tuple[str, Callable[..., Any]]]:
    return [(code, fn) for code, fns in SERVICES.items() for fn in fns]


def _call(fn: Callable[..., Any], ctx: Any) -> None:
    if fn.__name__ == "card_progress":
        fn(ctx, ssn=Poison())
    elif fn.__name__ == "issue_card":
        from offline.services.issuance import IssueInput

        fn(
            ctx,
            IssueInput(
                card_id=-1,
                mode="window",
                holder_doc_number="",
                face_photo_ok=True,
                face_text_ok=True,
                signed=True,
            ),
        )
    else:
        fn(ctx, Poison())


def _rows(field: Field) -> dict[str, int]:
    c = field.counts()
    return {k: c[k] for k in ("businesses", "audit", "outbox", "delivery_runs", "delivery_items")}


def _outcome(call: Callable[[], object]) -> str:
    try:
        call()
    except PermissionDenied as exc:
        assert exc.rules == ["R-SEC-2"] and "无权办理" in str(exc)
        return "denied"
    except Exception:
        return "passed"
    return "passed"


@pytest.mark.parametrize(("code", "fn"), _cases(), ids=[fn.__name__ for _c, fn in _cases()])
def test_R_SEC_2_service_items_under_every_role(shared: Field, code: str, fn: Callable[..., Any]) -> None:
    field = shared
    path = fn.__name__
    action = ACTION_OF.get(path, code)
    for role in ROLES:
        before = _rows(field)
        got = _outcome(lambda role=role: _call(fn, field.ctx(role)))  # type: ignore[misc]
        expected = "passed" if permissions.allowed(role, action) else "denied"
        assert got == expected, f"{path} as {role}: {got}, expected {expected}"
        if role == "auditor" or got == "denied":
            assert _rows(field) == before, f"{path} as {role} wrote rows"


def test_R_SEC_2_door_issuance_needs_the_delivery_permission_too(field: Field) -> None:
    from offline.services.issuance import IssueInput, issue_card

    door = IssueInput(
        card_id=-1, mode="door", holder_doc_number="", face_photo_ok=True, face_text_ok=True, signed=True
    )
    for role in ROLES:
        expected = permissions.allowed(role, "delivery.work") and permissions.allowed(role, "issue")
        got = _outcome(lambda role=role: issue_card(field.ctx(role), door))  # type: ignore[misc]
        assert got == ("passed" if expected else "denied"), role


def test_R_SEC_2_delivery_and_report_under_every_role(field: Field) -> None:
    s = field.in_stock(1)
    run = delivery.prepare_run(field.ctx(), person_ids=[s.person_id], name="x")
    item = delivery.run_items(field.store, run.id)[0]
    calls: dict[str, Callable[[Any], object]] = {
        "delivery.prepare": lambda ctx: delivery.prepare_run(ctx, person_ids=[-1], name="y"),
        "delivery.work": lambda ctx: delivery.deliver(ctx, run.id, item.id, Poison()),  # type: ignore[arg-type]
        "report.daily": lambda ctx: daily_report(ctx.store, "2025-03-03", operator=ctx.operator),
    }
    for action, call in calls.items():
        for role in ROLES:
            before = _rows(field)
            got = _outcome(lambda role=role, call=call: call(field.ctx(role)))  # type: ignore[misc]
            assert got == ("passed" if permissions.allowed(role, action) else "denied"), (action, role)
            if role == "auditor":
                assert _rows(field) == before
    for role in ROLES:
        got = _outcome(lambda role=role: delivery.close_run(field.ctx(role), -1))  # type: ignore[misc]
        assert got == ("passed" if permissions.allowed(role, "delivery.work") else "denied"), role


def test_R_SEC_2_auditor_reads_what_the_county_needs(field: Field) -> None:
    """Read-only paths work for the auditor (and write nothing): progress query, runs, report."""
    from offline.services.queries import card_progress

    s = field.in_stock(1)
    delivery.prepare_run(field.ctx(), person_ids=[s.person_id], name="x")
    before = _rows(field)
    ctx = field.ctx("auditor")
    report = card_progress(ctx, ssn=s.person.doc_number)
    assert report.person_name == s.person.name
    assert [r.total for r in delivery.list_runs(field.store)] == [1]
    assert daily_report(field.store, "2025-03-03", operator=ctx.operator).count == before["businesses"]
    assert _rows(field) == before
