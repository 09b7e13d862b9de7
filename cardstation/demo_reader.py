"""The demo's emulated reader behind the TUI's 模拟插卡 picker (demo and emulated mode only).

A real station's operator puts the holder's card in the reader. In the demo there is no plastic,
so `DemoReader` makes the card the holder would bring, from the holder's record in the station
store: EF05 with the card's number, identification code and dates; EF06 with the holder's SSN,
name, sex, ethnicity, birth date; the PIN-try counter at zero for a PIN-locked card; the initial
PIN of the province (HN 13(3): 666666). Blank temporary cards are the ones in the station's
temp-card stock, so 临时卡 can be issued with them (R-TMP-5).

Each card's state lives in `DIR/cards/<card number>.json` and is reused on the next insertion, so
a PIN changed in the demo stays changed, as on a real card. The reader itself is either

- in-process: `provider()` hands the services a session on the inserted card; or
- the emulator behind pcscd/vpcd (`cardstation card emulate --slot FILE`): inserting writes the
  slot file, the emulator process puts that card in the virtual reader, and the app reads it
  through pyscard like a real card.

No Textual here: the picker screen (tui/screens/insert_card.py) calls `choices()` and
`insert()` in a worker thread.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline.store import Store

# The software security module warns (in English, for logs) that test keys are in use; the demo
# says so on screen ("测试密钥"), so the warning must not reach the terminal before the TUI starts.
logging.getLogger("devices").addHandler(logging.NullHandler())

INITIAL_PIN = "666666"  # HN 13(3); the demo station is in Hunan
MAX_CHOICES = 30


@dataclass(frozen=True)
class CardChoice:
    """One line of the picker: a holder's card or a blank temporary card."""

    card_number: str
    kind: str  # 'formal' | 'temp'
    label: str  # Chinese: name, SSN, card state


