"""Form drafts per operator: a dropped SSH session or a power cut loses nothing typed.

The TUI saves the form on every change (debounced); each save is one small upsert. A
draft is keyed by (operator, form), so two operators at one station never see each
other's half-typed forms, and the same operator finds theirs after logging in again.

R-PIN-6: PIN digits are never stored. Any key containing "pin" (case-insensitive) is
dropped before writing — deliberately broad (it also drops e.g. "pinyin"); forms name
such fields without that substring (e.g. "name_py") if they want them kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from offline.store import Store


@dataclass(frozen=True)
class DraftInfo:
    form: str
    updated_at: str
    fields: int


def strip_pin_fields(data: dict[str, str]) -> dict[str, str]:
    """The draft without any key that contains 'pin' (R-PIN-6)."""
    return {k: v for k, v in data.items() if "pin" not in k.lower()}


def _iso(now: datetime | None) -> str:
    return (now or datetime.now()).astimezone().isoformat(timespec="seconds")


def save_draft(
    store: Store, operator_id: int, form: str, data: dict[str, str], *, now: datetime | None = None
) -> None:
    """Upsert the draft of `form` for this operator (PIN fields stripped, R-PIN-6)."""
    clean = strip_pin_fields(data)
    for key, value in clean.items():
        if not isinstance(value, str):
            raise TypeError(f"draft field {key!r} must be str, not {type(value).__name__}")
    text = json.dumps(clean, ensure_ascii=False, sort_keys=True)
    with store.write() as conn:
        conn.execute(
            "INSERT INTO drafts(operator_id, form, data, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(operator_id, form) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            (operator_id, form, text, _iso(now)),
        )


def load_draft(store: Store, operator_id: int, form: str) -> dict[str, str] | None:
    """The saved draft, or None."""
    row = store.one("SELECT data FROM drafts WHERE operator_id = ? AND form = ?", (operator_id, form))
    if row is None:
        return None
    data: dict[str, str] = json.loads(row["data"])
    return data


def discard_draft(store: Store, operator_id: int, form: str) -> bool:
    """Forget the draft (after commit or when the operator clears the form). True if one existed."""
    with store.write() as conn:
        cur = conn.execute("DELETE FROM drafts WHERE operator_id = ? AND form = ?", (operator_id, form))
    return cur.rowcount > 0


def list_drafts(store: Store, operator_id: int) -> list[DraftInfo]:
    """This operator's drafts, newest first (the start screen offers to resume them)."""
    rows = store.query(
        "SELECT form, updated_at, data FROM drafts WHERE operator_id = ? ORDER BY updated_at DESC, form",
        (operator_id,),
    )
    return [DraftInfo(str(r["form"]), str(r["updated_at"]), len(json.loads(r["data"]))) for r in rows]
