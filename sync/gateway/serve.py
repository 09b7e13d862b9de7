"""Serving the gateway with uvicorn: time limits for slow clients.

uvicorn's h11 protocol only times out an idle keep-alive connection; a client that sends its
headers one byte a minute, or a body far slower than the slowest supported station link, holds
a connection (and, for a body, a worker's buffer) forever. This protocol closes a connection
whose request headers are not complete within `header_timeout` seconds, or whose body arrives
slower than `min_rate` bytes a second after a grace period (stations on 20 kbit/s send about
2500 B/s). A PATCH cut this way leaves its received bytes as a resumable partial, exactly as a
dropped link does.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 20.0
BODY_GRACE_S = 20.0
MIN_BODY_RATE = 500.0  # bytes per second, a fifth of the slowest supported link


def protocol_class(
    header_timeout: float = HEADER_TIMEOUT_S,
    body_grace: float = BODY_GRACE_S,
    min_rate: float = MIN_BODY_RATE,
) -> type[H11Protocol]:
    """An H11Protocol subclass with these limits (uvicorn takes the class as `http=`)."""

    class SlowClientLimits(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _phase = ""

        def _arm(self, phase: str, seconds: float) -> None:
            self._disarm()
            self._phase = phase
            self._deadline = self.loop.call_later(seconds, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline, self._phase = None, ""

        def _too_slow(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm("headers", header_timeout)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            idle = self.cycle is None or self.cycle.response_complete
            if idle and self._phase == "":
                self._arm("headers", header_timeout)
            super().data_received(data)
            self._watch()

        def handle_events(self) -> None:
            super().handle_events()
            self._watch()

        def _watch(self) -> None:
            if self.cycle is None or self.cycle.response_complete:
                return
            if self.conn.their_state is h11.SEND_BODY and self._phase != "body":
                length = dict(self.headers).get(b"content-length", b"0")
                size = int(length) if length.isdigit() else 0
                self._arm("body", body_grace + size / min_rate)
            elif self.conn.their_state is not h11.SEND_BODY and self._phase:
                self._disarm()  # request complete: the app's own time is not limited here

    return SlowClientLimits
