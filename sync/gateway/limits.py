"""Request body limits, enforced while reading (ASGI middleware in front of the routes).

Why here and not in each handler: a handler that calls `request.body()` and then checks the
length has already held the whole body in memory — a 400 MB body without credentials took the
gateway from 52 MB to 847 MB. This layer refuses a declared Content-Length over the route's
limit before reading anything, and stops a chunked or lying body the moment it passes the
limit; a handler therefore never sees more than its limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from offline.protocols import CardstationError
from sync.gateway.db import GatewayStore


class BodyTooLarge(CardstationError):
    """Raised from `receive` when a body passes its route's limit (answered 413)."""


async def _reply_413(send: Send) -> None:
    body = b'{"error":"too_large","detail":"request body over the limit"}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """`limit_for(method, path)` gives each request its byte limit (0: no body allowed)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str, str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _reply_413(send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge("请求内容超过上限", code="too_large", text=f"{seen} > {limit}")
            return message

        await self.app(scope, limited, send)


class Limiter(Protocol):
    def allow(self, who: str) -> bool: ...


class RateLimiter:
    """A token bucket per client address: `burst` at once, then `per_second` (in memory).

    One process's memory: right for the single SQLite worker; with N PostgreSQL workers each
    would grant the whole allowance, hence `SharedRateLimiter` there.

    Used for refused envelope frames: a client sending garbage gets 429 once it has spent its
    bucket, so one connection cannot turn the gateway into a counter-incrementing machine.
    """

    def __init__(self, *, burst: int, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst, self.per_second, self.clock = burst, per_second, clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, who: str) -> bool:
        now = self.clock()
        tokens, at = self._buckets.get(who, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
        if len(self._buckets) > 10_000:
            self._buckets.clear()
        if tokens < 1.0:
            self._buckets[who] = (tokens, now)
            return False
        self._buckets[who] = (tokens - 1.0, now)
        return True


class SharedRateLimiter:
    """The same allowance kept in the database, so N workers together grant it once.

    A fixed window per client address: `burst` refusals per window of `burst / per_second`
    seconds (100 per 100 s by default: the bucket's average rate; at a window's edge a client
    may get up to twice `burst` in a row, which bounds the counting as well). The count is one
    `INSERT … ON CONFLICT DO UPDATE … RETURNING` — atomic on PostgreSQL at READ COMMITTED, no
    lock — and the windows before the last are deleted when a new one begins. `clock` is wall
    time: every worker must agree on the window.
    """

    def __init__(
        self, db: GatewayStore, *, burst: int, per_second: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.db, self.burst, self.clock = db, burst, clock
        self.window_s = max(1.0, burst / per_second)

    def window(self) -> int:
        return int(self.clock() // self.window_s)

    def allow(self, who: str) -> bool:
        win = self.window()
        with self.db.write() as conn:
            n = int(
                conn.execute(
                    "INSERT INTO rate_windows(who, win, n) VALUES (?, ?, 1) ON CONFLICT(who, win)"
                    " DO UPDATE SET n = rate_windows.n + 1 RETURNING n",
                    (who, win),
                ).fetchone()[0]
            )
            if n == 1:  # the first count of a new window: the ones before the last are spent
                conn.execute("DELETE FROM rate_windows WHERE win < ?", (win - 1,))
        return n <= self.burst


def refused_frames_limiter(db: GatewayStore, shared: bool) -> Limiter:
    """100 refused frames at once, then 1 a second, per client: in the database when `shared`."""
    if shared:
        return SharedRateLimiter(db, burst=100, per_second=1.0)
    return RateLimiter(burst=100, per_second=1.0)
