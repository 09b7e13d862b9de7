"""The station side of 联网核查 (R-TMP-2, HN 12): ask the card management system, or say 'pending'.

Returns 'passed' or 'failed' when the gateway answered, 'pending' when there is no link or the
station is not enrolled: the temporary card is then issued as 待联网核查 and the answer comes
back on the downlink ('online_check_result', offline/online_check.py). The short timeout keeps
the window responsive on a dead link.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from offline.store import Store
from sync.client import GatewayClient, LinkError
from sync.keys import NotEnrolled, load_identity

PENDING, PASSED, FAILED = "pending", "passed", "failed"


def online_checker(store: Store, url: str | None = None) -> Callable[[str], tuple[str, str]]:
    """A function ssn → (result, Chinese reason) for the temporary-card form."""

    def check(ssn: str) -> tuple[str, str]:
        target = url or store.setting("sync_url")
        try:
            ident = load_identity(store)
        except NotEnrolled:
            return PENDING, "本站未接入卡管系统，记为待联网核查"
        if not target:
            return PENDING, "未配置卡管系统地址，记为待联网核查"
        client = GatewayClient(target, identity=ident)
        try:
            body = json.dumps({"ssn": ssn.strip().upper()}).encode()
            resp = client._request(
                "POST", "/v1/verify", body=body, headers=client._auth("POST", "/v1/verify", body)
            )
            doc = client._json(resp)
        except LinkError:
            return PENDING, "卡管系统暂时连不上，记为待联网核查，联网后自动补查"
        finally:
            client.close()
        if (
            resp.status_code != 200
            or not isinstance(doc, dict)
            or doc.get("result") not in (PASSED, FAILED, PENDING)
        ):
            return PENDING, "卡管系统答复无法识别，记为待联网核查"
        return str(doc["result"]), str(doc.get("reason", ""))

    return check