class DemoReader:
    """Puts the chosen card in the emulated reader (see the module docstring)."""

    def __init__(self, root: Path, *, slot: Path | None = None, store: Store | None = None) -> None:
        self.root = root
        self._store = store
        self.cards_dir = root / "cards"
        self.slot = slot  # None = in-process reader
        self._lock = threading.Lock()
        self._card: Any = None  # EmulatedCard in the reader (in-process)
        self.current = ""  # card number in the reader, '' when empty
        if slot is not None:
            self._write_slot("")

    @property
    def store(self) -> Store:
        """The demo station's store (opened on first use: the demo builds it after the reader)."""
        if self._store is None:
            self._store = Store.open(self.root / "station.db")
        return self._store

    # ------------------------------------------------------------------ what can go in

    def choices(self, text: str) -> list[CardChoice]:
        """Cards matching a name, SSN or card number (prefix); '' lists the blank temporary cards."""
        from offline.lifecycle import CARD_LABELS, TEMP_LABELS

        t = text.strip().upper()
        out: list[CardChoice] = []
        if t:
            rows = self.store.query(
                "SELECT c.card_number, c.status, c.pin_locked, p.name, p.ssn FROM cards c"
                " JOIN persons p ON p.id = c.person_id"
                " WHERE (p.name LIKE ? OR p.ssn LIKE ? OR c.card_number LIKE ? OR p.name_initials LIKE ?)"
                " AND c.status NOT IN ('produced', 'returned') ORDER BY p.name, c.id DESC LIMIT ?",
                (f"{text.strip()}%", f"{t}%", f"{t}%", f"{text.strip().lower()}%", MAX_CHOICES),
            )
            for r in rows:
                state = CARD_LABELS.get(r["status"], r["status"]) + ("·密码锁定" if r["pin_locked"] else "")
                out.append(
                    CardChoice(
                        r["card_number"], "formal", f"{r['name']}  {r['ssn']}  {r['card_number']}  {state}"
                    )
                )
        temp = self.store.query(
            "SELECT t.card_number, t.state, p.name FROM temp_cards t LEFT JOIN persons p ON p.id = t.person_id"
            " WHERE t.state IN ('in_stock', 'out_of_stock', 'issued', 'personalised')"
            + (" AND (t.card_number LIKE ? OR p.name LIKE ?)" if t else "")
            + " ORDER BY t.state = 'in_stock' DESC, t.card_number LIMIT ?",
            ((f"{t}%", f"{text.strip()}%", MAX_CHOICES) if t else (MAX_CHOICES,)),
        )
        for r in temp:
            who = f"（{r['name']}）" if r["name"] else "（空白）"
            out.append(
                CardChoice(
                    r["card_number"], "temp", f"临时卡 {r['card_number']}{who}  {TEMP_LABELS[r['state']]}"
                )
            )
        return out

    # ------------------------------------------------------------------ in and out

    def insert(self, card_number: str) -> str:
        """Put that card in the reader; returns what the status line says (Chinese)."""
        from devices.emulator import EmulatedCard

        number = card_number.strip().upper()
        path = self.cards_dir / f"{number}.json"
        card = EmulatedCard.open(path, self._fresh_state(number))
        with self._lock:
            self._card, self.current = card, number
            if self.slot is not None:
                self._write_slot(str(path))
        holder = self._holder_name(number)
        return f"已插入模拟卡 {number}" + (f"（{holder}）" if holder else "（空白临时卡）")

    def remove(self) -> None:
        with self._lock:
            self._card, self.current = None, ""
            if self.slot is not None:
                self._write_slot("")

    def provider(self) -> Any:
        """AppServices.card_provider for the in-process reader: a session, or None when empty."""
        from devices import open_emulated_session

        with self._lock:
            card = self._card
        return open_emulated_session(card) if card is not None else None

    def _write_slot(self, state: str) -> None:
        assert self.slot is not None
        tmp = self.slot.with_suffix(".tmp")
        tmp.write_text(json.dumps({"state": state}, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.slot)

    # ------------------------------------------------------------------ making the card

    def _holder_name(self, number: str) -> str:
        row = self.store.one(
            "SELECT p.name FROM cards c JOIN persons p ON p.id = c.person_id WHERE c.card_number = ?"
            " UNION ALL SELECT p.name FROM temp_cards t JOIN persons p ON p.id = t.person_id"
            " WHERE t.card_number = ?",
            (number, number),
        )
        return str(row["name"]) if row is not None else ""

    def _fresh_state(self, number: str) -> Any:
        """The card as the factory (or the bank) made it, from the holder's record."""
        from devices.emulator.factory import make_card
        from offline.protocols import ChipHolder

        row = self.store.one(
            "SELECT c.*, p.ssn, p.name, p.sex, p.ethnicity, p.birth_date, p.region FROM cards c"
            " JOIN persons p ON p.id = c.person_id WHERE c.card_number = ?",
            (number,),
        )
        serial = sum(ord(ch) * (i + 1) for i, ch in enumerate(number)) % 10_000_000
        if row is None:  # a temporary card: blank, as it leaves the stock
            return make_card(version=3, holder=None, serial=serial, card_number=number, city="430100")
        ssn = str(row["ssn"])
        holder = ChipHolder(
            ssn=ssn,
            name=str(row["name"]),
            sex=str(row["sex"]),
            ethnicity=str(row["ethnicity"] or "01"),
            birthplace=ssn[:6],
            birth_date=str(row["birth_date"]).replace("-", "")[:8],
        )
        state = make_card(
            version=3,
            holder=holder,
            serial=serial,
            card_number=number,
            city="430100",
            issue_date=str(row["issue_date"]).replace("-", "")[:8],
            expiry_date=str(row["expiry_date"]).replace("-", "")[:8],
            home_region=str(row["region"] or ssn[:6])[:6],
            pin=INITIAL_PIN,
        )
        if row["pin_locked"]:
            state.pin_tries = 0
        return state


_READERS: dict[Path, DemoReader] = {}


def reader_for(root: Path, *, slot: Path | None = None) -> DemoReader:
    """The demo directory's reader (one per directory: the provider and the picker share it)."""
    key = root.resolve()
    reader = _READERS.get(key)
    if reader is None or (slot is not None and reader.slot != slot):
        reader = _READERS[key] = DemoReader(root, slot=slot)
    return reader


def registered(root: Path) -> DemoReader | None:
    """The reader the demo set up for this directory, if any (build_services asks)."""
    return _READERS.get(root.resolve())
