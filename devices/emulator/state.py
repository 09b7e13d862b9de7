"""The persistent part of an emulated card: files, PIN, counters, keys' origin.

Kept apart from the APDU logic so it can be saved to JSON after every change and
loaded again - a card "survives" a restarted emulator, as a real card survives being
pulled out of the reader. Volatile state (selection, authentication) is not here.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devices.layout import Algorithm

# Records of one file: tag -> value, in the card's *physical* order (not tag order).
Records = dict[int, bytes]


@dataclass
class CardState:
    version: int  # 1, 2 or 3
    algorithm: Algorithm
    protocol: int  # 0 (T=0: answers 61xx / 6Cxx) or 1
    historical: bytes  # ATR historical bytes; the last 8 are the card diversification factor
    ef05: Records
    ef06: Records
    df01: Records
    pin: str  # the emulated chip's PIN (a real chip stores it too; the station never does)
    pin_limit: int = 5
    pin_tries: int = 5
    key_limit: int = 15
    key_tries: dict[int, int] = field(default_factory=dict)
    key_variant: str = ""  # "" = the test keys SoftwareSam uses; anything else = another issuer's

    def to_json(self) -> dict[str, Any]:
        def recs(r: Records) -> list[list[str]]:
            return [[f"{tag:02X}", value.hex().upper()] for tag, value in r.items()]

        return {
            "version": self.version,
            "algorithm": self.algorithm.name,
            "protocol": self.protocol,
            "historical": self.historical.hex().upper(),
            "ef05": recs(self.ef05),
            "ef06": recs(self.ef06),
            "df01": recs(self.df01),
            "pin": self.pin,
            "pin_limit": self.pin_limit,
            "pin_tries": self.pin_tries,
            "key_limit": self.key_limit,
            "key_tries": {f"{k:02X}": v for k, v in self.key_tries.items()},
            "key_variant": self.key_variant,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CardState:
        def recs(items: list[list[str]]) -> Records:
            return {int(tag, 16): bytes.fromhex(value) for tag, value in items}

        return cls(
            version=int(data["version"]),
            algorithm=Algorithm[data["algorithm"]],
            protocol=int(data["protocol"]),
            historical=bytes.fromhex(data["historical"]),
            ef05=recs(data["ef05"]),
            ef06=recs(data["ef06"]),
            df01=recs(data["df01"]),
            pin=str(data["pin"]),
            pin_limit=int(data["pin_limit"]),
            pin_tries=int(data["pin_tries"]),
            key_limit=int(data.get("key_limit", 15)),
            key_tries={int(k, 16): int(v) for k, v in data.get("key_tries", {}).items()},
            key_variant=str(data.get("key_variant", "")),
        )

    def save(self, path: Path) -> None:
        """Atomic write (temp file + rename): a crash never leaves half a card file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.to_json(), fh, ensure_ascii=False, indent=1)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> CardState:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
