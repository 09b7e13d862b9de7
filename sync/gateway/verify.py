"""联网核查: the card management system answers whether a person may get a temporary card (R-TMP-2).

HN 12 / HB 14: a temporary card is issued after the station checks the holder online with the
card management system. Here the reference answer: a person passes when the system has an
application for that number that was not refused or cancelled. Two paths reach it:

- online, at the window: `POST /v1/verify` {ssn} → {result: passed|failed, reason} (station-signed
  like every station call); the temporary-card form asks it instead of letting the operator pick;
- offline: the card was issued as 待联网核查; when that business arrives, `check_pending` queues
  the downlink 'online_check_result' {receipt_no, passed, reason} that resolves it at the station.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sync.gateway.db import Conn
from sync.gateway.production import add_update

if TYPE_CHECKING:
    from sync.gateway.app import Gateway

REFUSED_STATES = ("rejected", "cancelled")


PASSED, FAILED, UNKNOWN = "passed", "failed", "unknown"


def check(conn: Conn, ssn: str) -> tuple[str, str]:
    """(passed | failed | unknown, Chinese reason) for a social security number.

    'unknown' (no record yet) is not a refusal: the station's own application may not have
    been uploaded; the station then records 待联网核查 and the check is made again on arrival.
    """
    # The latest application decides. Two arriving within the same second (received_at has
    # second precision) are ordered without SQLite's rowid, which PostgreSQL has not: a live
    # application before a refused one (a duplicate refused beside a live card must not fail
    # the check), then the receipt number, so both engines give the same answer.
    row = conn.execute(
        "SELECT state FROM applications WHERE ssn = ?"
        " ORDER BY received_at DESC, (state IN ('rejected', 'cancelled')), receipt_no DESC LIMIT 1",
        (ssn.strip().upper(),),
    ).fetchone()
    if row is None:
        return UNKNOWN, "卡管系统尚无此人的社会保障卡申领记录"
    if row["state"] in REFUSED_STATES:
        return FAILED, "卡管系统中此人的申领已被退回或注销"
    return PASSED, "卡管系统核查通过"


def check_pending(
    conn: Conn, station_id: str, receipt_no: str, details: dict[str, Any], now: datetime
) -> None:
    """A temporary card issued offline as 待联网核查: the answer goes back on the downlink."""
    if not details.get("online_check_pending") or not receipt_no:
        return
    result, reason = check(conn, str(details.get("ssn", "")))
    passed = result == PASSED  # by now the station's application has arrived: no record is a refusal
    add_update(
        conn,
        station_id,
        f"online-check-{receipt_no}",
        "online_check_result",
        {"receipt_no": receipt_no, "passed": passed, "reason": reason},
        now.isoformat(timespec="seconds"),
    )


#: This route's part of the OpenAPI document (merged by sync/gateway/openapi.py).
OPENAPI_PATHS: dict[str, Any] = {
    "/v1/verify": {
        "post": {
            "summary": "联网核查 of a person for a temporary card (R-TMP-2): passed, failed or pending.",
            "security": [{"stationAuth": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": {"ssn": {"type": "string"}}}
                    }
                },
            },
            "responses": {
                "200": {"description": "{result: passed|failed|pending, reason}"},
                "400": {"description": "malformed body"},
                "401": {"description": "refused"},
                "403": {"description": "refused"},
            },
        }
    }
}


def routes(gw: Gateway) -> list[Route]:
    """The route to register in the gateway app."""

    async def verify(request: Request) -> Response:
        pre = await run_in_threadpool(gw._authenticate, request, None)  # who, before any body is read
        if isinstance(pre, Response):
            return pre
        body = await request.body()  # a small JSON body (the gateway's body limit)
        who = await run_in_threadpool(
            gw._authenticate, request, hashlib.sha256(body).hexdigest() if body else "-"
        )
        if isinstance(who, Response):
            return who
        try:
            ssn = str(json.loads(body)["ssn"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse(
                {"error": "malformed", "detail": 'body must be {"ssn": ...}'}, status_code=400
            )

        def answer() -> tuple[str, str]:
            return check(gw.db.connection(), ssn)

        result, reason = await run_in_threadpool(answer)
        return JSONResponse({"result": "pending" if result == UNKNOWN else result, "reason": reason})

    return [Route("/v1/verify", verify, methods=["POST"])]
