"""Link monitor: is the gateway itself reachable right now? (not: is there a network interface)

DHIS2 missed VPN links by looking at interfaces (ANDROAPP-7499); a captive portal answers
HTTP 200 to anything. So the probe is a real request to the gateway's /v1/ping with a nonce
that only the gateway echoes. The monitor reports transitions, which is what starts a sync
on link-up (ODK Collect #6120: auto-send not firing when connectivity returned).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sync.client import GatewayClient, LinkError

UP, DOWN, PORTAL = "up", "down", "portal"


@dataclass(frozen=True)
class Probe:
    state: str
    code: str = ""  # LinkError code when not up


class LinkMonitor:
    def __init__(self, url: str, *, client_factory: Callable[..., GatewayClient] = GatewayClient) -> None:
        self.url = url
        self.state = "unknown"
        self._factory = client_factory

    def probe(self) -> Probe:
        client = self._factory(self.url)
        try:
            client.probe()
            return Probe(UP)
        except LinkError as exc:
            return Probe(PORTAL if exc.code == "portal" else DOWN, exc.code)
        finally:
            client.close()

    def check(self) -> tuple[Probe, bool]:
        """Probe once; (result, True when the link just came up)."""
        result = self.probe()
        came_up = result.state == UP and self.state != UP
        self.state = result.state
        return result, came_up
