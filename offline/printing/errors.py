"""The one error printing raises: what failed, in Chinese, and what the operator can do instead."""

from __future__ import annotations

from offline.errors import CardstationError


class PrintError(CardstationError):
    """Receipt could not be rendered or printed; `message_zh` says why and what to do."""

    def __init__(self, code: str, message_zh: str) -> None:
        super().__init__(message_zh, code=code)
