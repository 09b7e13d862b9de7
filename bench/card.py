"""Card benchmark through the real stack: pyscard -> pcscd -> vpcd -> emulator.

    .venv/bin/python bench/card.py [--runs N]

For each operation: APDUs exchanged and median wall time over N runs, for a 2.0
card (T=0: GET RESPONSE / Le correction, 3DES) and a 3.0 card (T=1, SM4, RK
authentication before EF06). "personalise+verify" writes a blank temporary card and
reads everything back; "recycle+verify" erases it and checks it reads blank. The
emulator answers in microseconds, so the figures measure the station's code and
pcscd, not a physical card (a real card adds roughly 5-30 ms per APDU).
"""

from __future__ import annotations

import argparse
import functools
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devices.emulator import EmulatedCard, make_card
from devices.session import CardSessionImpl
from devices.testing.pcsc_stack import pcsc_stack
from offline.protocols import ChipHolder

HOLDER = ChipHolder("420102199001011234", "李四", "2", "03", "420102", "19900101")


def measure(session: CardSessionImpl, op: Callable[[], object]) -> tuple[int, float]:
    before = session.apdu_count
    start = time.perf_counter()
    op()
    return session.apdu_count - before, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    logging.getLogger("devices").setLevel(logging.ERROR)
    rows: list[tuple[str, str, int, float]] = []
    with pcsc_stack(None) as stack:
        for version in (2, 3):
            card = EmulatedCard(make_card(version=version, holder=None))
            stack.insert(card)
            session = stack.session()
            results: dict[str, list[tuple[int, float]]] = {
                "read": [],
                "personalise+verify": [],
                "recycle+verify": [],
            }
            for _ in range(args.runs):
                results["personalise+verify"].append(
                    measure(session, functools.partial(session.personalise, HOLDER, "20250101", "20250701"))
                )
                results["read"].append(measure(session, session.read_card))
                results["recycle+verify"].append(measure(session, session.erase))
            stack.remove()
            label = f"{version}.0 ({'T=0, 3DES' if version == 2 else 'T=1, SM4'})"
            for op, samples in results.items():
                apdus = samples[0][0]
                rows.append((label, op, apdus, statistics.median(s[1] for s in samples)))
    print(f"median of {args.runs} runs through pcscd + vpcd (isolated={stack.isolated})")
    print(f"{'card':<18} {'operation':<20} {'APDUs':>6} {'median ms':>10}")
    for label, op, apdus, seconds in rows:
        print(f"{label:<18} {op:<20} {apdus:>6} {seconds * 1000:>10.1f}")
    print("APDUs: count of the first run (it also reads the card identity once; later runs reuse it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
