"""Cost per envelope of each cryptographic suite: seal (station) and open (gateway).

    .venv/bin/python bench/suite.py [--rounds 50]

Suite 1 (HPKE X25519/AES-256-GCM + Ed25519, `cryptography`, OpenSSL) beside suite 2 (国密:
SM2 encryption of an SM4 key + SM4-GCM + SM2-with-SM3 signatures; SM4 and SM3 from OpenSSL
through `cryptography`, the SM2 curve arithmetic fastecdsa's, Rust). Payloads: a 1 KB
business record and a 30 KB photo blob. Figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    from sync.envelope import Header, ServerKey, StationKey, open_envelope, seal
    from sync.suite import SUITES, key_id_for

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=50)
    args = ap.parse_args()
    not_after = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    print(f"{'suite':<8}{'payload':>9}{'seal ms':>10}{'open ms':>10}{'bytes':>8}")
    for suite_id, suite in sorted(SUITES.items()):
        server_priv, server_pub = suite.new_encryption_key()
        station_priv, station_pub = suite.new_signing_key()
        for size in (1024, 30 * 1024):
            payload = os.urandom(size)
            seal_t, open_t, length = [], [], 0
            for seq in range(1, args.rounds + 1):
                h = Header(
                    key_id_for(server_pub),
                    key_id_for(station_pub),
                    "4301210010010000101",
                    seq,
                    uuid.uuid4().hex,
                    "business",
                )
                t = time.perf_counter()
                env = seal(
                    suite,
                    h,
                    payload,
                    server_public_key=server_pub,
                    station_signing_key=station_priv,
                    compress=False,
                )
                seal_t.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                station = [StationKey(h.station_id, key_id_for(station_pub), station_pub, "active", suite_id)]
                server = ServerKey(h.server_key_id, server_priv, not_after, suite_id)
                open_envelope(env, station_keys=_const(station), server_keys=_const(server))
                open_t.append((time.perf_counter() - t) * 1000)
                length = len(env)
            print(
                f"{suite_id:<8}{size:>9}{statistics.median(seal_t):>10.2f}{statistics.median(open_t):>10.2f}{length:>8}"
            )


def _const(value: Any) -> Callable[[str], Any]:
    """A key lookup that always answers `value` (one station, one server key)."""
    return lambda _key: value


if __name__ == "__main__":
    main()
