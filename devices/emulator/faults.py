"""Faults an emulated card can be told to show, for tests of the error paths.

Removal is counted in APDUs: `remove_after_updates=3` lets three UPDATE RECORD
commands succeed and then the card is gone, which leaves a personalisation partial
exactly as pulling a card out mid-write does.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Faults:
    mute: bool = False  # no ATR, no answer to anything
    remove_after_apdus: int | None = None  # gone after this many more APDUs
    remove_after_updates: int | None = None  # gone after this many more successful UPDATE RECORDs
    removed: bool = False  # set when a removal fault fired

    def count_apdu(self) -> bool:
        """Account one APDU; True when the card must vanish *before* answering it."""
        if self.removed:
            return True
        if self.remove_after_apdus is not None:
            if self.remove_after_apdus <= 0:
                self.removed = True
                return True
            self.remove_after_apdus -= 1
        return False

    def count_update(self) -> bool:
        """Account one UPDATE RECORD about to be applied; True when the card vanishes first."""
        if self.remove_after_updates is not None:
            if self.remove_after_updates <= 0:
                self.removed = True
                return True
            self.remove_after_updates -= 1
        return False
