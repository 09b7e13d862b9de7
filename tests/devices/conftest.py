"""Fixtures for the card tests: emulated cards in-process, and the real PC/SC stack.

Real-stack tests carry `@pytest.mark.pcsc` and use the `pcsc` fixture. With CI=true a
missing pcscd/vpcd is a failure, never a skip: the stack is part of what CI proves.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator

import pytest

from devices import open_emulated_session
from devices.emulator import EmulatedCard, Faults, make_card, make_kind
from devices.emulator.factory import CardKind
from devices.sam import SoftwareSam
from devices.session import CardSessionImpl
from devices.testing.pcsc_stack import PcscStack, StackError, pcsc_stack, unavailable_reason


@pytest.fixture(autouse=True)
def _quiet_test_key_warnings(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="devices")


@pytest.fixture
def sam() -> SoftwareSam:
    return SoftwareSam()


CardFactory = Callable[..., EmulatedCard]


@pytest.fixture
def new_card() -> CardFactory:
    """new_card('formal') or new_card(version=2, holder=None, faults=Faults(...))."""

    def make(kind: CardKind | None = None, *, faults: Faults | None = None, **kw: object) -> EmulatedCard:
        state = make_kind(kind) if kind is not None else make_card(**kw)  # type: ignore[arg-type]
        return EmulatedCard(state, faults=faults)

    return make


@pytest.fixture
def open_session(sam: SoftwareSam) -> Callable[[EmulatedCard], CardSessionImpl]:
    return lambda card: open_emulated_session(card, sam)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"PC/SC stack required under CI: {reason}")
    pytest.skip(f"PC/SC stack unavailable: {reason}")


@pytest.fixture(scope="session")
def pcsc_session_stack() -> Iterator[PcscStack]:
    reason = unavailable_reason()
    if reason is not None:
        _unavailable(reason)
    try:
        with pcsc_stack(None) as stack:
            yield stack
    except StackError as exc:
        _unavailable(str(exc))


@pytest.fixture
def pcsc(pcsc_session_stack: PcscStack) -> Iterator[PcscStack]:
    """The running stack with an empty reader; the test inserts its own card."""
    yield pcsc_session_stack
    if pcsc_session_stack.link.card is not None:
        pcsc_session_stack.remove()
