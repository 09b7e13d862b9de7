"""Read-only services through the context: who may read personal data is decided here (R-SEC-2).

The store-level readers (`queries.search_persons`, `queries.person_page`, `delivery.list_runs`
...) take a store and check nothing, because tests and the report build on them. Every surface
an operator uses — the TUI's search, person page and delivery screen, the CLI's delivery list
— reads through these functions instead, so the same `permissions.require` that guards a write
guards a read: the 系统管理员 browses no personal data (R-SEC-1, R-SEC-2), whatever the screen or
command, and a screen that forgot its own check still cannot show it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from offline.business import ServiceContext
from offline.permissions import require

if TYPE_CHECKING:
    from offline.delivery import RunInfo, RunItem
    from offline.services.queries import PersonHit, PersonPage


def find_persons(ctx: ServiceContext, text: str, *, limit: int = 20) -> list[PersonHit]:
    """查找人员 (name, initials, SSN, card number)."""
    from offline.services.queries import search_persons

    require(ctx.operator, "search")
    return list(search_persons(ctx.store, text, limit=limit))


def view_person(ctx: ServiceContext, person_id: int, *, business_limit: int = 50) -> PersonPage:
    """A person's page: details, cards, applications, businesses."""
    from offline.services.queries import person_page

    require(ctx.operator, "view_person")
    return person_page(ctx.store, person_id, business_limit=business_limit)


def delivery_runs(ctx: ServiceContext, *, state: str | None = None) -> list[RunInfo]:
    """Door-to-door delivery lists (they name persons and villages)."""
    from offline.delivery import list_runs

    require(ctx.operator, "view_person")
    return list_runs(ctx.store, state=state, today=ctx.now().date())


def delivery_run(ctx: ServiceContext, run_id: int) -> tuple[RunInfo | None, list[RunItem]]:
    """One delivery list with its items (names, addresses, phones)."""
    from offline.delivery import run_info, run_items

    require(ctx.operator, "view_person")
    info = run_info(ctx.store, run_id, today=ctx.now().date())
    return info, ([] if info is None else run_items(ctx.store, run_id))
