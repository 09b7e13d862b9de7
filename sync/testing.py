"""Freshly generated keys for tests and benchmarks: a real sealer plus what opens its envelopes.

Test keys only — never written to disk, never enrolled anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sync.envelope import Opened, PinnedServerKey, ServerKey, StationKey, StationSealer, open_envelope
from sync.suite import DEFAULT_SUITE, key_id_for


@dataclass
class TestKeys:
    """A station signing key and a server HPKE key pair, made for one test."""

    __test__ = False  # not a pytest class

    station_id: str
    station_private: bytes
    station_public: bytes
    server_private: bytes
    server_public: bytes
    not_after: str

    @property
    def station_key_id(self) -> str:
        return key_id_for(self.station_public)

    @property
    def server_key_id(self) -> str:
        return key_id_for(self.server_public)

    def sealer(self) -> StationSealer:
        return StationSealer(
            station_id=self.station_id,
            station_key_id=self.station_key_id,
            station_signing_key=self.station_private,
            server_key=PinnedServerKey(self.server_key_id, self.server_public, self.not_after),
        )

    def open(self, data: bytes) -> Opened:
        """Open an envelope sealed by `sealer()` the way the server would."""
        station = StationKey(self.station_id, self.station_key_id, self.station_public, "active")
        server = ServerKey(self.server_key_id, self.server_private, self.not_after)
        return open_envelope(
            data,
            station_keys=lambda sid: [station] if sid == self.station_id else None,
            server_keys=lambda kid: server if kid == self.server_key_id else None,
        )


def fresh_keys(station_id: str, *, valid_days: int = 365) -> TestKeys:
    st_priv, st_pub = DEFAULT_SUITE.new_signing_key()
    sv_priv, sv_pub = DEFAULT_SUITE.new_encryption_key()
    not_after = (datetime.now(UTC) + timedelta(days=valid_days)).isoformat(timespec="seconds")
    return TestKeys(station_id, st_priv, st_pub, sv_priv, sv_pub, not_after)
