"""Downlink: pull signed updates after the opaque cursor and apply each once.

Each update is verified against the pinned downlink key (and must name this station) before
`offline.downlink.apply_update` applies it together with its cursor in one transaction. A
forged or mis-addressed update stops the pull at that point: nothing after it is applied,
and the cursor stays before it, so nothing is skipped either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from offline.protocols import CardstationError
from offline.store import Store
from sync import messages
from sync.client import GatewayClient, LinkError
from sync.keys import KeySetError, verify_signed

PAGE = 50
MAX_PAGES = 40


@dataclass
class DownlinkReport:
    applied: int = 0
    seen: int = 0
    rejected: int = 0


class DownlinkRejected(CardstationError):
    """An update failed verification (code 'downlink_signature'); `str()` is the update id."""

    def __init__(self, update_id: str) -> None:
        super().__init__(messages.reason("downlink_signature"), code="downlink_signature", text=update_id)


def pull(
    store: Store, client: GatewayClient, *, station_id: str, downlink_public_key: bytes
) -> DownlinkReport:
    from offline import (
        downlink as offline_downlink,
    )  # the colleague's API: apply_update, cursor, DownlinkUpdate

    report = DownlinkReport()
    for _ in range(MAX_PAGES):
        cursor = offline_downlink.cursor(store)
        page = client.fetch_updates(cursor, PAGE)
        updates = page.get("updates", [])
        for doc in updates:
            body = _verified(doc, downlink_public_key, station_id)
            if body is None:
                report.rejected += 1
                raise DownlinkRejected(str(doc.get("update_id", "")) if isinstance(doc, dict) else "")
            report.seen += 1
            update = offline_downlink.DownlinkUpdate(
                str(body["update_id"]), str(body["kind"]), dict(body["payload"])
            )
            outcome = offline_downlink.apply_update(store, update, cursor=str(body["cursor"]))
            if outcome != "duplicate":
                report.applied += 1
        if not page.get("more") or not updates:
            break
    return report


def _verified(doc: Any, key: bytes, station_id: str) -> dict[str, Any] | None:
    if not isinstance(doc, dict):
        return None
    try:
        body = verify_signed(doc, key)
    except KeySetError:
        return None
    if body.get("station_id") != station_id or not isinstance(body.get("payload"), dict):
        return None
    if not isinstance(body.get("update_id"), str) or not isinstance(body.get("cursor"), str):
        return None
    return body


__all__ = ["DownlinkRejected", "DownlinkReport", "LinkError", "pull"]
