"""Fixtures of the sync tests: one real gateway (uvicorn thread) per module, station stores per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.helpers import RunningGateway, start_gateway


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    gw = start_gateway(tmp_path_factory.mktemp("gw") / "gateway.db")
    yield gw
    gw.server.stop()


@pytest.fixture
def fresh_gateway(tmp_path: Path) -> Iterator[RunningGateway]:
    gw = start_gateway(tmp_path / "gateway.db")
    yield gw
    gw.server.stop()
