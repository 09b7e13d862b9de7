"""Kill campaign, short form: ~20 SIGKILLs during businesses, chip writes and sync (bench/campaigns/kill.py).

What must hold after every kill (R-SEC-3, R-TMP-2/3, architecture.md "transactional outbox"):
every acknowledged business present exactly once, integrity_check ok, audit chain valid,
outbox gap-free, no card write left unresolved; and after a final sync every business is at
the gateway exactly once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.campaigns.kill import run


@pytest.mark.timeout(240)
def test_R_SEC_3_kill_campaign_short_loses_nothing(tmp_path: Path) -> None:
    figures = run(21, seed=7, root=tmp_path / "station")
    summary = figures.to_dict()
    assert figures.failures == [], summary
    assert figures.lost == 0 and figures.duplicated == 0, summary
    assert figures.points == 21 and set(figures.by_mode) == {"business", "card", "sync"}
    # The kills landed in real work, and at least one inside a chip write (journal pending).
    assert figures.landed >= 18, summary
    assert figures.in_chip_write >= 3, summary  # every other card point dies inside a chip write
    assert figures.acked >= 40, summary
    assert figures.gateway_businesses == figures.businesses, summary
